import { describe, expect, it } from 'vitest';
import { startOpenSearch, type RunningOpenSearch } from '../../../scripts/openSearchNode.ts';
import { useOpenSearchNode } from '../support/openSearch.ts';
import { getJson, startTestCollector } from '../support/testCollector.ts';
import { logsRequest, sendJson, sid, tid, traceRequest } from '../support/otlpJson.ts';

// What the search backend does beyond answering like the embedded store
// (suites in test/api): survive an outage without loss or duplicates, keep
// the mapping small whatever the attributes, refuse one document without
// losing its batch, and delete old days. Against real OpenSearch 2 nodes.

const node = useOpenSearchNode();

let n = 0;
const prefix = () => `behaviour${++n}`;
const collectorOn = (url: string, indexPrefix: string, extra: string[] = []) =>
  startTestCollector(['--storage-backend', 'opensearch', '--search-url', url, '--index-replicas', '0', '--index-prefix', indexPrefix, ...extra]);

/** A request straight to the node. */
async function os<T>(url: string, path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const res = await fetch(url + path, { method: init.method ?? 'GET', headers: { 'content-type': 'application/json' }, ...(init.body !== undefined && { body: JSON.stringify(init.body) }) });
  return (await res.json()) as T;
}
const count = async (url: string, index: string, query: unknown = { match_all: {} }) => (await os<{ count: number }>(url, `/${index}/_count`, { method: 'POST', body: { query } })).count;

describe('an outage of the search cluster', () => {
  it('loses nothing that was acknowledged and stores nothing twice, once the node is back', async () => {
    const outage = await startOpenSearch();
    const indexPrefix = prefix();
    const collector = await collectorOn(outage.url, indexPrefix);
    let node2: RunningOpenSearch | null = null;
    try {
      const now = Date.now() - 60_000;
      let acknowledgedLogs = 0;
      let acknowledgedSpans = 0;
      const send = async (i: number) => {
        // Each request: 20 log lines and a 5-span trace, all distinct.
        const logs = Array.from({ length: 20 }, (_, j) => ({ timeMs: now + i, body: `request ${i} line ${j}`, traceId: tid(i + 1), spanId: sid(1) }));
        const spans = Array.from({ length: 5 }, (_, j) => ({ traceId: tid(i + 1), spanId: sid(j + 1), ...(j > 0 && { parentSpanId: sid(1) }), name: `op ${j}`, startMs: now + i + j, durationMs: 10 }));
        const [l, s] = await Promise.all([
          fetch(`${collector.url}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(logsRequest('outage', logs)) }),
          fetch(`${collector.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(traceRequest(i % 2 === 0 ? 'outage' : 'other', spans)) }),
        ]);
        if (l.status === 200) acknowledgedLogs += logs.length;
        if (s.status === 200) acknowledgedSpans += spans.length;
      };
      let i = 0;
      for (; i < 40; i++) await send(i);
      await outage.stop({ hard: true }); // killed mid-stream: some bulk requests die half-written
      for (; i < 120; i++) await send(i);
      node2 = await startOpenSearch({ home: outage.home, httpPort: outage.httpPort, transportPort: outage.transportPort });
      for (; i < 160; i++) await send(i);
      await collector.stores.flush();

      const metrics = await (await fetch(`${collector.url}/metrics`)).text();
      expect(Number(/^mirador_search_retries_total (\d+)/m.exec(metrics)?.[1])).toBeGreaterThan(0); // the outage was felt
      expect(acknowledgedLogs).toBe(160 * 20); // the spool took everything while the node was away
      expect(acknowledgedSpans).toBe(160 * 5);
      expect(await count(node2.url, `${indexPrefix}-logs-*`)).toBe(acknowledgedLogs);
      expect(await count(node2.url, `${indexPrefix}-spans-*`)).toBe(acknowledgedSpans);
      // Summaries merged each span once, however often a batch was sent.
      const sums = await os<{ aggregations: { spans: { value: number }; traces: { value: number } } }>(node2.url, `/${indexPrefix}-traces-*/_search`, {
        method: 'POST',
        body: { size: 0, aggs: { spans: { sum: { field: 'span_count' } }, traces: { value_count: { field: 'trace.id' } } } },
      });
      expect(sums.aggregations.spans.value).toBe(acknowledgedSpans);
      expect(sums.aggregations.traces.value).toBe(160);
      // And the API answers from it: one request's lines by its trace id.
      const page = await getJson<{ data: Array<{ body: string }> }>(collector.url, `/api/logs?traceId=${tid(100)}&limit=100`);
      expect(page.body.data.map((l) => l.body).sort()).toEqual(Array.from({ length: 20 }, (_, j) => `request 99 line ${j}`).sort());
    } finally {
      await collector.stop();
      await node2?.stop();
      await outage.stop();
    }
  }, 240_000);
});

