import type { DuckDBAppender, DuckDBConnection } from '@duckdb/node-api';
import { SqlParams, type SqlReader } from './sqlParams.ts';

/** The time range in which a trace's rows lie, or null when it has none. */
export interface TraceTimeRange {
  minUnixNano: bigint;
  maxUnixNano: bigint;
}

/**
 * Finds one trace's rows among millions without indexing every row. Rows are
 * appended roughly in time order, so DuckDB's min/max zone maps on the time
 * column prune well, but random trace ids defeat them. This side table keeps,
 * per trace and per written batch, the trace's key and the time range of its
 * rows: a lookup scans its key column (a fraction of the main table's size,
 * one row per trace and batch instead of one per span or record), then only
 * the row groups of the main table that overlap the range.
 *
 * No ART index: DuckDB rewrites an ART index whole at every checkpoint, so
 * ingest slowed as the index grew (log ingest fell from 105k to 80k records/s
 * within a minute in the benchmark), while the scan here stays a few ms.
 */
export class TraceTimeIndex {
  readonly table: string;
  private readonly pending = new Map<bigint, [bigint, bigint]>();

  constructor(table: string) {
    this.table = table;
  }

  /** SQL creating the table. */
  schema(): string {
    return `CREATE TABLE IF NOT EXISTS ${this.table} (trace_key BIGINT NOT NULL, min_time_ns BIGINT NOT NULL, max_time_ns BIGINT NOT NULL);`;
  }

  /** Notes a row of the trace at [min, max] for the batch being written. */
  note(traceKey: bigint, minUnixNano: bigint, maxUnixNano: bigint): void {
    const range = this.pending.get(traceKey);
    if (range === undefined) {
      this.pending.set(traceKey, [minUnixNano, maxUnixNano]);
    } else {
      if (minUnixNano < range[0]) range[0] = minUnixNano;
      if (maxUnixNano > range[1]) range[1] = maxUnixNano;
    }
  }

  /** Appends the ranges noted since the last call (synchronously, before the batch's flush). */
  appendPending(appender: DuckDBAppender): void {
    for (const [key, [min, max]] of this.pending) {
      appender.appendBigInt(key);
      appender.appendBigInt(min);
      appender.appendBigInt(max);
      appender.endRow();
    }
    this.pending.clear();
  }

  /** Forgets the ranges noted for a batch that failed. */
  discardPending(): void {
    this.pending.clear();
  }

  /** The time range holding the rows of the given traces (one scan, however many). */
  async lookup(read: SqlReader, traceKeys: readonly bigint[]): Promise<TraceTimeRange | null> {
    if (traceKeys.length === 0) return null;
    const p = new SqlParams();
    const keys = traceKeys.map((k) => p.bigint(k)).join(', ');
    const sql = `SELECT min(min_time_ns), max(max_time_ns) FROM ${this.table} WHERE trace_key IN (${keys})`;
    const row = (await read.runAndReadAll(sql, p.values, p.types)).getRows()[0];
    if (row === undefined || row[0] === null) return null;
    return { minUnixNano: row[0] as bigint, maxUnixNano: row[1] as bigint };
  }

  /** Deletes ranges that ended before the time. */
  async deleteBefore(write: DuckDBConnection, timeUnixNano: bigint): Promise<void> {
    const p = new SqlParams();
    await write.run(`DELETE FROM ${this.table} WHERE max_time_ns < ${p.bigint(timeUnixNano)}`, p.values, p.types);
  }
}
