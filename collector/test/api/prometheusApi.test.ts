/**
 * A service pushes its prom-client registry (as the agent does), and what it
 * pushed is found through the Prometheus HTTP API: series, label names and
 * values, metadata, and the exemplar that leads from a latency bucket to its trace.
 */
import { Counter, Histogram, Registry, type OpenMetricsContentType } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCollector } from '../support/testCollector.ts';

type Collector = Awaited<ReturnType<typeof startTestCollector>>;
type Api<T> = { status: string; data: T; errorType?: string; error?: string };
let collector: Collector;
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';

async function push(path: string, body: string, contentType: string, method = 'POST') {
  const res = await fetch(`${collector.url}${path}`, { method, headers: { 'content-type': contentType }, body });
  return { status: res.status, body: (await res.json()) as { samples?: number; exemplars?: number; error?: string } };
}

async function api<T>(path: string, form?: Record<string, string | string[]>): Promise<{ status: number; body: Api<T> }> {
  let res: Response;
  if (form === undefined) res = await fetch(`${collector.url}${path}`);
  else {
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries(form)) for (const x of Array.isArray(v) ? v : [v]) body.append(k, x);
    res = await fetch(`${collector.url}${path}`, { method: 'POST', body });
  }
  return { status: res.status, body: (await res.json()) as Api<T> };
}

beforeAll(async () => {
  collector = await startTestCollector(['--grpc-port', 'off']);
  const registry = new Registry<OpenMetricsContentType>();
  registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  new Counter({ name: 'orders_created', help: 'Orders created.', labelNames: ['channel'], registers: [registry] }).inc({ channel: 'web' }, 5);
  new Histogram<'route' | 'trace_id'>({ name: 'http_server_request_duration_seconds', help: 'Request duration.', labelNames: ['route'], buckets: [0.1, 1], enableExemplars: true, registers: [registry] }).observe({
    labels: { route: '/orders/:id' },
    value: 0.042,
    exemplarLabels: { trace_id: TRACE_ID },
  });
  expect(await push('/metrics/job/order/instance/host-a:4242', await registry.metrics(), registry.contentType)).toEqual({ status: 200, body: { samples: 6, exemplars: 1, metadata: 2 } });
});
afterAll(async () => {
  await collector.stop();
});

