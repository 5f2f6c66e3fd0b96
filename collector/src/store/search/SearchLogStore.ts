import { idToHex } from '../../model/ids.ts';
import { levelNamesWithin, type LogRecord } from '../../model/log.ts';
import type { LogPage, LogQuery, LogStore } from '../types.ts';
import type { BulkSpool } from './BulkSpool.ts';
import { logFromSource, logOperation, type IndexNames, type LogSource } from './documents.ts';
import type { SearchEngine } from './SearchEngine.ts';
import { dayEndsBefore } from './SearchSpanStore.ts';

/**
 * Log records in Elasticsearch or OpenSearch, one ECS document each in the
 * day's log index; searches page with `search_after` on (time, id), the same
 * order and cursor as the embedded store.
 */
export class SearchLogStore implements LogStore {
  private readonly engine: SearchEngine;
  private readonly spool: BulkSpool;
  private readonly names: IndexNames;

  constructor(engine: SearchEngine, spool: BulkSpool, names: IndexNames) {
    this.engine = engine;
    this.spool = spool;
    this.names = names;
  }

  appendLogs(records: readonly LogRecord[]): Promise<void> {
    const seen = new Map<string, number>();
    return this.spool.append(records.map((r) => logOperation(r, seen, this.names)));
  }

  async searchLogs(q: LogQuery): Promise<LogPage> {
    const filter: Array<Record<string, unknown>> = [];
    if (q.traceId !== undefined) filter.push({ term: { 'trace.id': idToHex(q.traceId) } });
    if (q.spanId !== undefined) filter.push({ term: { 'span.id': idToHex(q.spanId) } });
    if (q.service !== undefined) filter.push({ term: { 'service.name': q.service } });
    if (q.severityRanges !== undefined && q.severityRanges.length > 0) filter.push(severityFilter(q.severityRanges));
    if (q.text !== undefined && q.text !== '') filter.push(textFilter(q.text));
    const time: Record<string, string> = {};
    if (q.startUnixNano !== undefined) time.gte = String(q.startUnixNano);
    if (q.endUnixNano !== undefined) time.lte = String(q.endUnixNano);
    if (Object.keys(time).length > 0) filter.push({ range: { 'mirador.time': time } });
    const answer = await this.engine.search<LogSource>(this.names.all('logs'), {
      size: q.limit + 1,
      _source: ['mirador.id', 'mirador.record'],
      query: { bool: { filter } },
      sort: [{ 'mirador.time': q.order }, { 'mirador.id': q.order }],
      ...(q.after !== undefined && { search_after: [String(q.after.timeUnixNano), q.after.id.toString(16).padStart(16, '0')] }),
    });
    const records = answer.hits.slice(0, q.limit).map((h) => logFromSource(h._source));
    const last = records.at(-1);
    return { records, next: answer.hits.length > q.limit && last ? { timeUnixNano: last.timeUnixNano, id: last.id } : null };
  }

  /** Deletes the daily log indices whose whole day is before the time; returns the records deleted. */
  async deleteBefore(timeUnixNano: bigint): Promise<number> {
    const old = (await this.engine.indices(this.names.all('logs'))).filter((i) => dayEndsBefore(i.name, timeUnixNano));
    await this.engine.deleteIndices(old.map((i) => i.name));
    return old.reduce((n, i) => n + i.docs, 0);
  }
}

/** Severity-number ranges, and records with only a severity text (number 0) naming a level inside them. */
function severityFilter(ranges: ReadonlyArray<[number, number]>): Record<string, unknown> {
  const should: Array<Record<string, unknown>> = ranges.map(([lo, hi]) => ({ range: { 'mirador.severity': { gte: lo, lte: hi } } }));
  const names = levelNamesWithin(ranges);
  if (names.length > 0) should.push({ bool: { filter: [{ term: { 'mirador.severity': 0 } }, { terms: { 'mirador.severity_text': names } }] } });
  return { bool: { should, minimum_should_match: 1 } };
}

/** Case-insensitive substring of the body: a wildcard over the lower-cased body (bodies up to 8191 characters). */
function textFilter(text: string): Record<string, unknown> {
  const escaped = text.toLowerCase().replace(/[\\*?]/g, (c) => `\\${c}`);
  return { wildcard: { 'message.lower': { value: `*${escaped}*` } } };
}
