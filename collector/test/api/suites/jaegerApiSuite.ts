import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JaegerTrace } from '../../../src/api/jaegerModel.ts';
import type { RunningCollector } from '../../../src/Collector.ts';
import { getJson } from '../../support/testCollector.ts';
import { sendJson, sid, tid, traceRequest } from '../../support/otlpJson.ts';

/**
 * The Jaeger query API's behaviour, the same whatever store holds the spans:
 * run by jaegerApi.test.ts on the embedded store and by the search backends'
 * tests on a real OpenSearch node. `start` gives a running collector.
 */
export function jaegerApiSuite(start: () => Promise<RunningCollector>): void {
  let collector: RunningCollector;
  const T0 = Date.now() - 10 * 60_000; // ten minutes ago
  const us = (ms: number) => String(Math.round(ms * 1000));

  beforeAll(async () => {
    collector = await start();
    // Trace n: gateway GET /api/orders (server) → order POST /orders (server); n=1..6, one minute apart.
    for (let n = 1; n <= 6; n++) {
      const start = T0 + n * 60_000;
      await sendJson(collector.url, '/v1/traces', traceRequest('gateway', [
        { traceId: tid(n), spanId: sid(n * 10), name: 'GET /api/orders', startMs: start, durationMs: n * 100, attributes: { 'http.response.status_code': n === 4 ? 500 : 200, 'customer.tier': n % 2 === 0 ? 'gold' : 'basic' }, error: n === 4 },
        { traceId: tid(n), spanId: sid(n * 10 + 1), parentSpanId: sid(n * 10), name: 'POST order', kind: 3, startMs: start + 1, durationMs: n * 50 },
      ], { 'k8s.pod.name': `gateway-${n}` }));
      await sendJson(collector.url, '/v1/traces', traceRequest('order', [
        { traceId: tid(n), spanId: sid(n * 10 + 2), parentSpanId: sid(n * 10 + 1), name: 'POST /orders', startMs: start + 2, durationMs: n * 40 },
      ]));
    }
    await collector.stores.flush();
  });
  afterAll(async () => {
    await collector.stop();
  });

  type Search = { data: JaegerTrace[]; errors: Array<{ code: number; msg: string }> | null };
  const search = (qs: string) => getJson<Search>(collector.url, `/api/traces?${qs}`);
  const ids = (r: { body: Search }) => r.body.data.map((t) => t.traceID);

  describe('Jaeger query API', () => {
    it('lists services and their operations', async () => {
      expect((await getJson(collector.url, '/api/services')).body).toMatchObject({ data: ['gateway', 'order'], total: 2 });
      expect((await getJson(collector.url, '/api/services/gateway/operations')).body).toMatchObject({ data: ['GET /api/orders', 'POST order'] });
      expect((await getJson(collector.url, '/api/operations?service=gateway&spanKind=client')).body).toMatchObject({ data: [{ name: 'POST order', spanKind: 'client' }] });
    });

    it('finds traces by service, newest first, each whole across services', async () => {
      const r = await search(`service=order&start=${us(T0)}&end=${us(T0 + 3_600_000)}`);
      expect(r.status).toBe(200);
      expect(ids(r)).toEqual([6, 5, 4, 3, 2, 1].map(tid));
      expect(r.body.data[0]!.spans.map((s) => s.operationName).sort()).toEqual(['GET /api/orders', 'POST /orders', 'POST order']);
    });

    it('applies the limit after the filters', async () => {
      const r = await search(`service=gateway&operation=${encodeURIComponent('GET /api/orders')}&tags=${encodeURIComponent('{"customer.tier":"gold"}')}&limit=2&start=${us(T0)}&end=${us(T0 + 3_600_000)}`);
      expect(ids(r)).toEqual([tid(6), tid(4)]);
    });

    it('filters by duration, by time range and by derived tags', async () => {
      expect(ids(await search(`service=gateway&operation=${encodeURIComponent('GET /api/orders')}&minDuration=250ms&maxDuration=0.45s&start=${us(T0)}&end=${us(T0 + 3_600_000)}`))).toEqual([tid(4), tid(3)]);
      expect(ids(await search(`service=gateway&start=${us(T0 + 2 * 60_000)}&end=${us(T0 + 3 * 60_000 + 500)}`))).toEqual([tid(3), tid(2)]);
      expect(ids(await search(`service=gateway&tags=${encodeURIComponent('{"error":"true"}')}&start=${us(T0)}&end=${us(T0 + 3_600_000)}`))).toEqual([tid(4)]);
      expect(ids(await search(`service=gateway&tag=http.response.status_code:500&start=${us(T0)}&end=${us(T0 + 3_600_000)}`))).toEqual([tid(4)]);
      expect(ids(await search(`service=gateway&tags=${encodeURIComponent('{"k8s.pod.name":"gateway-5"}')}&start=${us(T0)}&end=${us(T0 + 3_600_000)}`))).toEqual([tid(5)]);
    });

    it('searches the last hour by lookback when no start is given', async () => {
      expect(ids(await search('service=gateway&lookback=1h'))).toHaveLength(6);
      expect(ids(await search('service=gateway&lookback=3m'))).toEqual([]);
    });

    it('fetches several traces by traceID', async () => {
      expect(ids(await search(`traceID=${tid(2)}&traceID=${tid(5)}`)).sort()).toEqual([tid(2), tid(5)]);
    });

    it('answers 404 in Jaeger error shape for an unknown trace', async () => {
      const r = await getJson<Search>(collector.url, `/api/traces/${tid(999)}`);
      expect(r.status).toBe(404);
      expect(r.body.errors).toEqual([{ code: 404, msg: `trace ${tid(999)} not found` }]);
    });

    it('accepts 64-bit trace ids by left-padding them', async () => {
      const r = await getJson<Search>(collector.url, `/api/traces/${(3).toString(16).padStart(16, '0')}`);
      expect(r.status).toBe(200);
      expect(r.body.data[0]!.traceID).toBe(tid(3));
    });

    it.each([
      ['service=gateway&start=yesterday', 'start: expected Unix microseconds (digits), got "yesterday"'],
      ['service=gateway&minDuration=fast', 'minDuration: expected a duration such as 250ms, 1.5s or 2m, got "fast"'],
      ['service=gateway&limit=0', 'limit: expected a positive integer, got "0"'],
      ['service=gateway&limit=100000', 'limit: at most 1500 (the configured maximum), got 100000'],
      ['service=gateway&tags=%7Bnope', 'tags: expected a JSON object such as {"http.status_code":"500"}, got "{nope"'],
      ['lookback=1h', 'service: required for a trace search (or give traceID)'],
      ['traceID=xyz', 'traceID: expected a trace id of up to 32 hex digits, got "xyz"'],
    ])('answers 400 naming the parameter for %s', async (qs, msg) => {
      const r = await search(qs);
      expect(r.status).toBe(400);
      expect(r.body.errors).toEqual([{ code: 400, msg }]);
    });

    it('reports calls between services as dependencies', async () => {
      const r = await getJson<{ data: unknown[] }>(collector.url, `/api/dependencies?endTs=${Date.now()}&lookback=3600000`);
      expect(r.body.data).toEqual([{ parent: 'gateway', child: 'order', callCount: 6 }]);
    });
  });

  describe("Grafana's Jaeger data source", () => {
    it('gets its search answered: tags from logfmt as JSON, lookback=custom with start and end in microseconds', async () => {
      // The request Grafana's Jaeger data source sends for a search.
      const qs = new URLSearchParams({ service: 'gateway', operation: 'GET /api/orders', tags: '{"error":"true"}', limit: '20', start: us(T0), end: us(T0 + 3_600_000), lookback: 'custom' });
      const r = await search(qs.toString());
      expect(r.status).toBe(200);
      expect(ids(r)).toEqual([tid(4)]);
    });

    it('gets its connection test answered with services', async () => {
      const r = await getJson<{ data: string[] }>(collector.url, '/api/services');
      expect(r.body.data.length).toBeGreaterThan(0);
    });
  });
}
