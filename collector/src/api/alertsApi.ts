import express, { type Request, type Response, type Router } from 'express';
import type { AlertHistory, HistoryEntry } from '../alerts/AlertHistory.ts';
import { AlertingRule, type Alert } from '../alerts/AlertingRule.ts';
import { formatExp, rfc3339 } from '../alerts/goFormat.ts';
import { RuleFileError, formatRuleDuration } from '../alerts/ruleFiles.ts';
import type { RuleEditor } from '../alerts/RuleEditor.ts';
import type { Rule, RuleGroup } from '../alerts/RuleGroup.ts';
import type { RuleManager } from '../alerts/RuleManager.ts';
import { findThreshold } from '../alerts/threshold.ts';
import type { CollectorLog } from '../telemetry/log.ts';
import { ParamError, param, parseLimit, parseTime, statusOf } from './params.ts';

/** Settings of the alerting read API. */
export interface AlertsApiOptions {
  now: () => number;
  log: CollectorLog;
}

const NEVER = '0001-01-01T00:00:00Z';
const iso = (ms: number | null) => (ms === null ? NEVER : rfc3339(ms));
/** Days of history a query covers when `start` is not given. */
const DEFAULT_HISTORY_WINDOW_MS = 7 * 86_400_000;

/**
 * Prometheus' `/api/v1/rules` and `/api/v1/alerts` (same shapes, so Grafana
 * lists the collector's rules and alerts), `/api/alerts/history` (what fired
 * and resolved when, and rule changes), and `POST /-/reload`.
 * (https://prometheus.io/docs/prometheus/latest/querying/api/#rules)
 */
export function alertsApiRouter(manager: RuleManager, editor: RuleEditor, history: AlertHistory, options: AlertsApiOptions): Router {
  const router = express.Router();

  const rules = (req: Request, res: Response) => {
    const q = { ...(req.query as Record<string, unknown>), ...((req.body ?? {}) as Record<string, unknown>) };
    const type = param(q, 'type');
    if (type !== undefined && type !== 'alert' && type !== 'record') {
      res.status(400).json({ status: 'error', errorType: 'bad_data', error: `invalid parameter "type": expected alert or record, got ${JSON.stringify(type)}` });
      return;
    }
    const list = (name: string) => {
      const v = q[`${name}[]`] ?? q[name];
      return v === undefined ? null : new Set((Array.isArray(v) ? v : [v]).map(String));
    };
    const [names, groupNames, files] = [list('rule_name'), list('rule_group'), list('file')];
    const excludeAlerts = param(q, 'exclude_alerts') === 'true';
    const groups = manager
      .groups()
      .filter((g) => (groupNames === null || groupNames.has(g.name)) && (files === null || files.has(g.definition.file)))
      .map((g) => ({
        ...groupView(g),
        rules: g.rules.filter((r) => (type === undefined || r.kind === type) && (names === null || names.has(r.definition.name))).map((r) => prometheusRule(r, excludeAlerts)),
      }))
      .filter((g) => g.rules.length > 0 || (type === undefined && names === null));
    res.json({ status: 'success', data: { groups } });
  };
  const form = express.urlencoded({ extended: false, limit: '1mb' });
  router.get('/api/v1/rules', rules);
  router.post('/api/v1/rules', form, rules);

  const alerts = (_req: Request, res: Response) => {
    const out = manager.groups().flatMap((g) => g.rules.flatMap((r) => (r instanceof AlertingRule ? activeAlerts(r).map(alertView) : [])));
    res.json({ status: 'success', data: { alerts: out } });
  };
  router.get('/api/v1/alerts', alerts);
  router.post('/api/v1/alerts', alerts);

  router.get('/api/alerts/history', (req, res) => {
    const q = req.query as Record<string, unknown>;
    try {
      const endText = param(q, 'end');
      const startText = param(q, 'start');
      const endMs = endText === undefined ? options.now() : Number(parseTime('end', endText) / 1_000_000n);
      const startMs = startText === undefined ? endMs - DEFAULT_HISTORY_WINDOW_MS : Number(parseTime('start', startText) / 1_000_000n);
      if (startMs > endMs) throw new ParamError('start', 'must not be after end');
      const kind = param(q, 'kind');
      const kinds = ['firing', 'resolved', 'rule_created', 'rule_updated', 'rule_deleted'];
      if (kind !== undefined && !kinds.includes(kind)) throw new ParamError('kind', `expected one of ${kinds.join(', ')}, got ${JSON.stringify(kind)}`);
      const rule = param(q, 'rule');
      history.query({ startMs, endMs, limit: parseLimit('limit', param(q, 'limit'), 500, 10_000), ...(rule !== undefined && { rule }), ...(kind !== undefined && { kind: kind as HistoryEntry['kind'] }) }).then(
        (entries) => res.json({ data: entries.map(historyView) }),
        (error: unknown) => {
          options.log.error('reading the alert history failed', { error });
          res.status(503).json({ error: `the alert history cannot be read now: ${(error as Error).message}` });
        },
      );
    } catch (error) {
      res.status(statusOf(error)).json({ error: (error as Error).message, ...(error instanceof ParamError && { param: error.param }) });
    }
  });

  // Prometheus' reload endpoint: the rule files are read anew; a broken set leaves the running rules as they were.
  router.post('/-/reload', (_req, res) => {
    editor.reload().then(
      (groups) => res.json({ status: 'success', groups: groups.length, rules: groups.reduce((n, g) => n + g.rules.length, 0) }),
      (error: unknown) => {
        if (!(error instanceof RuleFileError)) options.log.error('rule reload failed', { error });
        res.status(error instanceof RuleFileError ? 400 : 500).json({ status: 'error', error: `the rule files were not applied, the previous rules stay in force: ${(error as Error).message}` });
      },
    );
  });
  return router;
}

