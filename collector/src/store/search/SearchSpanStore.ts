import { idToHex } from '../../model/ids.ts';
import { SPAN_KIND_NAMES, StatusCode, type SpanRecord } from '../../model/span.ts';
import type { Dependency, Operation, SpanStore, TraceQuery } from '../types.ts';
import type { BulkSpool } from './BulkSpool.ts';
import { dayStartNano, operationOperation, spanFromSource, spanOperation, spanParts, traceSummaryOperation, type IndexNames, type SpanParts, type SpanSource } from './documents.ts';
import type { BulkOperation, SearchEngine } from './SearchEngine.ts';

/** Hits fetched per page when reading whole traces. */
const PAGE = 5000;
/** Operations remembered as written (per day); beyond it the set starts again (a few rewrites of tiny documents). */
const MAX_KNOWN_OPERATIONS = 100_000;

/**
 * Spans in Elasticsearch or OpenSearch: one document per span in the day's
 * span index, a summary per trace (kept up to date by a script as spans
 * arrive) that trace search queries, and one document per operation and day
 * for the service and operation lists. Writes go through the spool.
 */
export class SearchSpanStore implements SpanStore {
  private readonly engine: SearchEngine;
  private readonly spool: BulkSpool;
  private readonly names: IndexNames;
  private readonly knownOperations = new Set<string>();

  constructor(engine: SearchEngine, spool: BulkSpool, names: IndexNames) {
    this.engine = engine;
    this.spool = spool;
    this.names = names;
  }

  appendSpans(spans: readonly SpanRecord[]): Promise<void> {
    const operations: BulkOperation[] = [];
    const byTrace = new Map<string, SpanParts[]>();
    for (const s of spans) {
      const parts = spanParts(s);
      operations.push(spanOperation(parts, this.names));
      // A trace's summary lives in the index of the day its first span in the batch started.
      const list = byTrace.get(parts.traceId);
      if (list === undefined) byTrace.set(parts.traceId, [parts]);
      else list.push(parts);
      const op = `${parts.day}\0${s.serviceName}\0${s.name}\0${s.kind}`;
      if (!this.knownOperations.has(op)) {
        if (this.knownOperations.size >= MAX_KNOWN_OPERATIONS) this.knownOperations.clear();
        this.knownOperations.add(op);
        operations.push(operationOperation(s.serviceName, s.name, s.kind, parts.day, this.names));
      }
    }
    for (const traceParts of byTrace.values()) operations.push(traceSummaryOperation(traceParts, this.names));
    return this.spool.append(operations);
  }

  async getTrace(traceId: Uint8Array): Promise<SpanRecord[]> {
    return (await this.getTraces([traceId]))[0]!;
  }

  async findTraceIds(q: TraceQuery): Promise<Uint8Array[]> {
    const span = spanFilters(q);
    const answer = await this.engine.search<{ trace: { id: string } }>(this.names.all('traces'), {
      // A trace crossing midnight has a summary in each day's index: ask for more, keep each trace once.
      size: q.limit * 2,
      _source: ['trace.id'],
      query: {
        bool: {
          filter: [
            { range: { end: { gte: String(q.startUnixNano) } } },
            { range: { start: { lte: String(q.endUnixNano) } } },
            { nested: { path: 'spans', query: { bool: { filter: span } } } },
          ],
        },
      },
      // Newest first by the latest matching span, as the embedded store orders them.
      sort: [{ 'spans.start': { order: 'desc', mode: 'max', nested: { path: 'spans', filter: { bool: { filter: span } } } } }, { 'trace.id': 'asc' }],
    });
    const ids = new Map<string, Uint8Array>();
    for (const hit of answer.hits) {
      if (ids.size >= q.limit) break;
      if (!ids.has(hit._source.trace.id)) ids.set(hit._source.trace.id, Buffer.from(hit._source.trace.id, 'hex'));
    }
    return [...ids.values()];
  }

  async getTraces(traceIds: readonly Uint8Array[]): Promise<SpanRecord[][]> {
    if (traceIds.length === 0) return [];
    const hex = traceIds.map(idToHex);
    const byTrace = new Map<string, SpanRecord[]>(hex.map((h) => [h, []]));
    let after: unknown[] | undefined;
    for (;;) {
      const answer = await this.engine.search<SpanSource & { trace: { id: string } }>(this.names.all('spans'), {
        size: PAGE,
        _source: ['trace.id', 'mirador.record'],
        query: { terms: { 'trace.id': hex } },
        sort: [{ 'mirador.start': 'asc' }, { 'span.id': 'asc' }],
        ...(after && { search_after: after }),
      });
      for (const hit of answer.hits) byTrace.get(hit._source.trace.id)?.push(spanFromSource(hit._source));
      if (answer.hits.length < PAGE) break;
      const last = byTrace.get(answer.hits.at(-1)!._source.trace.id)!.at(-1)!;
      after = [String(last.startTimeUnixNano), idToHex(last.spanId)];
    }
    return hex.map((h) => byTrace.get(h)!);
  }

