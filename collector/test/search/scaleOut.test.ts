import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../../src/auth/secretFiles.ts';
import { hashPassword } from '../../src/auth/Users.ts';
import { startAlertmanager, type RunningAlertmanager } from '../support/alertmanager.ts';
import { exited, spawnCollector, type CollectorProcess } from '../support/collectorProcess.ts';
import { useOpenSearchNode } from '../support/openSearch.ts';
import { logsRequest, sid, tid, traceRequest } from '../support/otlpJson.ts';
import { startPrometheus, type RunningPrometheus } from '../support/prometheus.ts';
import { startRoundRobinProxy, type RoundRobinProxy } from '../support/roundRobinProxy.ts';
import { eventually, tempDataDir } from '../support/testCollector.ts';
import { startWebhookReceiver, type WebhookReceiverServer } from '../support/webhookReceiver.ts';

// The compose topology without containers: two collector replicas in
// scale-out mode (spans and logs in a real OpenSearch node, metrics by
// remote write to a real Prometheus, alerts to a real Alertmanager) behind
// a round-robin proxy, taking telemetry only with an ingest token. Whichever
// replica takes a write, every read through the proxy sees it; the alert
// fires once.
const node = useOpenSearchNode();
let prometheus: RunningPrometheus;
let alertmanager: RunningAlertmanager;
let hook: WebhookReceiverServer;
let replicas: CollectorProcess[] = [];
let proxy: RoundRobinProxy;
let dir: string;
const TOKEN = 'checkout-ingest-token-7f3a9c2e';
const API_TOKEN = 'grafana-token-2b8e4d6f0a1c';

beforeAll(async () => {
  hook = await startWebhookReceiver();
  [prometheus, alertmanager] = await Promise.all([
    startPrometheus('global:\n  scrape_interval: 15s\n', { remoteWriteReceiver: true }),
    startAlertmanager(`route:\n  receiver: hook\n  group_by: [alertname]\n  group_wait: 1s\n  group_interval: 1s\n  repeat_interval: 1h\nreceivers:\n  - name: hook\n    webhook_configs:\n      - url: ${hook.url}\n`),
  ]);
  dir = tempDataDir();
  fs.writeFileSync(path.join(dir, 'users.yaml'), `users:\n  - name: ana\n    role: editor\n    password: ${await hashPassword('ana-password-1')}\napiTokens:\n  - name: grafana\n    role: viewer\n    hash: ${hashToken(API_TOKEN)}\n`);
  fs.writeFileSync(
    path.join(dir, 'orders.rules.yaml'),
    'groups:\n  - name: orders\n    rules:\n      - alert: OrdersArriving\n        expr: sum(orders_created_total) > 2\n        labels:\n          severity: info\n',
  );
  replicas = await Promise.all(
    ['one', 'two'].map((name) =>
      spawnCollector([
        '--port', '0', '--grpc-port', 'off', '--data-dir', path.join(dir, name), '--replica-name', name,
        '--storage-backend', 'opensearch', '--search-url', node().url, '--index-replicas', '0', '--index-prefix', 'scaleout',
        '--metrics-backend', 'prometheus', '--metrics-remote-write-url', `${prometheus.url}/api/v1/write`, '--metrics-query-url', prometheus.url,
        '--alertmanager-url', alertmanager.url, '--alert-resend-delay', '1s', '--ingest-tokens', `checkout=${TOKEN}`,
        '--users-file', path.join(dir, 'users.yaml'), '--session-secret', 'one-secret-every-replica-shares-0123456789',
        '--rules', path.join(dir, 'orders.rules.yaml'), '--evaluation-interval', '2s',
      ]),
    ),
  );
  proxy = await startRoundRobinProxy(replicas.map((r) => r.url));
}, 240_000);

afterAll(async () => {
  await proxy?.close();
  for (const r of replicas) r.child.kill('SIGTERM');
  await Promise.all(replicas.map((r) => exited(r.child)));
  await Promise.all([prometheus?.stop(), alertmanager?.stop(), hook?.close()]);
});

