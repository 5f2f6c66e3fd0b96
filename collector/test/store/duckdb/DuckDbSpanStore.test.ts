import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SpanRecord } from '../../../src/model/span.ts';
import { openDuckDbStores } from '../../../src/store/duckdb/DuckDbStores.ts';
import type { Stores } from '../../../src/store/types.ts';
import { tempDataDir } from '../../support/testCollector.ts';

let stores: Stores;
let dataDir: string;
beforeAll(async () => {
  dataDir = tempDataDir();
  stores = await openDuckDbStores({ dataDir, memoryLimit: '256MB' });
});
afterAll(async () => {
  await stores.close();
});

function span(traceByte: number, spanByte: number, startNs: bigint, service = 'svc'): SpanRecord {
  return {
    traceId: Buffer.alloc(16, traceByte),
    spanId: Buffer.alloc(8, spanByte),
    parentSpanId: null,
    traceState: '',
    flags: 1,
    name: 'op',
    kind: 2,
    startTimeUnixNano: startNs,
    endTimeUnixNano: startNs + 1000n,
    attributes: { n: BigInt(spanByte) },
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    statusCode: 0,
    statusMessage: '',
    serviceName: service,
    resource: { 'service.name': service, 'host.name': `host-${traceByte}` },
    scopeName: 'test',
    scopeVersion: '',
    scopeAttributes: {},
  };
}

const now = BigInt(Date.now()) * 1_000_000n;

describe('DuckDbSpanStore', () => {
  it('stores nothing of a batch that fails, and keeps writing later batches', async () => {
    const good = span(1, 1, now, 'fails-first');
    const bad = span(1, 2, 2n ** 63n); // not a signed 64-bit time: the append throws
    await expect(stores.spans.appendSpans([good, bad])).rejects.toThrow();
    // A search reads the spans table itself, not the trace index.
    const search = { service: 'fails-first', tags: {}, startUnixNano: now - 1_000_000_000n, endUnixNano: now + 1_000_000_000n, limit: 10 };
    expect(await stores.spans.findTraceIds(search)).toEqual([]);
    expect(await stores.spans.getTrace(good.traceId)).toEqual([]);
    await stores.spans.appendSpans([good]);
    const stored = await stores.spans.getTrace(good.traceId);
    expect(stored.map((s) => s.attributes.n)).toEqual([1n]);
    expect(stored[0]!.resource).toEqual({ 'service.name': 'fails-first', 'host.name': 'host-1' });
    expect(await stores.spans.getServices()).toContain('fails-first');
  });

  it('finds a trace whose spans arrived in several batches, hours apart', async () => {
    const hour = 3_600_000_000_000n;
    await stores.spans.appendSpans([span(2, 1, now - 3n * hour)]);
    await stores.spans.appendSpans([span(9, 1, now - 2n * hour)]);
    await stores.spans.appendSpans([span(2, 2, now)]);
    const stored = await stores.spans.getTrace(Buffer.alloc(16, 2));
    expect(stored.map((s) => s.startTimeUnixNano)).toEqual([now - 3n * hour, now]);
  });

  it('keeps resources and the trace index across a reopen', async () => {
    await stores.close();
    stores = await openDuckDbStores({ dataDir, memoryLimit: '256MB' });
    const stored = await stores.spans.getTrace(Buffer.alloc(16, 1));
    expect(stored).toHaveLength(1);
    expect(stored[0]!.resource).toEqual({ 'service.name': 'fails-first', 'host.name': 'host-1' });
  });
});
