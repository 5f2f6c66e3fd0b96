import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../../src/auth/secretFiles.ts';
import { resolveConfig } from '../../src/config/config.ts';
import { sendJson, tid, traceRequest } from '../support/otlpJson.ts';
import { startTestCollector, tempDataDir } from '../support/testCollector.ts';

// Users and roles on the query API and dashboard: sign-in with a session
// cookie, viewer and editor, CSRF protection on changes, API tokens.

const root = path.resolve(import.meta.dirname, '..', '..', '..');
const GRAFANA_TOKEN = 'grafana-api-token-5d1e9a7c3b';
let clock = Date.now();
type Collector = Awaited<ReturnType<typeof startTestCollector>>;
let collector: Collector;
let dir: string;

/** `mirador-collector hash-password`, the password on standard input, as an operator runs it. */
function hashPassword(password: string): string {
  const r = spawnSync(path.join(root, 'node_modules', '.bin', 'node'), [path.join(root, 'collector', 'bin', 'mirador-collector.js'), 'hash-password'], { input: `${password}\n`, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trim();
}

beforeAll(async () => {
  dir = tempDataDir();
  fs.writeFileSync(
    path.join(dir, 'users.yaml'),
    `users:\n  - name: ana\n    role: editor\n    password: ${hashPassword('ana-password-1')}\n  - name: vic\n    role: viewer\n    password: ${hashPassword('vic-password-1')}\napiTokens:\n  - name: grafana\n    role: viewer\n    hash: ${hashToken(GRAFANA_TOKEN)}\n`,
  );
  fs.writeFileSync(path.join(dir, 'app.rules.yaml'), 'groups:\n  - name: app\n    rules:\n      - alert: SlowCheckout\n        expr: vector(1) > 5\n');
  collector = await startTestCollector(['--users-file', path.join(dir, 'users.yaml'), '--rules', path.join(dir, 'app.rules.yaml')], { now: () => clock });
  await sendJson(collector.url, '/v1/traces', traceRequest('checkout', [{ traceId: tid(1), spanId: '0000000000000001', name: 'POST /checkout', startMs: Date.now() - 1000, durationMs: 3 }]));
});
afterAll(async () => {
  await collector.stop();
});

/** A browser's cookie jar for one collector, kept by hand. */
class Browser {
  jar = new Map<string, string>();
  setCookies: string[] = [];

  async fetch(pathName: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}) {
    const headers: Record<string, string> = { ...(init.body !== undefined && { 'content-type': 'application/json' }), ...init.headers };
    if (this.jar.size > 0) headers.cookie = [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await fetch(collector.url + pathName, { method: init.method ?? 'GET', headers, ...(init.body !== undefined && { body: JSON.stringify(init.body) }) });
    this.setCookies = res.headers.getSetCookie();
    for (const c of this.setCookies) {
      const [pair] = c.split(';');
      const eq = pair!.indexOf('=');
      const value = pair!.slice(eq + 1);
      if (value === '') this.jar.delete(pair!.slice(0, eq));
      else this.jar.set(pair!.slice(0, eq), value);
    }
    return { status: res.status, body: (await res.json().catch(() => null)) as Record<string, unknown> };
  }

  signIn(user: string, password: string) {
    return this.fetch('/api/login', { method: 'POST', body: { user, password } });
  }

  /** A change as the dashboard makes it: the CSRF cookie's value echoed in the header. */
  change(pathName: string, method: string, body: unknown) {
    return this.fetch(pathName, { method, body, headers: { 'x-mirador-csrf': this.jar.get('mirador_csrf') ?? '' } });
  }
}

describe('signing in', () => {
  it('asks for it on the API, but not on health, metrics, ingest or the dashboard page', async () => {
    const anonymous = new Browser();
    expect(await anonymous.fetch('/api/services')).toMatchObject({ status: 401, body: { error: expect.stringMatching(/sign in first/) } });
    expect((await anonymous.fetch('/api/me')).status).toBe(401);
    for (const open of ['/healthz', '/readyz', '/metrics', '/']) expect((await fetch(collector.url + open)).status, open).toBe(200);
  });

  it('refuses a wrong password and an unknown user alike, and counts them', async () => {
    const b = new Browser();
    const wrong = await b.signIn('ana', 'not-her-password');
    const unknown = await b.signIn('mallory', 'ana-password-1');
    expect(wrong).toEqual({ status: 401, body: { error: 'that user and password do not match' } });
    expect(unknown).toEqual(wrong);
    expect(b.jar.size).toBe(0);
    expect(await (await fetch(`${collector.url}/metrics`)).text()).toMatch(/^mirador_login_failures_total 2$/m);
    expect((await b.fetch('/api/login', { method: 'POST', body: { user: 'ana' } })).body).toMatchObject({ error: 'password: required', param: 'password' });
  });

  it('gives a signed-in user an HttpOnly, SameSite=Strict session and a CSRF cookie the page can read', async () => {
    const b = new Browser();
    expect(await b.signIn('vic', 'vic-password-1')).toEqual({ status: 200, body: { user: 'vic', role: 'viewer' } });
    const session = b.setCookies.find((c) => c.startsWith('mirador_session='))!;
    const csrf = b.setCookies.find((c) => c.startsWith('mirador_csrf='))!;
    expect(session).toMatch(/HttpOnly/);
    expect(session).toMatch(/SameSite=Strict/);
    expect(csrf).not.toMatch(/HttpOnly/);
    expect(await b.fetch('/api/me')).toEqual({ status: 200, body: { user: 'vic', role: 'viewer', authEnabled: true } });
    expect((await b.fetch('/api/services')).body).toMatchObject({ data: ['checkout'] });
  });

  it('lets a viewer read everything but not change alert rules', async () => {
    const b = new Browser();
    await b.signIn('vic', 'vic-password-1');
    expect((await b.fetch('/api/alert-rules')).status).toBe(200);
    expect((await b.fetch(`/api/v1/query?query=${encodeURIComponent('vector(1)')}`)).status).toBe(200);
    const change = await b.change('/api/alert-rules/app/SlowCheckout', 'PUT', { threshold: 9 });
    expect(change).toEqual({ status: 403, body: { error: 'vic is a viewer: changing alert rules takes the editor role' } });
    expect((await b.change('/-/reload', 'POST', {})).status).toBe(403);
  });

  it('lets an editor change a rule only with the CSRF token, and records her, not a name the request claims', async () => {
    const b = new Browser();
    await b.signIn('ana', 'ana-password-1');
    const forged = await b.fetch('/api/alert-rules/app/SlowCheckout', { method: 'PUT', body: { threshold: 9 } });
    expect(forged).toMatchObject({ status: 403, body: { error: expect.stringMatching(/missing or wrong CSRF token/) } });
    const changed = await b.fetch('/api/alert-rules/app/SlowCheckout', { method: 'PUT', body: { threshold: 9 }, headers: { 'x-mirador-csrf': b.jar.get('mirador_csrf')!, 'x-mirador-user': 'mallory' } });
    expect(changed.status).toBe(200);
    const history = await b.fetch('/api/alerts/history?kind=rule_updated');
    expect((history.body.data as Array<{ user: string }>)[0]!.user).toBe('ana');
  });

  it('takes API tokens for Grafana and scripts, with their role and without CSRF', async () => {
    const grafana = { authorization: `Bearer ${GRAFANA_TOKEN}` };
    expect((await fetch(`${collector.url}/api/v1/query?query=up`, { headers: grafana })).status).toBe(200);
    expect((await fetch(`${collector.url}/api/services`, { headers: { authorization: 'Bearer not-a-token' } })).status).toBe(401);
    const change = await fetch(`${collector.url}/api/alert-rules/app/SlowCheckout`, { method: 'PUT', headers: { ...grafana, 'content-type': 'application/json' }, body: JSON.stringify({ threshold: 1 }) });
    expect(change.status).toBe(403);
  });

  it('refuses a tampered or expired session, and signing out ends it', async () => {
    const b = new Browser();
    await b.signIn('vic', 'vic-password-1');
    const [payload, signature] = b.jar.get('mirador_session')!.split('.');
    const promoted = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), role: 'editor' })).toString('base64url');
    const tampered = new Browser();
    tampered.jar = new Map(b.jar).set('mirador_session', `${promoted}.${signature}`);
    expect((await tampered.fetch('/api/services')).status).toBe(401);

    clock += 13 * 3_600_000; // past the 12-hour session
    expect((await b.fetch('/api/services')).status).toBe(401);
    clock -= 13 * 3_600_000;
    expect((await b.fetch('/api/services')).status).toBe(200);
    await b.fetch('/api/logout', { method: 'POST' });
    expect((await b.fetch('/api/services')).status).toBe(401);
  });
});

describe('listening beyond loopback', () => {
  const config = (argv: string[]) => resolveConfig({ argv: ['--data-dir', tempDataDir(), ...argv], env: {} });
  it('is refused until both users and ingest tokens are configured, naming what is missing', () => {
    expect(() => config(['--host', '0.0.0.0', '--users-file', 'users.yaml'])).toThrow(/would let anyone who reaches it send telemetry \(give --ingest-tokens-file\)/);
    expect(() => config(['--host', '0.0.0.0', '--ingest-tokens', 'a=b'])).toThrow(/would let anyone who reaches it read every trace, log and metric \(give --users-file\)/);
    expect(config(['--host', '0.0.0.0', '--users-file', 'users.yaml', '--ingest-tokens', 'a=b'])).toMatchObject({ kind: 'run' });
  });
});
