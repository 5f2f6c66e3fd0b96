import { DuckDBBlobValue, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import { attributesFromJson, attributesToJson, type AttributeValue, type Attributes } from '../../model/attributes.ts';
import { traceKey } from '../../model/ids.ts';
import { levelNamesWithin, type LogRecord } from '../../model/log.ts';
import type { LogPage, LogQuery, LogStore, StoredLog } from '../types.ts';
import type { ResourceCatalog } from './ResourceCatalog.ts';
import { TraceTimeIndex } from './TraceTimeIndex.ts';
import { SerialQueue } from '../../pipeline/SerialQueue.ts';
import { appendBatch } from './appendBatch.ts';
import { SqlParams, type SqlReader, likeLiteral } from './sqlParams.ts';

// body holds a string body as it is (so substring search sees the text) and
// any other body as JSON, flagged by body_is_json. Resources are stored once in
// the resources table; the rarely-set fields share the JSON column extra.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS logs (
  id BIGINT NOT NULL,
  time_ns BIGINT NOT NULL,
  observed_time_ns BIGINT NOT NULL,
  trace_key BIGINT,
  trace_id BLOB,
  span_id BLOB,
  severity_number UTINYINT NOT NULL,
  severity_text VARCHAR NOT NULL,
  body VARCHAR,
  body_is_json BOOLEAN NOT NULL,
  attributes VARCHAR NOT NULL,
  service_name VARCHAR NOT NULL,
  resource_id BIGINT NOT NULL,
  scope_name VARCHAR NOT NULL,
  flags UINTEGER NOT NULL,
  extra VARCHAR
);`;

const COLUMNS = `id, time_ns, observed_time_ns, trace_id, span_id, severity_number, severity_text, body, body_is_json,
  attributes, service_name, resource_id, scope_name, flags, extra`;

/** The rarely-set part of a log record, stored as JSON in `extra`. */
interface LogExtra {
  eventName?: string;
  droppedAttributesCount?: number;
  scopeVersion?: string;
  scopeAttributes?: Attributes;
}

/** Log records in the embedded DuckDB database. */
export class DuckDbLogStore implements LogStore {
  private readonly write: DuckDBConnection;
  private readonly writes = new SerialQueue();
  private readonly read: SqlReader;
  private readonly resources: ResourceCatalog;
  private readonly traceIndex = new TraceTimeIndex('log_traces');
  private nextId: bigint;

  private constructor(write: DuckDBConnection, read: SqlReader, resources: ResourceCatalog, nextId: bigint) {
    this.write = write;
    this.read = read;
    this.resources = resources;
    this.nextId = nextId;
  }

  /** Creates the table if needed and continues the record ids where they stopped. */
  static async create(write: DuckDBConnection, read: SqlReader, resources: ResourceCatalog): Promise<DuckDbLogStore> {
    await write.run(SCHEMA);
    const max = (await write.runAndReadAll('SELECT max(id) FROM logs')).getRows()[0]?.[0];
    const store = new DuckDbLogStore(write, read, resources, typeof max === 'bigint' ? max + 1n : 1n);
    await write.run(store.traceIndex.schema());
    return store;
  }

  appendLogs(records: readonly LogRecord[]): Promise<void> {
    return this.writes.run(() => this.appendLogsNow(records));
  }

  private async appendLogsNow(records: readonly LogRecord[]): Promise<void> {
    if (records.length === 0) return;
    const tables = { main: 'logs', resources: this.resources, traceIndex: this.traceIndex, side: [] };
    await appendBatch(this.write, tables, (appender) => {
      for (const r of records) {
        appender.appendBigInt(this.nextId++);
        appender.appendBigInt(r.timeUnixNano);
        appender.appendBigInt(r.observedTimeUnixNano);
        if (r.traceId === null) {
          appender.appendNull();
          appender.appendNull();
        } else {
          const key = traceKey(r.traceId);
          this.traceIndex.note(key, r.timeUnixNano, r.timeUnixNano);
          appender.appendBigInt(key);
          appender.appendBlob(r.traceId);
        }
        if (r.spanId === null) appender.appendNull();
        else appender.appendBlob(r.spanId);
        appender.appendUTinyInt(r.severityNumber);
        appender.appendVarchar(r.severityText);
        if (typeof r.body === 'string') {
          appender.appendVarchar(r.body);
          appender.appendBoolean(false);
        } else {
          appender.appendVarchar(attributesToJson(r.body));
          appender.appendBoolean(true);
        }
        appender.appendVarchar(attributesToJson(r.attributes));
        appender.appendVarchar(r.serviceName);
        appender.appendBigInt(this.resources.idFor(r.serviceName, r.resource));
        appender.appendVarchar(r.scopeName);
        appender.appendUInteger(r.flags >>> 0);
        const extra = logExtra(r);
        if (extra === null) appender.appendNull();
        else appender.appendVarchar(attributesToJson(extra));
        appender.endRow();
      }
    });
  }

  async searchLogs(q: LogQuery): Promise<LogPage> {
    const p = new SqlParams();
    const where: string[] = [];
    if (q.traceId !== undefined) {
      const key = traceKey(q.traceId);
      const range = await this.traceIndex.lookup(this.read, [key]);
      if (range === null) return { records: [], next: null };
      where.push(`time_ns BETWEEN ${p.bigint(range.minUnixNano)} AND ${p.bigint(range.maxUnixNano)}`, `trace_key = ${p.bigint(key)}`, `trace_id = ${p.blob(q.traceId)}`);
    }
    if (q.spanId !== undefined) where.push(`span_id = ${p.blob(q.spanId)}`);
    if (q.service !== undefined) where.push(`service_name = ${p.text(q.service)}`);
    if (q.severityRanges !== undefined && q.severityRanges.length > 0) where.push(severityCondition(q.severityRanges, p));
    if (q.text !== undefined && q.text !== '') where.push(`body ILIKE ${p.text('%' + likeLiteral(q.text) + '%')} ESCAPE '\\'`);
    if (q.startUnixNano !== undefined) where.push(`time_ns >= ${p.bigint(q.startUnixNano)}`);
    if (q.endUnixNano !== undefined) where.push(`time_ns <= ${p.bigint(q.endUnixNano)}`);
    const cmp = q.order === 'desc' ? '<' : '>';
    if (q.after !== undefined) {
      const t = p.bigint(q.after.timeUnixNano);
      where.push(`(time_ns ${cmp} ${t} OR (time_ns = ${t} AND id ${cmp} ${p.bigint(q.after.id)}))`);
    }
    const dir = q.order === 'desc' ? 'DESC' : 'ASC';
    const sql = `SELECT ${COLUMNS} FROM logs ${where.length > 0 ? 'WHERE ' + where.join(' AND ') : ''}
      ORDER BY time_ns ${dir}, id ${dir} LIMIT ${p.int(q.limit + 1)}`;
    const rows = (await this.read.runAndReadAll(sql, p.values, p.types)).getRows();
    const records = rows.slice(0, q.limit).map((row) => rowToLog(row, this.resources));
    const last = records.at(-1);
    return { records, next: rows.length > q.limit && last ? { timeUnixNano: last.timeUnixNano, id: last.id } : null };
  }

  deleteBefore(timeUnixNano: bigint): Promise<number> {
    return this.writes.run(() => this.deleteBeforeNow(timeUnixNano));
  }

  private async deleteBeforeNow(timeUnixNano: bigint): Promise<number> {
    const p = new SqlParams();
    const result = await this.write.run(`DELETE FROM logs WHERE time_ns < ${p.bigint(timeUnixNano)}`, p.values, p.types);
    await this.traceIndex.deleteBefore(this.write, timeUnixNano);
    return result.rowsChanged;
  }
}

/**
 * Matches the severity-number ranges, and records that carry only a severity
 * text (number 0) whose level name, or a common alias of it, falls in a range.
 */
function severityCondition(ranges: Array<[number, number]>, p: SqlParams): string {
  const names = levelNamesWithin(ranges);
  const byNumber = ranges.map(([lo, hi]) => `severity_number BETWEEN ${p.int(lo)} AND ${p.int(hi)}`);
  const byText = names.length > 0 ? [`(severity_number = 0 AND lower(severity_text) IN (${names.map((n) => p.text(n)).join(', ')}))`] : [];
  return `(${[...byNumber, ...byText].join(' OR ')})`;
}

function logExtra(r: LogRecord): LogExtra | null {
  const extra: LogExtra = {};
  if (r.eventName !== '') extra.eventName = r.eventName;
  if (r.droppedAttributesCount > 0) extra.droppedAttributesCount = r.droppedAttributesCount;
  if (r.scopeVersion !== '') extra.scopeVersion = r.scopeVersion;
  if (Object.keys(r.scopeAttributes).length > 0) extra.scopeAttributes = r.scopeAttributes;
  return Object.keys(extra).length > 0 ? extra : null;
}

function rowToLog(r: DuckDBValue[], resources: ResourceCatalog): StoredLog {
  const extra = r[14] === null ? {} : attributesFromJson<LogExtra>(r[14] as string);
  return {
    id: r[0] as bigint,
    timeUnixNano: r[1] as bigint,
    observedTimeUnixNano: r[2] as bigint,
    traceId: r[3] === null ? null : (r[3] as DuckDBBlobValue).bytes,
    spanId: r[4] === null ? null : (r[4] as DuckDBBlobValue).bytes,
    severityNumber: Number(r[5]),
    severityText: String(r[6]),
    body: r[8] === true ? attributesFromJson<AttributeValue>(r[7] as string) : ((r[7] as string | null) ?? ''),
    attributes: attributesFromJson(r[9] as string),
    serviceName: String(r[10]),
    resource: resources.get(r[11] as bigint)?.attributes ?? {},
    scopeName: String(r[12]),
    flags: Number(r[13]),
    eventName: extra.eventName ?? '',
    droppedAttributesCount: Number(extra.droppedAttributesCount ?? 0),
    scopeVersion: extra.scopeVersion ?? '',
    scopeAttributes: extra.scopeAttributes ?? {},
  };
}