/** A group's fields as /api/v1/rules has them. */
export function groupView(g: RuleGroup) {
  return { name: g.name, file: g.definition.file, interval: g.intervalMs / 1000, limit: g.definition.limit, evaluationTime: g.evaluationSeconds, lastEvaluation: iso(g.lastEvaluationMs) };
}

function activeAlerts(rule: AlertingRule): Alert[] {
  return rule.alerts().filter((a) => a.state !== 'inactive');
}

function alertView(a: Alert) {
  return { labels: a.labels, annotations: a.annotations, state: a.state, activeAt: rfc3339(a.activeAtMs), value: formatExp(a.value, -1) };
}

function prometheusRule(rule: Rule, excludeAlerts: boolean) {
  const d = rule.definition;
  const common = { name: d.name, query: d.expr, labels: d.labels, health: rule.health, ...(rule.lastError !== '' && { lastError: rule.lastError }), evaluationTime: rule.evaluationSeconds, lastEvaluation: iso(rule.lastEvaluationMs) };
  if (!(rule instanceof AlertingRule)) return { ...common, type: 'recording' };
  return { state: rule.state, ...common, duration: d.forMs / 1000, keepFiringFor: d.keepFiringForMs / 1000, annotations: d.annotations, alerts: excludeAlerts ? [] : activeAlerts(rule).map(alertView), type: 'alerting' };
}

/** A rule as the rule-editing API shows it: the file's fields, its threshold if it has one, and how it runs. */
export function editableRuleView(group: RuleGroup, rule: Rule, index: number) {
  const d = rule.definition;
  const threshold = rule instanceof AlertingRule ? findThreshold(d.expr) : null;
  return {
    group: group.name,
    file: group.definition.file,
    index,
    type: rule instanceof AlertingRule ? 'alerting' : 'recording',
    name: d.name,
    expr: d.expr,
    ...(rule instanceof AlertingRule && { for: formatRuleDuration(d.forMs), keepFiringFor: formatRuleDuration(d.keepFiringForMs), annotations: d.annotations }),
    labels: d.labels,
    // `query` is the expression without its comparison: what a preview plots against the threshold.
    threshold: threshold === null ? null : { op: threshold.op, value: threshold.value, query: d.expr.slice(0, threshold.opFrom).trim() },
    state: rule instanceof AlertingRule ? rule.state : null,
    health: rule.health,
    lastError: rule.lastError,
    lastEvaluation: rule.lastEvaluationMs === null ? null : rfc3339(rule.lastEvaluationMs),
    alerts: rule instanceof AlertingRule ? activeAlerts(rule).map(alertView) : [],
  };
}

function historyView(e: HistoryEntry) {
  if (e.kind === 'firing' || e.kind === 'resolved') {
    const { timeMs, activeAtMs, ...alert } = e;
    return { time: rfc3339(timeMs), ...alert, activeAt: rfc3339(activeAtMs) };
  }
  const { timeMs, ...change } = e;
  return { time: rfc3339(timeMs), ...change };
}
