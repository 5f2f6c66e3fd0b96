import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { DuckDBBlobValue } from '@duckdb/node-api';
import { attributesFromJson, attributesToJson } from '../../model/attributes.ts';
import { traceKey } from '../../model/ids.ts';
import { SpanKind, StatusCode, type SpanEvent, type SpanLink, type SpanRecord } from '../../model/span.ts';
import type { Dependency, Operation, SpanStore, TraceQuery } from '../types.ts';
import { SqlParams, type SqlReader, jsonKeyPath } from './sqlParams.ts';

// trace_key (the first 8 bytes of the trace id) is what lookups compare: one
// BIGINT column scans fast even when random ids defeat min/max pruning.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS spans (
  trace_key BIGINT NOT NULL,
  trace_id BLOB NOT NULL,
  span_id BLOB NOT NULL,
  parent_span_id BLOB,
  trace_state VARCHAR,
  flags UINTEGER,
  name VARCHAR NOT NULL,
  kind UTINYINT NOT NULL,
  start_ns BIGINT NOT NULL,
  end_ns BIGINT NOT NULL,
  duration_ns BIGINT NOT NULL,
  service_name VARCHAR NOT NULL,
  status_code UTINYINT NOT NULL,
  status_message VARCHAR,
  attributes VARCHAR,
  dropped_attributes UINTEGER,
  events VARCHAR,
  dropped_events UINTEGER,
  links VARCHAR,
  dropped_links UINTEGER,
  resource VARCHAR,
  scope_name VARCHAR,
  scope_version VARCHAR,
  scope_attributes VARCHAR
);
CREATE TABLE IF NOT EXISTS span_operations (
  service_name VARCHAR NOT NULL,
  name VARCHAR NOT NULL,
  kind UTINYINT NOT NULL
);`;

const COLUMNS = `trace_id, span_id, parent_span_id, trace_state, flags, name, kind, start_ns, end_ns, service_name,
  status_code, status_message, attributes, dropped_attributes, events, dropped_events, links, dropped_links,
  resource, scope_name, scope_version, scope_attributes`;

const KIND_TAG_VALUES: Record<string, number> = {
  internal: SpanKind.INTERNAL,
  server: SpanKind.SERVER,
  client: SpanKind.CLIENT,
  producer: SpanKind.PRODUCER,
  consumer: SpanKind.CONSUMER,
};
const STATUS_TAG_VALUES: Record<string, number> = { UNSET: StatusCode.UNSET, OK: StatusCode.OK, ERROR: StatusCode.ERROR };

/** Spans in the embedded DuckDB database. */
export class DuckDbSpanStore implements SpanStore {
  private readonly write: DuckDBConnection;
  private readonly read: SqlReader;
  /** service \0 name \0 kind of every operation already recorded. */
  private readonly operations: Set<string>;

  private constructor(write: DuckDBConnection, read: SqlReader, operations: Set<string>) {
    this.write = write;
    this.read = read;
    this.operations = operations;
  }

  /** Creates the tables if needed and loads the known operations. */
  static async create(write: DuckDBConnection, read: SqlReader): Promise<DuckDbSpanStore> {
    await write.run(SCHEMA);
    const rows = (await write.runAndReadAll('SELECT service_name, name, kind FROM span_operations')).getRows();
    return new DuckDbSpanStore(write, read, new Set(rows.map((r) => `${String(r[0])}\0${String(r[1])}\0${String(r[2])}`)));
  }

  async appendSpans(spans: readonly SpanRecord[]): Promise<void> {
    if (spans.length === 0) return;
    const appender = await this.write.createAppender('spans');
    const newOperations: Array<[string, string, number]> = [];
    try {
      for (const s of spans) {
        appender.appendBigInt(traceKey(s.traceId));
        appender.appendBlob(s.traceId);
        appender.appendBlob(s.spanId);
        if (s.parentSpanId === null) appender.appendNull();
        else appender.appendBlob(s.parentSpanId);
        appender.appendVarchar(s.traceState);
        appender.appendUInteger(s.flags >>> 0);
        appender.appendVarchar(s.name);
        appender.appendUTinyInt(s.kind & 0xff);
        appender.appendBigInt(s.startTimeUnixNano);
        appender.appendBigInt(s.endTimeUnixNano);
        appender.appendBigInt(s.endTimeUnixNano - s.startTimeUnixNano);
        appender.appendVarchar(s.serviceName);
        appender.appendUTinyInt(s.statusCode & 0xff);
        appender.appendVarchar(s.statusMessage);
        appender.appendVarchar(attributesToJson(s.attributes));
        appender.appendUInteger(s.droppedAttributesCount);
        appender.appendVarchar(s.events.length === 0 ? '[]' : attributesToJson(s.events));
        appender.appendUInteger(s.droppedEventsCount);
        appender.appendVarchar(s.links.length === 0 ? '[]' : attributesToJson(s.links));
        appender.appendUInteger(s.droppedLinksCount);
        appender.appendVarchar(attributesToJson(s.resource));
        appender.appendVarchar(s.scopeName);
        appender.appendVarchar(s.scopeVersion);
        appender.appendVarchar(attributesToJson(s.scopeAttributes));
        appender.endRow();
        const op = `${s.serviceName}\0${s.name}\0${s.kind}`;
        if (!this.operations.has(op)) {
          this.operations.add(op);
          newOperations.push([s.serviceName, s.name, s.kind]);
        }
      }
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
    if (newOperations.length > 0) {
      const ops = await this.write.createAppender('span_operations');
      for (const [service, name, kind] of newOperations) {
        ops.appendVarchar(service);
        ops.appendVarchar(name);
        ops.appendUTinyInt(kind);
        ops.endRow();
      }
      ops.flushSync();
      ops.closeSync();
    }
  }

  async getTrace(traceId: Uint8Array): Promise<SpanRecord[]> {
    const p = new SqlParams();
    const sql = `SELECT ${COLUMNS} FROM spans WHERE trace_key = ${p.bigint(traceKey(traceId))} AND trace_id = ${p.blob(traceId)} ORDER BY start_ns`;
    const result = await this.read.runAndReadAll(sql, p.values, p.types);
    return result.getRows().map(rowToSpan);
  }

  async findTraceIds(q: TraceQuery): Promise<Uint8Array[]> {
    const p = new SqlParams();
    const where = [`start_ns >= ${p.bigint(q.startUnixNano)}`, `start_ns <= ${p.bigint(q.endUnixNano)}`];
    if (q.service !== undefined) where.push(`service_name = ${p.text(q.service)}`);
    if (q.operation !== undefined) where.push(`name = ${p.text(q.operation)}`);
    if (q.minDurationNano !== undefined) where.push(`duration_ns >= ${p.bigint(q.minDurationNano)}`);
    if (q.maxDurationNano !== undefined) where.push(`duration_ns <= ${p.bigint(q.maxDurationNano)}`);
    for (const [key, value] of Object.entries(q.tags)) where.push(tagCondition(key, value, p));
    const sql = `SELECT trace_id, max(start_ns) AS latest FROM spans WHERE ${where.join(' AND ')}
      GROUP BY trace_id ORDER BY latest DESC LIMIT ${p.int(q.limit)}`;
    const result = await this.read.runAndReadAll(sql, p.values, p.types);
    return result.getRows().map((r) => (r[0] as DuckDBBlobValue).bytes);
  }

  async getTraces(traceIds: readonly Uint8Array[]): Promise<SpanRecord[][]> {
    if (traceIds.length === 0) return [];
    const p = new SqlParams();
    const keys = traceIds.map((id) => p.bigint(traceKey(id))).join(', ');
    const ids = traceIds.map((id) => p.blob(id)).join(', ');
    const sql = `SELECT ${COLUMNS} FROM spans WHERE trace_key IN (${keys}) AND trace_id IN (${ids}) ORDER BY start_ns`;
    const rows = (await this.read.runAndReadAll(sql, p.values, p.types)).getRows();
    const byTrace = new Map<string, SpanRecord[]>(traceIds.map((id) => [Buffer.from(id).toString('hex'), []]));
    for (const row of rows) {
      const span = rowToSpan(row);
      byTrace.get(Buffer.from(span.traceId).toString('hex'))?.push(span);
    }
    return [...byTrace.values()];
  }

  async getServices(): Promise<string[]> {
    const rows = (await this.read.runAndReadAll('SELECT DISTINCT service_name FROM span_operations ORDER BY 1')).getRows();
    return rows.map((r) => String(r[0]));
  }

  async getOperations(service: string): Promise<Operation[]> {
    const p = new SqlParams();
    const sql = `SELECT DISTINCT name, kind FROM span_operations WHERE service_name = ${p.text(service)} ORDER BY name, kind`;
    const rows = (await this.read.runAndReadAll(sql, p.values, p.types)).getRows();
    return rows.map((r) => ({ name: String(r[0]), spanKind: Number(r[1]) }));
  }

  async getDependencies(startUnixNano: bigint, endUnixNano: bigint): Promise<Dependency[]> {
    const p = new SqlParams();
    const range = (alias: string) => `${alias}.start_ns >= ${p.bigint(startUnixNano)} AND ${alias}.start_ns <= ${p.bigint(endUnixNano)}`;
    const sql = `SELECT parent.service_name, child.service_name, count(*) FROM spans child
      JOIN spans parent ON child.trace_key = parent.trace_key AND child.trace_id = parent.trace_id AND child.parent_span_id = parent.span_id
      WHERE ${range('child')} AND ${range('parent')} AND parent.service_name <> child.service_name
      GROUP BY 1, 2 ORDER BY 1, 2`;
    const rows = (await this.read.runAndReadAll(sql, p.values, p.types)).getRows();
    return rows.map((r) => ({ parent: String(r[0]), child: String(r[1]), callCount: Number(r[2]) }));
  }

  async deleteBefore(timeUnixNano: bigint): Promise<number> {
    const p = new SqlParams();
    const result = await this.write.run(`DELETE FROM spans WHERE end_ns < ${p.bigint(timeUnixNano)}`, p.values, p.types);
    return result.rowsChanged;
  }
}

/**
 * One tag filter. Jaeger's derived tags (`error`, `span.kind`,
 * `otel.status_code`, `otel.status_description`) map to columns; any other
 * key matches a span attribute or, failing that, a resource attribute.
 */
function tagCondition(key: string, value: string, p: SqlParams): string {
  if (key === 'error') return value === 'true' ? `status_code = ${StatusCode.ERROR}` : `status_code <> ${StatusCode.ERROR}`;
  if (key === 'span.kind') return `kind = ${p.int(KIND_TAG_VALUES[value] ?? -1)}`;
  if (key === 'otel.status_code') return `status_code = ${p.int(STATUS_TAG_VALUES[value] ?? -1)}`;
  if (key === 'otel.status_description') return `status_message = ${p.text(value)}`;
  const path = p.text(jsonKeyPath(key));
  const v = p.text(value);
  return `(json_extract_string(attributes, ${path}) = ${v} OR json_extract_string(resource, ${path}) = ${v})`;
}

function rowToSpan(r: DuckDBValue[]): SpanRecord {
  return {
    traceId: (r[0] as DuckDBBlobValue).bytes,
    spanId: (r[1] as DuckDBBlobValue).bytes,
    parentSpanId: r[2] === null ? null : (r[2] as DuckDBBlobValue).bytes,
    traceState: String(r[3] ?? ''),
    flags: Number(r[4] ?? 0),
    name: String(r[5]),
    kind: Number(r[6]),
    startTimeUnixNano: r[7] as bigint,
    endTimeUnixNano: r[8] as bigint,
    serviceName: String(r[9]),
    statusCode: Number(r[10]),
    statusMessage: String(r[11] ?? ''),
    attributes: attributesFromJson(r[12] as string | null),
    droppedAttributesCount: Number(r[13] ?? 0),
    events: attributesFromJson<SpanEvent[]>((r[14] as string | null) ?? '[]'),
    droppedEventsCount: Number(r[15] ?? 0),
    links: attributesFromJson<SpanLink[]>((r[16] as string | null) ?? '[]'),
    droppedLinksCount: Number(r[17] ?? 0),
    resource: attributesFromJson(r[18] as string | null),
    scopeName: String(r[19] ?? ''),
    scopeVersion: String(r[20] ?? ''),
    scopeAttributes: attributesFromJson(r[21] as string | null),
  };
}
