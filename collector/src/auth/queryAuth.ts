import { randomBytes } from 'node:crypto';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { SelfMetrics } from '../telemetry/SelfMetrics.ts';
import type { CollectorLog } from '../telemetry/log.ts';
import { SESSION_MS, type Principal, type Sessions, type Users } from './Users.ts';

const SESSION_COOKIE = 'mirador_session';
const CSRF_COOKIE = 'mirador_csrf';
const CSRF_HEADER = 'x-mirador-csrf';

/** The cookies of a request, by name. */
function cookies(req: Request): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (req.header('cookie') ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) out[part.slice(0, eq).trim()] = decodeURIComponent(part.slice(eq + 1).trim());
  }
  return out;
}

function cookie(name: string, value: string, maxAgeSeconds: number, options: { httpOnly: boolean; secure: boolean }): string {
  return [`${name}=${value}`, 'Path=/', `Max-Age=${maxAgeSeconds}`, 'SameSite=Strict', ...(options.httpOnly ? ['HttpOnly'] : []), ...(options.secure ? ['Secure'] : [])].join('; ');
}

/**
 * Signing in and out, and who is signed in:
 *   POST /api/login   {user, password} → session cookie (HttpOnly, SameSite=Strict) and CSRF cookie
 *   POST /api/logout  ends the session
 *   GET  /api/me      {user, role, authEnabled}; 401 when users are configured and nobody is signed in
 */
export function authRouter(users: Users, sessions: Sessions, options: { now: () => number; metrics: SelfMetrics; log: CollectorLog }): Router {
  const router = express.Router();
  const enabled = users.size > 0;
  router.post('/api/login', express.json({ limit: '4kb' }), (req, res) => {
    if (!enabled) return void res.status(404).json({ error: 'sign-in is off: the collector has no users file (--users-file)' });
    // JSON only: a cross-site form cannot send it, so a login cannot be forged from another site.
    if (!req.is('application/json')) return void res.status(415).json({ error: 'send {"user": ..., "password": ...} as application/json' });
    const { user, password } = (req.body ?? {}) as { user?: unknown; password?: unknown };
    if (typeof user !== 'string' || user === '') return void res.status(400).json({ error: 'user: required', param: 'user' });
    if (typeof password !== 'string' || password === '') return void res.status(400).json({ error: 'password: required', param: 'password' });
    users.signIn(user, password).then(
      (who) => {
        if (who === null) {
          options.metrics.loginFailures.inc();
          options.log.warn('sign-in refused', { user, source: req.socket.remoteAddress });
          return void res.status(401).json({ error: 'that user and password do not match' });
        }
        const secure = req.secure;
        res.setHeader('Set-Cookie', [
          cookie(SESSION_COOKIE, sessions.issue(who, options.now()), SESSION_MS / 1000, { httpOnly: true, secure }),
          cookie(CSRF_COOKIE, randomBytes(24).toString('base64url'), SESSION_MS / 1000, { httpOnly: false, secure }),
        ]);
        res.json({ user: who.name, role: who.role });
      },
      (error: unknown) => res.status(500).json({ error: `signing in failed: ${(error as Error).message}` }),
    );
  });
  router.post('/api/logout', (req, res) => {
    res.setHeader('Set-Cookie', [cookie(SESSION_COOKIE, '', 0, { httpOnly: true, secure: req.secure }), cookie(CSRF_COOKIE, '', 0, { httpOnly: false, secure: req.secure })]);
    res.json({ user: null });
  });
  router.get('/api/me', (req, res) => {
    if (!enabled) return void res.json({ user: null, role: 'editor', authEnabled: false });
    const who = principalOf(req, users, sessions, options.now());
    if (who === null) return void res.status(401).json({ error: 'not signed in', authEnabled: true });
    res.json({ user: who.name, role: who.role, authEnabled: true });
  });
  return router;
}

function principalOf(req: Request, users: Users, sessions: Sessions, nowMs: number): Principal | null {
  const holder = users.tokenHolder(req.header('authorization'));
  if (holder !== null) return { ...holder, via: 'token' };
  const session = sessions.read(cookies(req)[SESSION_COOKIE], nowMs);
  return session === null ? null : { ...session, via: 'session' };
}

/** Paths behind sign-in: the query and alerting APIs (ingest, which has its own tokens, apart). */
const PROTECTED = /^\/(api\/|-\/)/;
const OPEN = new Set(['/api/login', '/api/logout', '/api/me', '/api/v1/write']);
/** Changes only editors may make. */
const EDITOR_ONLY = /^\/(api\/alert-rules(\/|$)|-\/reload$)/;
const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * With users configured: every API request needs a signed-in session or an
 * API token (401 otherwise); changing alert rules needs the editor role (403);
 * a change made with a session cookie needs the CSRF token from the cookie
 * echoed in `X-Mirador-CSRF` (403), so another site cannot make it in the
 * user's name. The user's name becomes the author of rule changes.
 */
export function requireUser(users: Users, sessions: Sessions, now: () => number) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (!PROTECTED.test(req.path) || OPEN.has(req.path)) return next();
    const who = principalOf(req, users, sessions, now());
    if (who === null) return void res.status(401).json({ error: 'sign in first (POST /api/login), or send an API token as Authorization: Bearer' });
    if (!READS.has(req.method)) {
      if (EDITOR_ONLY.test(req.path) && who.role !== 'editor') return void res.status(403).json({ error: `${who.name} is a viewer: changing alert rules takes the editor role` });
      if (who.via === 'session') {
        const expected = cookies(req)[CSRF_COOKIE];
        if (expected === undefined || req.header(CSRF_HEADER) !== expected) return void res.status(403).json({ error: `missing or wrong CSRF token: send the ${CSRF_COOKIE} cookie's value as ${CSRF_HEADER}` });
      }
    }
    // Rule changes are recorded under this name (alertRulesApi's author), never one the client claims.
    res.locals.user = who.name;
    next();
  };
}
