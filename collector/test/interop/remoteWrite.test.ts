/**
 * Prometheus remote write into the collector: a real Prometheus (Debian's
 * 2.42, installed by the test setup) scrapes the collector's own /metrics and
 * remote-writes what it scraped to /api/v1/write; the series, their values
 * and metadata are then found in the collector. Malformed writes are refused
 * with a 400 saying what is wrong.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { remoteWriteBody, startPrometheus, type RunningPrometheus } from '../support/prometheus.ts';
import { eventually, startTestCollector } from '../support/testCollector.ts';

type Collector = Awaited<ReturnType<typeof startTestCollector>>;
let collector: Collector;
let prometheus: RunningPrometheus | undefined;

beforeAll(async () => {
  collector = await startTestCollector(['--grpc-port', 'off']);
  const target = new URL(collector.url).host;
  prometheus = await startPrometheus(
    [
      'global: { scrape_interval: 1s }',
      'scrape_configs:',
      `  - { job_name: collector, static_configs: [ { targets: ["${target}"] } ] }`,
      'remote_write:',
      `  - url: ${collector.url}/api/v1/write`,
      '    queue_config: { batch_send_deadline: 1s, min_backoff: 100ms, max_backoff: 1s }',
      '    metadata_config: { send_interval: 1s }',
      '',
    ].join('\n'),
  );
});
afterAll(async () => {
  await prometheus?.stop();
  await collector?.stop();
});

const series = async (selector: string) =>
  ((await (await fetch(`${collector.url}/api/v1/series?match[]=${encodeURIComponent(selector)}`)).json()) as { data: Array<Record<string, string>> }).data;

async function write(body: Buffer, headers: Record<string, string> = { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy' }) {
  const res = await fetch(`${collector.url}/api/v1/write`, { method: 'POST', headers, body });
  return { status: res.status, text: await res.text() };
}

const encode = remoteWriteBody;

describe('POST /api/v1/write', () => {
  it('receives what a real Prometheus scrapes: series with its job and instance, values, metadata', async () => {
    const up = await eventually(async () => {
      const found = await series('up{job="collector"}');
      return found.length > 0 ? found : undefined;
    }, 30_000).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}; prometheus said:\n${prometheus!.output().slice(-2000)}`);
    });
    expect(up).toEqual([{ __name__: 'up', instance: new URL(collector.url).host, job: 'collector' }]);
    const [stored] = await collector.stores.metrics.selectSeries([{ name: '__name__', type: '=', value: 'up' }], Date.now() - 120_000, Date.now() + 1000);
    expect(stored!.values.every((v) => v === 1)).toBe(true);
    // The collector's own counters arrive too, with the metadata Prometheus sends beside them.
    expect(await eventually(async () => {
      const found = await series('mirador_process_cpu_seconds_total{job="collector"}');
      return found.length > 0 ? found : undefined;
    }, 15_000)).toHaveLength(1);
    const metadata = await eventually(async () => {
      const m = ((await (await fetch(`${collector.url}/api/v1/metadata?metric=mirador_process_cpu_seconds_total`)).json()) as { data: Record<string, Array<{ type: string }>> }).data;
      return m.mirador_process_cpu_seconds_total;
    }, 15_000);
    expect(metadata[0]!.type).toBe('counter');
  });

  it('stores samples at their own timestamps, exemplars with them', async () => {
    const t = Date.now() - 60_000;
    const body = encode({
      timeseries: [
        { labels: [{ name: '__name__', value: 'rw_test_total' }, { name: 'job', value: 'rw' }], samples: [{ value: 1, timestamp: t }, { value: 3, timestamp: t + 15_000 }], exemplars: [{ labels: [{ name: 'trace_id', value: 'abc' }], value: 0.5, timestamp: t + 15_000 }] },
      ],
    });
    expect((await write(body)).status).toBe(204);
    const [s] = await collector.stores.metrics.selectSeries([{ name: '__name__', type: '=', value: 'rw_test_total' }], t - 1, t + 20_000);
    expect(s).toMatchObject({ labels: { __name__: 'rw_test_total', job: 'rw' }, timestampsMs: [t, t + 15_000], values: [1, 3] });
    const [e] = await collector.stores.metrics.selectExemplars([{ name: '__name__', type: '=', value: 'rw_test_total' }], t - 1, t + 20_000);
    expect(e!.exemplars).toEqual([{ labels: { trace_id: 'abc' }, value: 0.5, timestampMs: t + 15_000 }]);
  });

  it.each([
    ['a body that is not snappy', Buffer.from('hello'), undefined, 'not snappy-compressed'],
    ['JSON', Buffer.from('{}'), { 'content-type': 'application/json', 'content-encoding': 'snappy' }, 'Content-Type "application/json" is not supported'],
    ['a bad label name', encode({ timeseries: [{ labels: [{ name: '__name__', value: 'x' }, { name: '1bad', value: 'v' }], samples: [{ value: 1, timestamp: Date.now() }] }] }), undefined, 'timeseries[0]: invalid label name "1bad"'],
    ['a series without a name', encode({ timeseries: [{ labels: [{ name: 'job', value: 'x' }], samples: [{ value: 1, timestamp: Date.now() }] }] }), undefined, 'timeseries[0]: expected a valid __name__ label, got null'],
  ])('refuses %s with a 400 that says why', async (_name, body, headers, message) => {
    const res = await write(body, headers);
    expect(res.status).toBe(400);
    expect(res.text).toContain(message);
  });
});