describe('metrics pushed to /metrics/job/... and read through the Prometheus HTTP API', () => {
  it('finds the pushed series with the job and instance of the path, by GET and by form POST', async () => {
    const expected = [{ __name__: 'orders_created_total', channel: 'web', instance: 'host-a:4242', job: 'order' }];
    expect((await api('/api/v1/series?match[]=orders_created_total')).body).toEqual({ status: 'success', data: expected });
    expect((await api('/api/v1/series', { 'match[]': ['{job="order", __name__=~"orders_.*"}'] })).body).toEqual({ status: 'success', data: expected });
    const buckets = (await api<Array<Record<string, string>>>('/api/v1/series?match[]=http_server_request_duration_seconds_bucket')).body.data;
    expect(buckets.map((s) => s.le).sort()).toEqual(['+Inf', '0.1', '1']);
  });

  it('stores the values pushed, stamped with the time of arrival', async () => {
    const [series] = await collector.stores.metrics.selectSeries([{ name: '__name__', type: '=', value: 'orders_created_total' }], Date.now() - 60_000, Date.now());
    expect(series!.values).toEqual([5]);
  });

  it('leads from a latency bucket to its trace through /api/v1/query_exemplars', async () => {
    const start = String((Date.now() - 3_600_000) / 1000);
    const { body } = await api<Array<{ seriesLabels: Record<string, string>; exemplars: Array<{ labels: Record<string, string>; value: string; timestamp: number }> }>>(
      `/api/v1/query_exemplars?query=${encodeURIComponent('histogram_quantile(0.99, rate(http_server_request_duration_seconds_bucket{job="order"}[5m]))')}&start=${start}`,
    );
    expect(body.status).toBe('success');
    expect(body.data).toHaveLength(1);
    expect(body.data[0]!.seriesLabels).toMatchObject({ __name__: 'http_server_request_duration_seconds_bucket', le: '0.1', route: '/orders/:id', job: 'order' });
    expect(body.data[0]!.exemplars).toEqual([{ labels: { trace_id: TRACE_ID }, value: '0.042', timestamp: expect.any(Number) }]);
  });

  it('lists label names, label values and metadata', async () => {
    expect((await api<string[]>('/api/v1/labels')).body.data).toEqual(expect.arrayContaining(['__name__', 'channel', 'instance', 'job', 'le', 'route']));
    expect((await api<string[]>('/api/v1/label/job/values')).body.data).toEqual(['order']);
    expect((await api('/api/v1/metadata?metric=orders_created')).body.data).toEqual({ orders_created: [{ type: 'counter', help: 'Orders created.', unit: '' }] });
  });

  it('takes the Prometheus text format and grouping labels in base64, as the Pushgateway does', async () => {
    const path = `/metrics/job/batch/path@base64/${Buffer.from('/var/tmp').toString('base64url')}`;
    expect((await push(path, '# TYPE rows_processed counter\nrows_processed 12\n', 'text/plain; version=0.0.4', 'PUT')).status).toBe(200);
    expect((await api('/api/v1/series?match[]=rows_processed')).body.data).toEqual([{ __name__: 'rows_processed', job: 'batch', path: '/var/tmp' }]);
  });

  it('refuses a malformed push whole, naming the line, and keeps what was pushed before', async () => {
    const bad = await push('/metrics/job/order/instance/host-a:4242', 'orders_created_total{channel="web"} 6\nbroken{ 1\n', 'text/plain');
    expect(bad).toEqual({ status: 400, body: { error: expect.stringContaining('line 2: invalid label name') } });
    const [series] = await collector.stores.metrics.selectSeries([{ name: '__name__', type: '=', value: 'orders_created_total' }], 0, Date.now());
    expect(series!.values).toEqual([5]);
  });

  it.each([
    ['/metrics/job/order', 'x 1\n', 'application/vnd.google.protobuf', 415, 'is not supported'],
    ['/metrics/job/order/instance', 'x 1\n', 'text/plain', 404, 'expected /metrics/job/<job>{/<label>/<value>}'],
    ['/metrics/job/order/__meta/x', 'x 1\n', 'text/plain', 400, 'grouping label name "__meta" in the path is not a valid Prometheus label name'],
  ])('refuses %s as %s with %i', async (path, body, contentType, status, message) => {
    const res = await push(path, body, contentType);
    expect(res.status).toBe(status);
    expect(res.body.error).toContain(message);
  });

  it('refuses new series beyond the per-metric limit, stores the rest, and keeps the old series working', async () => {
    const limited = await startTestCollector(['--grpc-port', 'off', '--max-series-per-metric', '2']);
    try {
      const pushTo = async (body: string) => {
        const res = await fetch(`${limited.url}/metrics/job/batch`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body });
        return (await res.json()) as { samples: number; refused?: number; error?: string };
      };
      expect(await pushTo('jobs_total{queue="a"} 1\njobs_total{queue="b"} 2\njobs_total{queue="c"} 3\nother 1\n')).toEqual({
        samples: 3,
        exemplars: 0,
        metadata: 0,
        refused: 1,
        error: 'series limit reached for metric "jobs_total": 2 series (metrics.maxSeriesPerMetric); new series of it are refused',
      });
      expect(await pushTo('jobs_total{queue="a"} 10\n')).toMatchObject({ samples: 1 });
      const [a] = await limited.stores.metrics.selectSeries([{ name: 'queue', type: '=', value: 'a' }], 0, Date.now() + 1000);
      expect(a!.values).toEqual([1, 10]);
      expect(await limited.stores.metrics.selectSeries([{ name: 'queue', type: '=', value: 'c' }], 0, Date.now() + 1000)).toEqual([]);
      const exposition = await (await fetch(`${limited.url}/metrics`)).text();
      expect(exposition).toMatch(/mirador_receiver_rejected_items_total\{signal="metrics",reason="series_limit"\} 1/);
    } finally {
      await limited.stop();
    }
  });

  it('answers bad queries with Prometheus bad_data errors that say what is wrong', async () => {
    expect(await api('/api/v1/series')).toEqual({ status: 400, body: { status: 'error', errorType: 'bad_data', error: 'no match[] parameter provided' } });
    expect((await api('/api/v1/series?match[]=up{')).body.error).toContain('invalid parameter "match[]": parse error at character 4');
    expect((await api('/api/v1/series?match[]=up&start=yesterday')).body.error).toBe('invalid parameter "start": cannot parse "yesterday" to a valid timestamp');
    expect((await api('/api/v1/query_exemplars')).body.error).toBe('invalid parameter "query": required');
  });
});