const post = async (pathName: string, body: unknown, type = 'application/json') => {
  const res = await fetch(proxy.url + pathName, { method: 'POST', headers: { 'content-type': type, authorization: `Bearer ${TOKEN}` }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  expect(res.status, await res.clone().text()).toBe(200);
};
const get = async <T>(pathAndQuery: string) => {
  const res = await fetch(proxy.url + pathAndQuery, { headers: { authorization: `Bearer ${API_TOKEN}` } });
  expect(res.status, `GET ${pathAndQuery}: ${await res.clone().text()}\n${replicas.map((r) => r.output().slice(-2000)).join('\n')}`).toBe(200);
  return (await res.json()) as T;
};

describe('two collector replicas behind a round-robin proxy', () => {
  it('accept writes on either replica and answer every read the same through the proxy', async () => {
    const now = Date.now() - 30_000;
    for (let n = 1; n <= 6; n++) {
      await post('/v1/traces', traceRequest('checkout', [{ traceId: tid(n), spanId: sid(1), name: 'POST /checkout', startMs: now + n, durationMs: 20 }]));
      await post('/v1/logs', logsRequest('checkout', [{ timeMs: now + n, body: `checkout ${n} accepted`, traceId: tid(n), spanId: sid(1) }]));
    }
    expect(proxy.counts.every((c) => c >= 6)).toBe(true); // both replicas took writes

    // Every trace and every request's log line, whichever replica stored it and whichever answers.
    for (let round = 0; round < 2; round++) {
      const traces = await eventually(async () => {
        const r = await get<{ data: Array<{ traceID: string }> }>('/api/traces?service=checkout&lookback=1h&limit=20');
        return r.data.length === 6 ? r.data : undefined;
      }, 20_000);
      expect(traces.map((t) => t.traceID).sort()).toEqual([1, 2, 3, 4, 5, 6].map(tid));
      for (const n of [2, 5]) {
        const logs = await eventually(async () => {
          const r = await get<{ data: Array<{ body: string }> }>(`/api/logs?traceId=${tid(n)}`);
          return r.data.length === 1 ? r.data : undefined;
        }, 10_000);
        expect(logs[0]!.body).toBe(`checkout ${n} accepted`);
      }
    }
  }, 60_000);

  it('keep metrics in Prometheus, queried through either replica, and fire the alert once through Alertmanager', async () => {
    for (let i = 1; i <= 4; i++) {
      await post(`/metrics/job/orders/instance/pod-${i}`, `# TYPE orders_created_total counter\norders_created_total{status="placed"} ${i}\n`, 'text/plain');
    }
    const total = await eventually(async () => {
      const r = await get<{ data: { result: Array<{ value: [number, string] }> } }>(`/api/v1/query?query=${encodeURIComponent('sum(orders_created_total)')}`);
      return r.data.result[0]?.value[1] === '10' ? r.data.result[0].value[1] : undefined;
    }, 20_000);
    expect(total).toBe('10');
    // The same answer from Prometheus itself: the replicas keep no metrics of their own.
    const direct = (await (await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent('sum(orders_created_total)')}`)).json()) as { data: { result: Array<{ value: [number, string] }> } };
    expect(direct.data.result[0]!.value[1]).toBe('10');

    await eventually(async () => (hook.payloads.some((p) => p.status === 'firing') ? true : undefined), 30_000);
    // Both replicas report the alert the one evaluating replica raised.
    for (let i = 0; i < 2; i++) {
      const alerts = await get<{ data: { alerts: Array<{ labels: Record<string, string>; state: string }> } }>('/api/v1/alerts');
      expect(alerts.data.alerts).toEqual([expect.objectContaining({ labels: expect.objectContaining({ alertname: 'OrdersArriving' }), state: 'firing' })]);
    }
    const leaders = await Promise.all(replicas.map(async (r) => /^mirador_alerting_leader 1$/m.test(await (await fetch(`${r.url}/metrics`)).text())));
    expect(leaders.filter(Boolean)).toHaveLength(1);
    const firing = hook.payloads.filter((p) => p.status === 'firing');
    expect(firing).toHaveLength(1);
  }, 90_000);

  it('apply a threshold changed through one replica on every replica, without writing their rule files', async () => {
    const auth = { authorization: `Bearer ${API_TOKEN}` };
    const file = path.join(dir, 'orders.rules.yaml');
    const before = fs.readFileSync(file, 'utf8');
    // Ana signs in through the proxy (one replica) and changes it with her session (maybe on the other).
    const login = await fetch(`${proxy.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'ana', password: 'ana-password-1' }) });
    const jar = login.headers.getSetCookie().map((c) => c.split(';')[0]!);
    const csrf = jar.find((c) => c.startsWith('mirador_csrf='))!.slice('mirador_csrf='.length);
    const res = await fetch(`${proxy.url}/api/alert-rules/orders/OrdersArriving`, { method: 'PUT', headers: { 'content-type': 'application/json', cookie: jar.join('; '), 'x-mirador-csrf': csrf }, body: JSON.stringify({ threshold: 100 }) });
    expect(res.status, await res.clone().text()).toBe(200);
    for (const r of replicas) {
      const rule = await eventually(async () => {
        const view = (await (await fetch(`${r.url}/api/alert-rules/orders/OrdersArriving`, { headers: auth })).json()) as { expr: string };
        return view.expr === 'sum(orders_created_total) > 100' ? view : undefined;
      }, 10_000);
      expect(rule.expr).toBe('sum(orders_created_total) > 100');
    }
    // The evaluating replica uses it: 10 orders no longer cross the threshold, and both replicas say so.
    for (const r of replicas) {
      await eventually(async () => {
        const alerts = (await (await fetch(`${r.url}/api/v1/alerts`, { headers: auth })).json()) as { data: { alerts: unknown[] } };
        return alerts.data.alerts.length === 0 ? true : undefined;
      }, 15_000);
    }
    expect(fs.readFileSync(file, 'utf8')).toBe(before);

    // One history, whichever replica recorded each entry and whichever answers.
    const kinds = ['firing', 'rule_updated', 'resolved'];
    for (const r of replicas) {
      const history = await eventually(async () => {
        const answer = (await (await fetch(`${r.url}/api/alerts/history`, { headers: auth })).json()) as { data: Array<{ kind: string; rule: string; user?: string }> };
        return kinds.every((k) => answer.data.some((e) => e.kind === k)) ? answer.data : undefined;
      }, 15_000);
      expect(history.map((e) => e.kind).sort()).toEqual([...kinds].sort());
      expect(history.find((e) => e.kind === 'rule_updated')).toMatchObject({ rule: 'OrdersArriving', user: 'ana' });
    }
  }, 60_000);
});
