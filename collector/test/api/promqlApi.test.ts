/** The PromQL endpoints' refusals: each names what is wrong, in Prometheus' error shape and status. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCollector } from '../support/testCollector.ts';

type Collector = Awaited<ReturnType<typeof startTestCollector>>;
let collector: Collector;
beforeAll(async () => {
  collector = await startTestCollector(['--grpc-port', 'off']);
  await collector.stores.metrics.appendSamples([
    { labels: { __name__: 'up', job: 'a', instance: '1' }, timestampMs: Date.now() - 1000, value: 1 },
    { labels: { __name__: 'up', job: 'a', instance: '2' }, timestampMs: Date.now() - 1000, value: 1 },
  ]);
});
afterAll(async () => {
  await collector.stop();
});

const get = async (path: string) => {
  const res = await fetch(`${collector.url}${path}`);
  return { status: res.status, body: (await res.json()) as { status: string; errorType?: string; error?: string; data?: { resultType: string; result: unknown[] } } };
};

describe('/api/v1/query and /api/v1/query_range', () => {
  it('answers an instant query, by GET and by form POST', async () => {
    expect((await get('/api/v1/query?query=sum(up)')).body.data).toMatchObject({ resultType: 'vector', result: [{ metric: {}, value: [expect.any(Number), '2'] }] });
    const res = await fetch(`${collector.url}/api/v1/query`, { method: 'POST', body: new URLSearchParams({ query: 'count(up) * 2' }) });
    expect(((await res.json()) as { data: { result: Array<{ value: [number, string] }> } }).data.result[0]!.value[1]).toBe('4');
  });

  it('tells Grafana which Prometheus version its PromQL follows', async () => {
    expect((await get('/api/v1/status/buildinfo')).body).toMatchObject({ status: 'success', data: { version: '2.42.0' } });
  });

  it.each([
    ['/api/v1/query?query=sum(', 400, 'bad_data', 'invalid parameter "query": parse error at character 5'],
    ['/api/v1/query?query=rate(up)', 400, 'bad_data', 'expected type range vector in call to function "rate", got instant vector'],
    ['/api/v1/query?query=nosuchfn(up)', 400, 'bad_data', 'unknown function with name "nosuchfn"'],
    ['/api/v1/query', 400, 'bad_data', 'invalid parameter "query": required'],
    ['/api/v1/query?query=up&time=soon', 400, 'bad_data', 'invalid parameter "time": cannot parse "soon" to a valid timestamp'],
    ['/api/v1/query_range?query=up&start=0&end=100', 400, 'bad_data', 'invalid parameter "step": required'],
    ['/api/v1/query_range?query=up&start=100&end=0&step=1', 400, 'bad_data', 'end timestamp must not be before start time'],
    ['/api/v1/query_range?query=up&start=0&end=100000&step=1', 400, 'bad_data', 'exceeded maximum resolution of 11,000 points per timeseries'],
    ['/api/v1/query_range?query=up[5m]&start=0&end=100&step=10', 400, 'bad_data', 'invalid expression type "range vector" for range query, must be Scalar or instant Vector'],
    ['/api/v1/query?query=up%20%2B%20on()%20up', 422, 'execution', 'many-to-many matching not allowed'],
  ])('%s → %i %s', async (path, status, errorType, message) => {
    const { status: got, body } = await get(path);
    expect(got).toBe(status);
    expect(body).toMatchObject({ status: 'error', errorType });
    expect(body.error).toContain(message);
  });
});
