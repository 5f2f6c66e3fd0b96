import express, { type Request, type Response, type Router } from 'express';
import { RuleEditError, type RuleAddress, type RuleChange, type RuleEditor } from '../alerts/RuleEditor.ts';
import type { RuleManager } from '../alerts/RuleManager.ts';
import type { CollectorLog } from '../telemetry/log.ts';
import { editableRuleView, groupView } from './alertsApi.ts';

/**
 * `/api/alert-rules`: read every rule with its state and threshold; add,
 * change (a threshold, `for`, labels, annotations, the expression) and
 * delete rules. Each change is checked field by field, saved to its rule
 * file atomically and applied at once; the history records who made it.
 *
 *   GET    /api/alert-rules                    every group and rule
 *   GET    /api/alert-rules/:group/:name       one rule (?index=N when names repeat in the group)
 *   POST   /api/alert-rules/:group             add a rule (the group is created if new; body may name `file` and `interval`)
 *   PUT    /api/alert-rules/:group/:name       change the fields given (PATCH does the same)
 *   DELETE /api/alert-rules/:group/:name       remove the rule
 *
 * The author recorded is the signed-in user; with sign-in off, the
 * `X-Mirador-User` header or the client address.
 */
export function alertRulesApiRouter(manager: RuleManager, editor: RuleEditor, options: { log: CollectorLog }): Router {
  const router = express.Router();
  const json = express.json({ limit: '256kb' });

  router.get('/api/alert-rules', (_req, res) => {
    res.json({
      groups: manager.groups().map((g) => {
        const seen = new Map<string, number>();
        return {
          ...groupView(g),
          rules: g.rules.map((r) => {
            const n = seen.get(r.definition.name) ?? 0;
            seen.set(r.definition.name, n + 1);
            return editableRuleView(g, r, n);
          }),
        };
      }),
    });
  });

  router.get('/api/alert-rules/:group/:name', (req, res) => {
    const view = findView(manager, address(req));
    if (view === null) res.status(404).json({ error: `no rule named ${JSON.stringify(req.params.name)} in group ${JSON.stringify(req.params.group)}` });
    else res.json(view);
  });

  const respond = (res: Response, status: number, work: Promise<RuleAddress>) => {
    work.then(
      (at) => res.status(status).json(findView(manager, at)),
      (error: unknown) => {
        if (error instanceof RuleEditError) {
          res.status(error.status).json({ error: error.message, errors: error.problems });
          return;
        }
        options.log.error('changing a rule failed', { error });
        res.status(500).json({ error: `changing the rule failed: ${(error as Error).message}` });
      },
    );
  };

  router.post('/api/alert-rules/:group', json, (req, res) => {
    const body = bodyOf(req, res);
    if (body === null) return;
    const { file, interval, ...change } = body as RuleChange & { file?: unknown; interval?: unknown };
    const group = String(req.params.group);
    respond(
      res,
      201,
      editor.create(group, change, { ...(typeof file === 'string' && { file }), ...(typeof interval === 'string' && { interval }) }, author(req, res)).then((rule) => {
        const sameName = manager.groups().find((g) => g.name === group)!.rules.filter((r) => r.definition.name === rule.name);
        return { group, name: rule.name, index: sameName.length - 1 };
      }),
    );
  });

  const update = (req: Request, res: Response) => {
    const body = bodyOf(req, res);
    if (body === null) return;
    const at = address(req);
    respond(res, 200, editor.update(at, body as RuleChange, author(req, res)).then((rule) => ({ ...at, name: rule.name, index: rule.name === at.name ? at.index : 0 })));
  };
  router.put('/api/alert-rules/:group/:name', json, update);
  router.patch('/api/alert-rules/:group/:name', json, update);

  router.delete('/api/alert-rules/:group/:name', (req, res) => {
    const at = address(req);
    const before = findView(manager, at);
    editor.delete(at, author(req, res)).then(
      () => res.json({ deleted: before }),
      (error: unknown) => {
        if (error instanceof RuleEditError) res.status(error.status).json({ error: error.message, errors: error.problems });
        else {
          options.log.error('deleting a rule failed', { error });
          res.status(500).json({ error: `deleting the rule failed: ${(error as Error).message}` });
        }
      },
    );
  });

  // A body that is not JSON is answered in JSON too, naming the problem.
  router.use('/api/alert-rules', (error: Error & { status?: number }, _req: Request, res: Response, next: (e?: unknown) => void) => {
    if (error.status === undefined || error.status >= 500) {
      next(error);
      return;
    }
    res.status(error.status).json({ error: `the request body could not be read: ${error.message}`, errors: [{ field: 'body', message: error.message }] });
  });
  return router;
}

function address(req: Request): RuleAddress {
  const index = Number((req.query as Record<string, unknown>).index ?? 0);
  return { group: String(req.params.group), name: String(req.params.name), index: Number.isInteger(index) && index >= 0 ? index : 0 };
}

function author(req: Request, res: Response): string {
  // Signed in: the name the sign-in established (requireUser), never one the request claims.
  const signedIn = (res.locals as { user?: string }).user;
  if (signedIn !== undefined) return signedIn;
  const user = req.get('x-mirador-user');
  return user !== undefined && user.trim() !== '' ? user.trim().slice(0, 200) : `anonymous (${req.socket.remoteAddress ?? 'unknown address'})`;
}

function bodyOf(req: Request, res: Response): Record<string, unknown> | null {
  const body = req.body as unknown;
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    res.status(400).json({ error: 'expected a JSON object body (Content-Type: application/json)', errors: [{ field: 'body', message: 'expected a JSON object' }] });
    return null;
  }
  return body as Record<string, unknown>;
}

function findView(manager: RuleManager, at: RuleAddress) {
  const group = manager.groups().find((g) => g.name === at.group);
  if (group === undefined) return null;
  const rule = group.rules.filter((r) => r.definition.name === at.name)[at.index];
  return rule === undefined ? null : editableRuleView(group, rule, at.index);
}
