import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningCollector } from '../../../src/Collector.ts';
import { getJson } from '../../support/testCollector.ts';
import { logsRequest, sendJson, sid, tid } from '../../support/otlpJson.ts';

/**
 * The logs API's behaviour, the same whatever store holds the records: run
 * by logsApi.test.ts on the embedded store and by the search backends' tests
 * on a real OpenSearch node. `start` gives a running collector.
 */
export function logsApiSuite(start: () => Promise<RunningCollector>): void {
  let collector: RunningCollector;
  type Page = { data: Array<{ body: string; serviceName: string; severityText: string; timestamp: string }>; nextCursor: string | null; error?: string; param?: string };
  const T0 = Date.now() - 30 * 60_000;

  beforeAll(async () => {
    collector = await start();
    await sendJson(collector.url, '/v1/logs', logsRequest('payment', [
      { timeMs: T0 + 3000, body: 'charge timed out, retrying', severityNumber: 13, severityText: 'WARN', traceId: tid(1), spanId: sid(2) },
      { timeMs: T0 + 1000, body: 'charging card ending 4242', traceId: tid(1), spanId: sid(2) },
      { timeMs: T0 + 5000, body: 'Payment FAILED: card declined', severityNumber: 17, severityText: 'ERROR', traceId: tid(1), spanId: sid(2) },
      { timeMs: T0 + 6000, body: 'queue depth 50% of 100_000', severityText: 'error', severityNumber: 0 },
    ]));
    await sendJson(collector.url, '/v1/logs', logsRequest('order', [
      { timeMs: T0 + 500, body: 'order created', traceId: tid(1), spanId: sid(1) },
      { timeMs: T0 + 7000, body: 'order failed, compensating', severityNumber: 17, severityText: 'ERROR', traceId: tid(1), spanId: sid(1) },
      { timeMs: T0 + 8000, body: 'another request', traceId: tid(2), spanId: sid(9) },
    ]));
    await collector.stores.flush();
  });
  afterAll(async () => {
    await collector.stop();
  });

  const logs = (qs: string) => getJson<Page>(collector.url, `/api/logs?${qs}`);
  const bodies = (r: { body: Page }) => r.body.data.map((l) => l.body);

  describe('GET /api/logs', () => {
    it('returns every record of one trace from every service, in time order', async () => {
      expect(bodies(await logs(`traceId=${tid(1)}`))).toEqual([
        'order created',
        'charging card ending 4242',
        'charge timed out, retrying',
        'Payment FAILED: card declined',
        'order failed, compensating',
      ]);
    });

    it('narrows by span id', async () => {
      expect(bodies(await logs(`spanId=${sid(1)}`))).toEqual(['order created', 'order failed, compensating']);
    });

    it('searches newest first by service, severity and case-insensitive text', async () => {
      expect(bodies(await logs('service=payment'))).toEqual(['queue depth 50% of 100_000', 'Payment FAILED: card declined', 'charge timed out, retrying', 'charging card ending 4242']);
      expect(bodies(await logs('severity=error'))).toEqual(['order failed, compensating', 'queue depth 50% of 100_000', 'Payment FAILED: card declined']);
      expect(bodies(await logs('severity=warn,error&service=payment'))).toEqual(['queue depth 50% of 100_000', 'Payment FAILED: card declined', 'charge timed out, retrying']);
      expect(bodies(await logs('q=payment%20failed'))).toEqual(['Payment FAILED: card declined']);
      expect(bodies(await logs('q=50%25'))).toEqual(['queue depth 50% of 100_000']);
      expect(bodies(await logs('q=100_000'))).toEqual(['queue depth 50% of 100_000']);
    });

    it('takes start and end as RFC 3339 or Unix milliseconds', async () => {
      const iso = (ms: number) => new Date(ms).toISOString();
      expect(bodies(await logs(`start=${iso(T0 + 2000)}&end=${iso(T0 + 5000)}`))).toEqual(['Payment FAILED: card declined', 'charge timed out, retrying']);
      expect(bodies(await logs(`start=${T0 + 2000}&end=${T0 + 5000}`))).toEqual(['Payment FAILED: card declined', 'charge timed out, retrying']);
    });

    it('pages with a cursor without repeating or skipping records', async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const r: { body: Page } = await logs(`limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        seen.push(...bodies(r));
        cursor = r.body.nextCursor;
        pages++;
      } while (cursor !== null && pages < 10);
      expect(pages).toBe(4);
      expect(seen).toHaveLength(7);
      expect(new Set(seen).size).toBe(7);
    });

    it('searches the last hour when no start is given', async () => {
      expect(bodies(await logs(`end=${T0 + 2000}`))).toEqual(['charging card ending 4242', 'order created']);
      expect(bodies(await logs(`end=${T0 - 3_600_000}`))).toEqual([]);
    });

    it.each([
      ['traceId=xyz', 'traceId', 'traceId: expected a trace id of up to 32 hex digits, got "xyz"'],
      ['spanId=12', 'spanId', 'spanId: expected a span id of 16 hex digits, got "12"'],
      ['start=last%20tuesday', 'start', 'start: expected an RFC 3339 time (2026-11-21T10:00:00Z) or Unix milliseconds, got "last tuesday"'],
      ['severity=loud', 'severity', 'severity: expected level names (trace, debug, info, warn, error, fatal) or number ranges such as 17-24, got "loud"'],
      ['limit=-1', 'limit', 'limit: expected a positive integer, got "-1"'],
      ['cursor=abc', 'cursor', 'cursor: not a cursor this API returned (pass nextCursor unchanged)'],
      ['start=2000&end=1000', 'start', 'start: must not be after end'],
    ])('answers 400 naming the parameter for %s', async (qs, param, error) => {
      const r = await logs(qs);
      expect(r.status).toBe(400);
      expect(r.body).toEqual({ error, param });
    });
  });
}
