import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PrometheusMetricStore } from '../../src/store/prometheus/PrometheusMetricStore.ts';
import { remoteWriteBody, startPrometheus } from '../support/prometheus.ts';
import { eventually, getJson, startTestCollector } from '../support/testCollector.ts';

type Prometheus = Awaited<ReturnType<typeof startPrometheus>>;
const CONFIG = 'global:\n  scrape_interval: 1h\n';
let prometheus: Prometheus;
let collector: Awaited<ReturnType<typeof startTestCollector>>;

beforeAll(async () => {
  prometheus = await startPrometheus(CONFIG, { remoteWriteReceiver: true });
  collector = await startTestCollector(['--metrics-backend', 'prometheus', '--metrics-remote-write-url', `${prometheus.url}/api/v1/write`, '--metrics-query-url', prometheus.url, '--remote-write-shards', '3']);
});

afterAll(async () => {
  await collector?.stop();
  await prometheus?.stop();
});

const SERIES = 12;
const base = Date.now() - 60_000;
let sent = 0;
let batch = 0;

/** Remote-writes one sample of every `outage_test` series to the collector; returns whether it acknowledged them. */
async function writeBatch(): Promise<boolean> {
  const t = base + batch * 100;
  const body = remoteWriteBody({
    timeseries: Array.from({ length: SERIES }, (_, i) => ({ labels: [{ name: '__name__', value: 'outage_test' }, { name: 'series', value: String(i) }], samples: [{ value: batch, timestamp: t }] })),
  });
  batch++;
  const res = await fetch(`${collector.url}/api/v1/write`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy' }, body });
  if (res.ok) sent += SERIES;
  return res.ok;
}

async function writeFor(ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    expect(await writeBatch()).toBe(true);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function countIn(url: string): Promise<number> {
  const { body } = await getJson<{ data: { result: Array<{ value: [number, string] }> } }>(url, `/api/v1/query?query=${encodeURIComponent('sum(count_over_time(outage_test[10m]))')}&time=${(base + batch * 100 + 1000) / 1000}`);
  return Number(body.data.result[0]?.value[1] ?? 0);
}

describe('metrics backend: a Prometheus by remote write', () => {
  it('loses nothing it acknowledged while Prometheus is down, and sends it all once Prometheus is back', async () => {
    await writeFor(1500);
    await prometheus.stop();
    // Prometheus is away: the collector keeps acknowledging, from its disk buffer.
    await writeFor(10_000);
    const queue = (collector.stores.metrics as PrometheusMetricStore).queue;
    expect(queue.drained).toBe(false);
    prometheus = await startPrometheus(CONFIG, { remoteWriteReceiver: true, port: prometheus.port, dir: prometheus.dir });
    await writeFor(1500);
    await eventually(async () => (queue.drained ? true : undefined), 30_000);
    expect(await countIn(prometheus.url)).toBe(sent);
    // The collector's PromQL API is the backend's.
    expect(await countIn(collector.url)).toBe(sent);
    const metrics = await (await fetch(`${collector.url}/metrics`)).text();
    expect(metrics).toMatch(/mirador_remote_write_retries_total\{shard="\d"\} [1-9]/);
  }, 60_000);

  it('sends derived and pushed metrics too, and its series API answers from the backend', async () => {
    const push = await fetch(`${collector.url}/metrics/job/checkout/instance/a`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '# TYPE orders_created_total counter\norders_created_total{status="created"} 42\n' });
    expect(push.ok).toBe(true);
    const series = await eventually(async () => {
      const { body } = await getJson<{ data: Array<Record<string, string>> }>(collector.url, `/api/v1/series?match[]=orders_created_total`);
      return body.data.length > 0 ? body.data : undefined;
    }, 10_000);
    expect(series).toEqual([{ __name__: 'orders_created_total', instance: 'a', job: 'checkout', status: 'created' }]);
  });
});
