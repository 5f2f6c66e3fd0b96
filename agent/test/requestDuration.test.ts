/**
 * The request-duration histogram as a Prometheus that scrapes the service (or
 * the collector it is pushed to) reads it through prom-client's registry:
 * one series per route, method and status, cumulative buckets, and the
 * trace id of the latest sampled request of each bucket as its exemplar.
 */
import { Registry, type OpenMetricsContentType } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { RequestDurationHistogram } from '../src/requestDuration.ts';

function newHistogram() {
  const registry = new Registry<OpenMetricsContentType>();
  registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  return { registry, histogram: new RequestDurationHistogram(registry) };
}

/** The exposition's lines of one series (`route`, `method`, `status_code`), without the HELP and TYPE lines. */
async function seriesLines(registry: Registry<OpenMetricsContentType>, labels: string): Promise<string[]> {
  return (await registry.metrics()).split('\n').filter((l) => l.startsWith('http_server_request_duration_seconds') && l.includes(labels));
}

describe('the request-duration histogram', () => {
  it('counts each request in the series of its own route, method and status, however they interleave', async () => {
    const { registry, histogram } = newHistogram();
    // Each request changes one label of the one before it: status, route, route, method, then back.
    const requests = [
      { method: 'GET', route: '/orders/:id', statusCode: 200, durationSeconds: 0.003, traceId: 'a'.repeat(32), endEpochMs: 1_796_612_585_001 },
      { method: 'GET', route: '/orders/:id', statusCode: 200, durationSeconds: 0.02, traceId: '', endEpochMs: 0 },
      { method: 'GET', route: '/orders/:id', statusCode: 404, durationSeconds: 0.001, traceId: '', endEpochMs: 0 },
      { method: 'GET', route: '', statusCode: 404, durationSeconds: 0.001, traceId: '', endEpochMs: 0 },
      { method: 'GET', route: '/stock/:sku', statusCode: 404, durationSeconds: 7, traceId: 'c'.repeat(32), endEpochMs: 1_796_612_585_005 },
      { method: 'POST', route: '/stock/:sku', statusCode: 404, durationSeconds: 0.2, traceId: 'b'.repeat(32), endEpochMs: 1_796_612_585_006 },
      { method: 'GET', route: '/orders/:id', statusCode: 200, durationSeconds: 0.004, traceId: 'd'.repeat(32), endEpochMs: 1_796_612_585_123 },
    ];
    for (const r of requests) histogram.record(r);

    const count = async (labels: string) => (await seriesLines(registry, labels)).find((l) => l.includes('_count'));
    const getOrders = await seriesLines(registry, 'route="/orders/:id",method="GET",status_code="200"');
    expect(getOrders.find((l) => l.includes('_count'))).toMatch(/ 3$/);
    expect(getOrders.find((l) => l.includes('_sum'))).toMatch(/ 0\.027$/);
    // Two of three within 5 ms, with the latest sampled trace of that bucket as exemplar, at the time that request was done; all three within 25 ms.
    expect(getOrders.find((l) => l.includes('le="0.005"'))).toMatch(new RegExp(`} 2 # \\{trace_id="${'d'.repeat(32)}"\\} 0\\.004 1796612585\\.123$`));
    expect(getOrders.find((l) => l.includes('le="0.025"'))).toMatch(/} 3$/);
    expect(await count('route="/orders/:id",method="GET",status_code="404"')).toMatch(/ 1$/);
    // A request no route matched has a series of its own, with an empty route.
    expect(await count('route="",method="GET",status_code="404"')).toMatch(/ 1$/);
    expect(await count('route="/stock/:sku",method="POST",status_code="404"')).toMatch(/ 1$/);
    const stock = await seriesLines(registry, 'route="/stock/:sku",method="GET",status_code="404"');
    expect(stock.find((l) => l.includes('le="5"'))).toMatch(/} 0$/);
    expect(stock.find((l) => l.includes('le="10"'))).toMatch(new RegExp(`} 1 # \\{trace_id="${'c'.repeat(32)}"\\} 7 `));

    histogram.reset();
    histogram.record(requests[0]!);
    expect((await registry.metrics()).split('\n').filter((l) => l.startsWith('http_server_request_duration_seconds_count'))).toEqual([
      'http_server_request_duration_seconds_count{route="/orders/:id",method="GET",status_code="200"} 1',
    ]);
  });
});