  async getServices(): Promise<string[]> {
    const answer = await this.engine.search(this.names.all('operations'), {
      size: 0,
      aggs: { services: { terms: { field: 'service.name', size: 10_000, order: { _key: 'asc' } } } },
    });
    return buckets(answer.aggregations?.services).map((b) => String(b.key));
  }

  async getOperations(service: string): Promise<Operation[]> {
    const answer = await this.engine.search<{ span: { name: string; kind: number } }>(this.names.all('operations'), {
      size: 10_000,
      _source: ['span.name', 'span.kind'],
      query: { term: { 'service.name': service } },
    });
    const seen = new Map<string, Operation>();
    for (const { _source: s } of answer.hits) seen.set(`${s.span.name}\0${s.span.kind}`, { name: s.span.name, spanKind: Number(s.span.kind) });
    return [...seen.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.spanKind - b.spanKind));
  }

  async getDependencies(startUnixNano: bigint, endUnixNano: bigint): Promise<Dependency[]> {
    const inRange = (field: string) => ({ range: { [field]: { gte: String(startUnixNano), lte: String(endUnixNano) } } });
    const answer = await this.engine.search(this.names.all('traces'), {
      size: 0,
      query: { bool: { filter: [{ range: { end: { gte: String(startUnixNano) } } }, { range: { start: { lte: String(endUnixNano) } } }] } },
      aggs: {
        calls: {
          nested: { path: 'calls' },
          aggs: {
            in_range: {
              filter: { bool: { filter: [inRange('calls.start'), inRange('calls.parent_start')] } },
              aggs: { parent: { terms: { field: 'calls.parent', size: 10_000 }, aggs: { child: { terms: { field: 'calls.child', size: 10_000 } } } } },
            },
          },
        },
      },
    });
    const calls = answer.aggregations?.calls as { in_range?: { parent?: unknown } } | undefined;
    const edges: Dependency[] = [];
    for (const p of buckets(calls?.in_range?.parent)) {
      for (const c of buckets((p as { child?: unknown }).child)) edges.push({ parent: String(p.key), child: String(c.key), callCount: c.doc_count });
    }
    return edges.sort((a, b) => (a.parent === b.parent ? (a.child < b.child ? -1 : 1) : a.parent < b.parent ? -1 : 1));
  }

  /** Deletes the daily span, summary and operation indices whose whole day is before the time; returns the spans deleted. */
  async deleteBefore(timeUnixNano: bigint): Promise<number> {
    let deleted = 0;
    for (const kind of ['spans', 'traces', 'operations'] as const) {
      const old = (await this.engine.indices(this.names.all(kind))).filter((i) => dayEndsBefore(i.name, timeUnixNano));
      await this.engine.deleteIndices(old.map((i) => i.name));
      if (kind === 'spans') deleted += old.reduce((n, i) => n + i.docs, 0);
    }
    return deleted;
  }
}

/** True when the daily index's day (its name's `YYYY.MM.DD` suffix) ends at or before the time. */
export function dayEndsBefore(index: string, timeUnixNano: bigint): boolean {
  const m = /(\d{4}\.\d{2}\.\d{2})$/.exec(index);
  return m !== null && dayStartNano(m[1]!) + 86_400_000_000_000n <= timeUnixNano;
}

/** The query's conditions on one span of a trace summary (all must hold for the same span, as in Jaeger). */
function spanFilters(q: TraceQuery): Array<Record<string, unknown>> {
  const filters: Array<Record<string, unknown>> = [{ range: { 'spans.start': { gte: String(q.startUnixNano), lte: String(q.endUnixNano) } } }];
  if (q.service !== undefined) filters.push({ term: { 'spans.service': q.service } });
  if (q.operation !== undefined) filters.push({ term: { 'spans.name': q.operation } });
  const duration: Record<string, string> = {};
  if (q.minDurationNano !== undefined) duration.gte = String(q.minDurationNano);
  if (q.maxDurationNano !== undefined) duration.lte = String(q.maxDurationNano);
  if (Object.keys(duration).length > 0) filters.push({ range: { 'spans.duration': duration } });
  for (const [key, value] of Object.entries(q.tags)) {
    if (key === 'error') filters.push({ term: { 'spans.error': value === 'true' } });
    else if (key === 'span.kind') filters.push({ term: { 'spans.kind': value === '' ? -1 : SPAN_KIND_NAMES.indexOf(value) } });
    else if (key === 'otel.status_code') filters.push({ term: { 'spans.status': Object.hasOwn(StatusCode, value) ? StatusCode[value as keyof typeof StatusCode] : -1 } });
    else filters.push({ term: { 'spans.tags': `${key}=${value}` } });
  }
  return filters;
}

/** The buckets of a terms aggregation. */
function buckets(agg: unknown): Array<{ key: string | number; doc_count: number }> {
  return (agg as { buckets?: Array<{ key: string | number; doc_count: number }> } | undefined)?.buckets ?? [];
}
