/**
 * The requests Grafana's Prometheus data source sends (version detection, the
 * "Save & test" health query, the query editor's metric and label browsers,
 * a panel's range query as form POST, exemplars), answered in the shapes it
 * reads.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCollector } from '../support/testCollector.ts';

type Collector = Awaited<ReturnType<typeof startTestCollector>>;
let collector: Collector;
const now = Math.floor(Date.now() / 1000);

beforeAll(async () => {
  collector = await startTestCollector(['--grpc-port', 'off']);
  const samples = [];
  for (let i = 0; i < 20; i++) {
    for (const route of ['/orders', '/catalog']) {
      samples.push({ labels: { __name__: 'http_server_request_duration_seconds_count', job: 'gateway', route }, timestampMs: (now - 600 + i * 15) * 1000, value: i * (route === '/orders' ? 3 : 1) });
    }
  }
  await collector.stores.metrics.appendSamples(samples, [{ metric: 'http_server_request_duration_seconds', type: 'histogram', help: 'Request duration.', unit: 'seconds' }]);
});
afterAll(async () => {
  await collector.stop();
});

async function get(path: string) {
  const res = await fetch(`${collector.url}${path}`);
  return { status: res.status, body: (await res.json()) as { status: string; data: unknown } };
}

async function post(path: string, form: Record<string, string>) {
  const res = await fetch(`${collector.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-grafana-org-id': '1' }, body: new URLSearchParams(form) });
  return { status: res.status, body: (await res.json()) as { status: string; data: unknown } };
}

describe('what Grafana asks a Prometheus data source', () => {
  it('detects the version (buildinfo) and passes "Save & test" (the instant query 1+1)', async () => {
    expect((await get('/api/v1/status/buildinfo')).body.data).toMatchObject({ version: '2.42.0' });
    expect((await get(`/api/v1/query?query=1%2B1&time=${now}`)).body).toEqual({ status: 'success', data: { resultType: 'scalar', result: [now, '2'] } });
  });

  it('fills the metric and label browsers', async () => {
    expect((await get(`/api/v1/label/__name__/values?start=${now - 3600}&end=${now}`)).body.data).toEqual(['http_server_request_duration_seconds_count']);
    expect((await get(`/api/v1/labels?start=${now - 3600}&end=${now}`)).body.data).toEqual(['__name__', 'job', 'route']);
    expect((await get(`/api/v1/label/route/values?match[]=${encodeURIComponent('{job="gateway"}')}`)).body.data).toEqual(['/catalog', '/orders']);
    expect((await get('/api/v1/metadata')).body.data).toEqual({ http_server_request_duration_seconds: [{ type: 'histogram', help: 'Request duration.', unit: 'seconds' }] });
    expect((await get(`/api/v1/series?match[]=${encodeURIComponent('http_server_request_duration_seconds_count')}&start=${now - 3600}&end=${now}`)).body.data).toHaveLength(2);
  });

  it("answers a panel's range query sent as a form POST, with Grafana's extra parameters", async () => {
    const { status, body } = await post('/api/v1/query_range', {
      query: 'sum by (route) (rate(http_server_request_duration_seconds_count{job="gateway"}[2m]))',
      start: String(now - 300),
      end: String(now),
      step: '60',
      timeout: '30s',
    });
    expect(status).toBe(200);
    const data = body.data as { resultType: string; result: Array<{ metric: Record<string, string>; values: Array<[number, string]> }> };
    expect(data.resultType).toBe('matrix');
    const orders = data.result.find((s) => s.metric.route === '/orders')!;
    expect(orders.values.length).toBeGreaterThan(0);
    expect(Number(orders.values[0]![1])).toBeCloseTo(0.2, 6);
  });

  it('answers the exemplar query Grafana sends beside a panel', async () => {
    const { status, body } = await post('/api/v1/query_exemplars', { query: 'http_server_request_duration_seconds_count', start: String(now - 300), end: String(now) });
    expect(status).toBe(200);
    expect(body).toEqual({ status: 'success', data: [] });
  });
});
