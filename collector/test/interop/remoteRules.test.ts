import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { remoteWriteBody, startPrometheus, type RunningPrometheus } from '../support/prometheus.ts';
import { getJson, startTestCollector, tempDataDir } from '../support/testCollector.ts';

const RULES = `groups:
  - name: remote
    interval: 1h # stepped by the test
    rules:
      - record: job:queue_depth:max
        expr: max by (job) (queue_depth)
      - alert: QueueBacklog
        expr: job:queue_depth:max > 100
        labels:
          severity: page
`;

let prometheus: RunningPrometheus;
let collector: Awaited<ReturnType<typeof startTestCollector>>;

beforeAll(async () => {
  prometheus = await startPrometheus('global:\n  scrape_interval: 1h\n', { remoteWriteReceiver: true });
  const dir = tempDataDir();
  fs.writeFileSync(path.join(dir, 'remote.rules.yaml'), RULES);
  collector = await startTestCollector(['--rules', path.join(dir, 'remote.rules.yaml'), '--rules-query-url', prometheus.url, '--rules-remote-write-url', `${prometheus.url}/api/v1/write`], {}, dir);
});

afterAll(async () => {
  await collector?.stop();
  await prometheus?.stop();
});

async function promQuery(expr: string, t: number) {
  const { body } = await getJson<{ data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } }>(prometheus.url, `/api/v1/query?query=${encodeURIComponent(expr)}&time=${t / 1000}`);
  return body.data.result;
}

describe('rules on a remote Prometheus-compatible store', () => {
  it('evaluates with its query API and writes recording rules and ALERTS back by remote write', async () => {
    const t = Date.now() - 1000;
    const write = await fetch(`${prometheus.url}/api/v1/write`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy', 'x-prometheus-remote-write-version': '0.1.0' },
      body: remoteWriteBody({ timeseries: [{ labels: [{ name: '__name__', value: 'queue_depth' }, { name: 'job', value: 'payment' }, { name: 'queue', value: 'payments' }], samples: [{ value: 250, timestamp: t }] }] }),
    });
    expect(write.status).toBe(204);
    await collector.alerting.manager.evaluateGroup('remote', t);

    expect((await promQuery('job:queue_depth:max', t)).map((r) => [r.metric, r.value[1]])).toEqual([[{ __name__: 'job:queue_depth:max', job: 'payment' }, '250']]);
    expect((await promQuery('ALERTS', t)).map((r) => r.metric)).toEqual([{ __name__: 'ALERTS', alertname: 'QueueBacklog', alertstate: 'firing', job: 'payment', severity: 'page' }]);
    const alerts = await getJson<{ data: { alerts: Array<{ labels: Record<string, string>; state: string }> } }>(collector.url, '/api/v1/alerts');
    expect(alerts.body.data.alerts).toMatchObject([{ labels: { alertname: 'QueueBacklog', job: 'payment' }, state: 'firing' }]);
    // Nothing went to the embedded store.
    expect(await collector.stores.metrics.selectSeries([{ name: '__name__', type: '=', value: 'ALERTS' }], 0, Date.now())).toEqual([]);
  });

  it('reports a query the remote store refuses as the rule health, with its error', async () => {
    const t = Date.now() - 1000;
    await fetch(`${prometheus.url}/api/v1/write`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy', 'x-prometheus-remote-write-version': '0.1.0' },
      body: remoteWriteBody({ timeseries: ['a', 'b'].map((queue) => ({ labels: [{ name: '__name__', value: 'queue_depth' }, { name: 'job', value: 'payment' }, { name: 'queue', value: queue }], samples: [{ value: 1, timestamp: t }] })) }),
    });
    const res = await fetch(`${collector.url}/api/alert-rules/remote`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ alert: 'ManyToMany', expr: 'queue_depth * on(job) queue_depth' }),
    });
    expect(res.status).toBe(201);
    await collector.alerting.manager.evaluateGroup('remote', t);
    const rules = await getJson<{ data: { groups: Array<{ rules: Array<{ name: string; health: string; lastError?: string }> }> } }>(collector.url, '/api/v1/rules');
    const rule = rules.body.data.groups[0]!.rules.find((r) => r.name === 'ManyToMany')!;
    expect(rule.health).toBe('err');
    expect(rule.lastError).toMatch(/api\/v1\/query answered 422: .*many-to-many matching not allowed/);
  });
});