describe('mapping safety', () => {
  it('keeps the mapping to its fixed fields when spans bring thousands of distinct attribute keys, and still finds them by tag', async () => {
    const indexPrefix = prefix();
    const collector = await collectorOn(node().url, indexPrefix, ['--max-attributes', '200']);
    try {
      const now = Date.now() - 60_000;
      for (let t = 0; t < 20; t++) {
        const spans = Array.from({ length: 10 }, (_, j) => ({
          traceId: tid(1000 + t),
          spanId: sid(j + 1),
          name: 'wide',
          startMs: now + t,
          durationMs: 5,
          attributes: Object.fromEntries(Array.from({ length: 100 }, (_, k) => [`key.${t}.${j}.${k}`, `v${k}`])),
        }));
        await sendJson(collector.url, '/v1/traces', traceRequest('wide', spans));
      }
      await collector.stores.flush();
      expect(await count(node().url, `${indexPrefix}-spans-*`)).toBe(200); // 20,000 distinct keys were sent

      const mapping = await os<Record<string, { mappings: unknown }>>(node().url, `/${indexPrefix}-*/_mapping`);
      for (const [index, { mappings }] of Object.entries(mapping)) {
        expect(fieldCount(mappings), index).toBeLessThan(40);
      }
      const found = await getJson<{ data: Array<{ traceID: string; spans: Array<{ tags: Array<{ key: string; value: unknown }> }> }> }>(
        collector.url,
        `/api/traces?service=wide&tags=${encodeURIComponent('{"key.7.3.42":"v42"}')}&lookback=1h`,
      );
      expect(found.body.data.map((t) => t.traceID)).toEqual([tid(1007)]);
      expect(found.body.data[0]!.spans.flatMap((s) => s.tags).filter((tag) => tag.key.startsWith('key.'))).toHaveLength(1000);
    } finally {
      await collector.stop();
    }
  });
});

describe('a document the cluster refuses', () => {
  it('is counted with its status and the rest of its batch stands', async () => {
    const indexPrefix = prefix();
    const collector = await collectorOn(node().url, indexPrefix);
    try {
      const yesterday = Date.now() - 86_400_000;
      const today = Date.now() - 60_000;
      await sendJson(collector.url, '/v1/logs', logsRequest('refusal', [{ timeMs: yesterday, body: 'first of yesterday' }]));
      await collector.stores.flush();
      const day = new Date(yesterday).toISOString().slice(0, 10).replaceAll('-', '.');
      await os(node().url, `/${indexPrefix}-logs-${day}/_settings`, { method: 'PUT', body: { 'index.blocks.write': true } });

      await sendJson(collector.url, '/v1/logs', logsRequest('refusal', [
        { timeMs: today, body: 'today one' },
        { timeMs: yesterday + 1, body: 'late line for a read-only day' },
        { timeMs: today + 1, body: 'today two' },
      ]));
      await collector.stores.flush();
      const page = await getJson<{ data: Array<{ body: string }> }>(collector.url, `/api/logs?service=refusal&start=${yesterday - 1000}&end=${today + 1000}`);
      expect(page.body.data.map((l) => l.body)).toEqual(['today two', 'today one', 'first of yesterday']);
      const metrics = await (await fetch(`${collector.url}/metrics`)).text();
      expect(metrics).toMatch(/^mirador_search_rejected_documents_total\{status="403"\} 1$/m);
    } finally {
      await collector.stop();
    }
  });
});

describe("a query while a day's indices are being created", () => {
  it('waits for their shards instead of failing', async () => {
    const indexPrefix = prefix();
    const collector = await collectorOn(node().url, indexPrefix);
    try {
      // Each span of a day not seen before makes the spool create that day's indices; queries poll meanwhile, as a user's would.
      const statuses = new Map<number, number>();
      for (let day = 1; day <= 4; day++) {
        const startMs = Date.now() - day * 86_400_000;
        await sendJson(collector.url, '/v1/traces', traceRequest('racing', [{ traceId: tid(day), spanId: sid(1), name: 'GET /', startMs, durationMs: 1 }]));
        for (;;) {
          const r = await getJson<{ data: unknown[] | null; errors: unknown }>(collector.url, `/api/traces?service=racing&start=${(startMs - 1000) * 1000}&end=${(startMs + 1000) * 1000}`);
          statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
          expect(r.status, JSON.stringify(r.body.errors)).toBe(200);
          if (r.body.data!.length === 1) break;
        }
      }
      expect([...statuses.keys()]).toEqual([200]);
    } finally {
      await collector.stop();
    }
  });
});

describe('retention', () => {
  it('deletes whole days before the cutoff and keeps the rest', async () => {
    const indexPrefix = prefix();
    const collector = await collectorOn(node().url, indexPrefix);
    try {
      const old = Date.now() - 3 * 86_400_000;
      const recent = Date.now() - 60_000;
      await sendJson(collector.url, '/v1/logs', logsRequest('keep', [{ timeMs: old, body: 'old line' }, { timeMs: recent, body: 'recent line' }]));
      await sendJson(collector.url, '/v1/traces', traceRequest('keep', [
        { traceId: tid(1), spanId: sid(1), name: 'old', startMs: old, durationMs: 1 },
        { traceId: tid(2), spanId: sid(1), name: 'recent', startMs: recent, durationMs: 1 },
      ]));
      await collector.stores.flush();
      const cutoff = BigInt(Date.now() - 86_400_000) * 1_000_000n;
      expect(await collector.stores.logs.deleteBefore(cutoff)).toBe(1);
      expect(await collector.stores.spans.deleteBefore(cutoff)).toBe(1);
      const page = await getJson<{ data: Array<{ body: string }> }>(collector.url, `/api/logs?service=keep&start=${old - 1000}&end=${recent + 1000}`);
      expect(page.body.data.map((l) => l.body)).toEqual(['recent line']);
      expect((await getJson(collector.url, `/api/traces/${tid(1)}`)).status).toBe(404);
      expect((await getJson(collector.url, `/api/traces/${tid(2)}`)).status).toBe(200);
      expect((await getJson<{ data: string[] }>(collector.url, '/api/services/keep/operations')).body.data).toEqual(['recent']);
    } finally {
      await collector.stop();
    }
  });
});

/** Leaf fields of a mapping. */
function fieldCount(mapping: unknown): number {
  const properties = (mapping as { properties?: Record<string, unknown> }).properties;
  if (properties === undefined) return 1;
  return Object.values(properties).reduce<number>((sum, field) => sum + fieldCount(field), 0);
}
