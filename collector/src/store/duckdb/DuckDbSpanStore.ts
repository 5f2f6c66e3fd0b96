import { DuckDBBlobValue, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import { attributesFromJson, attributesToJson, storedKey, type Attributes } from '../../model/attributes.ts';
import { idToHex, traceKey } from '../../model/ids.ts';
import { SPAN_KIND_NAMES, StatusCode, type SpanEvent, type SpanLink, type SpanRecord } from '../../model/span.ts';
import type { Dependency, Operation, SpanStore, TraceQuery } from '../types.ts';
import type { ResourceCatalog } from './ResourceCatalog.ts';
import { TraceTimeIndex } from './TraceTimeIndex.ts';
import { SerialQueue } from '../../pipeline/SerialQueue.ts';
import { appendBatch } from './appendBatch.ts';
import { SqlParams, type SqlReader, jsonKeyPath } from './sqlParams.ts';

// trace_key (the first 8 bytes of the trace id) is what lookups compare, after
// the span_traces index (TraceTimeIndex) has narrowed them to a time range.
// Resources are stored once in the resources table; what is rarely read and
// mostly empty (trace state, status message, events, links, dropped counts,
// scope attributes) shares one JSON column, NULL when all of it is empty, so a
// typical span costs few values to append.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS spans (
  trace_key BIGINT NOT NULL,
  trace_id BLOB NOT NULL,
  span_id BLOB NOT NULL,
  parent_span_id BLOB,
  name VARCHAR NOT NULL,
  kind UTINYINT NOT NULL,
  start_ns BIGINT NOT NULL,
  duration_ns BIGINT NOT NULL,
  service_name VARCHAR NOT NULL,
  resource_id BIGINT NOT NULL,
  status_code UTINYINT NOT NULL,
  flags UINTEGER NOT NULL,
  attributes VARCHAR NOT NULL,
  scope_name VARCHAR NOT NULL,
  scope_version VARCHAR NOT NULL,
  extra VARCHAR
);
CREATE TABLE IF NOT EXISTS span_operations (
  service_name VARCHAR NOT NULL,
  name VARCHAR NOT NULL,
  kind UTINYINT NOT NULL
);`;

const COLUMNS = `trace_id, span_id, parent_span_id, name, kind, start_ns, duration_ns, service_name, resource_id,
  status_code, flags, attributes, scope_name, scope_version, extra`;

/** The rarely-set part of a span, stored as JSON in `extra`. */
interface SpanExtra {
  traceState?: string;
  statusMessage?: string;
  events?: SpanEvent[];
  links?: SpanLink[];
  droppedAttributesCount?: number;
  droppedEventsCount?: number;
  droppedLinksCount?: number;
  scopeAttributes?: Attributes;
}

/** Spans in the embedded DuckDB database. */
export class DuckDbSpanStore implements SpanStore {
  private readonly write: DuckDBConnection;
  private readonly writes = new SerialQueue();
  private readonly read: SqlReader;
  private readonly resources: ResourceCatalog;
  private readonly traceIndex = new TraceTimeIndex('span_traces');
  /** service \0 name \0 kind of every operation already recorded. */
  private readonly operations: Set<string>;

  private constructor(write: DuckDBConnection, read: SqlReader, resources: ResourceCatalog, operations: Set<string>) {
    this.write = write;
    this.read = read;
    this.resources = resources;
    this.operations = operations;
  }

  /** Creates the tables if needed and loads the known operations. */
  static async create(write: DuckDBConnection, read: SqlReader, resources: ResourceCatalog): Promise<DuckDbSpanStore> {
    await write.run(SCHEMA);
    const rows = (await write.runAndReadAll('SELECT service_name, name, kind FROM span_operations')).getRows();
    const store = new DuckDbSpanStore(write, read, resources, new Set(rows.map((r) => `${String(r[0])}\0${String(r[1])}\0${String(r[2])}`)));
    await write.run(store.traceIndex.schema());
    return store;
  }

  appendSpans(spans: readonly SpanRecord[]): Promise<void> {
    return this.writes.run(() => this.appendSpansNow(spans));
  }

  private async appendSpansNow(spans: readonly SpanRecord[]): Promise<void> {
    if (spans.length === 0) return;
    const newOperations: string[] = [];
    const tables = { main: 'spans', resources: this.resources, traceIndex: this.traceIndex, side: ['span_operations'] };
    await appendBatch(
      this.write,
      tables,
      (appender, [operationAppender]) => {
        for (const s of spans) {
          const key = traceKey(s.traceId);
          this.traceIndex.note(key, s.startTimeUnixNano, s.startTimeUnixNano);
          appender.appendBigInt(key);
          appender.appendBlob(s.traceId);
          appender.appendBlob(s.spanId);
          if (s.parentSpanId === null) appender.appendNull();
          else appender.appendBlob(s.parentSpanId);
          appender.appendVarchar(s.name);
          appender.appendUTinyInt(s.kind);
          appender.appendBigInt(s.startTimeUnixNano);
          appender.appendBigInt(s.endTimeUnixNano - s.startTimeUnixNano);
          appender.appendVarchar(s.serviceName);
          appender.appendBigInt(this.resources.idFor(s.serviceName, s.resource));
          appender.appendUTinyInt(s.statusCode & 0xff);
          appender.appendUInteger(s.flags >>> 0);
          appender.appendVarchar(attributesToJson(s.attributes));
          appender.appendVarchar(s.scopeName);
          appender.appendVarchar(s.scopeVersion);
          const extra = spanExtra(s);
          if (extra === null) appender.appendNull();
          else appender.appendVarchar(attributesToJson(extra));
          appender.endRow();
          const op = `${s.serviceName}\0${s.name}\0${s.kind}`;
          if (!this.operations.has(op)) {
            this.operations.add(op);
            newOperations.push(op);
            operationAppender!.appendVarchar(s.serviceName);
            operationAppender!.appendVarchar(s.name);
            operationAppender!.appendUTinyInt(s.kind);
            operationAppender!.endRow();
          }
        }
      },
      () => {
        for (const op of newOperations) this.operations.delete(op);
      },
    );
  }

  async getTrace(traceId: Uint8Array): Promise<SpanRecord[]> {
    const key = traceKey(traceId);
    const range = await this.traceIndex.lookup(this.read, [key]);
    if (range === null) return [];
    const p = new SqlParams();
    const sql = `SELECT ${COLUMNS} FROM spans
      WHERE start_ns BETWEEN ${p.bigint(range.minUnixNano)} AND ${p.bigint(range.maxUnixNano)} AND trace_key = ${p.bigint(key)} AND trace_id = ${p.blob(traceId)}
      ORDER BY start_ns`;
    const result = await this.read.runAndReadAll(sql, p.values, p.types);
    return result.getRows().map((row) => rowToSpan(row, this.resources));
  }

  async findTraceIds(q: TraceQuery): Promise<Uint8Array[]> {
    const p = new SqlParams();
    const where = [`start_ns >= ${p.bigint(q.startUnixNano)}`, `start_ns <= ${p.bigint(q.endUnixNano)}`];
    if (q.service !== undefined) where.push(`service_name = ${p.text(q.service)}`);
    if (q.operation !== undefined) where.push(`name = ${p.text(q.operation)}`);
    if (q.minDurationNano !== undefined) where.push(`duration_ns >= ${p.bigint(q.minDurationNano)}`);
    if (q.maxDurationNano !== undefined) where.push(`duration_ns <= ${p.bigint(q.maxDurationNano)}`);
    for (const [key, value] of Object.entries(q.tags)) where.push(tagCondition(key, value, p, this.resources));
    const sql = `SELECT trace_id, max(start_ns) AS latest FROM spans WHERE ${where.join(' AND ')}
      GROUP BY trace_id ORDER BY latest DESC LIMIT ${p.int(q.limit)}`;
    const result = await this.read.runAndReadAll(sql, p.values, p.types);
    return result.getRows().map((r) => (r[0] as DuckDBBlobValue).bytes);
  }

  async getTraces(traceIds: readonly Uint8Array[]): Promise<SpanRecord[][]> {
    if (traceIds.length === 0) return [];
    const range = await this.traceIndex.lookup(this.read, traceIds.map(traceKey));
    if (range === null) return traceIds.map(() => []);
    const p = new SqlParams();
    const keys = traceIds.map((id) => p.bigint(traceKey(id))).join(', ');
    const ids = traceIds.map((id) => p.blob(id)).join(', ');
    const sql = `SELECT ${COLUMNS} FROM spans
      WHERE start_ns BETWEEN ${p.bigint(range.minUnixNano)} AND ${p.bigint(range.maxUnixNano)} AND trace_key IN (${keys}) AND trace_id IN (${ids})
      ORDER BY start_ns`;
    const rows = (await this.read.runAndReadAll(sql, p.values, p.types)).getRows();
    const byTrace = new Map<string, SpanRecord[]>();
    for (const row of rows) {
      const span = rowToSpan(row, this.resources);
      const hex = idToHex(span.traceId);
      const spans = byTrace.get(hex);
      if (spans === undefined) byTrace.set(hex, [span]);
      else spans.push(span);
    }
    return traceIds.map((id) => byTrace.get(idToHex(id)) ?? []);
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

  deleteBefore(timeUnixNano: bigint): Promise<number> {
    return this.writes.run(() => this.deleteBeforeNow(timeUnixNano));
  }

  private async deleteBeforeNow(timeUnixNano: bigint): Promise<number> {
    const p = new SqlParams();
    const result = await this.write.run(`DELETE FROM spans WHERE start_ns < ${p.bigint(timeUnixNano)}`, p.values, p.types);
    await this.traceIndex.deleteBefore(this.write, timeUnixNano);
    if (result.rowsChanged > 0) await this.forgetOperationsWithoutSpans();
    return result.rowsChanged;
  }

  /** Services and operations whose spans retention has deleted leave the lists (as Jaeger's lookback has them go). */
  private async forgetOperationsWithoutSpans(): Promise<void> {
    const gone = await this.write.runAndReadAll(`DELETE FROM span_operations o
      WHERE NOT EXISTS (SELECT 1 FROM spans s WHERE s.service_name = o.service_name AND s.name = o.name AND s.kind = o.kind)
      RETURNING service_name, name, kind`);
    for (const [service, name, kind] of gone.getRows()) this.operations.delete(`${String(service)}\0${String(name)}\0${String(kind)}`);
  }
}

/**
 * One tag filter. Jaeger's derived tags (`error`, `span.kind`,
 * `otel.status_code`, `otel.status_description`) map to columns; any other
 * key matches a span attribute or, failing that, a resource attribute.
 */
function tagCondition(key: string, value: string, p: SqlParams, resources: ResourceCatalog): string {
  if (key === 'error') return value === 'true' ? `status_code = ${StatusCode.ERROR}` : `status_code <> ${StatusCode.ERROR}`;
  if (key === 'span.kind') return `kind = ${p.int(value === '' ? -1 : SPAN_KIND_NAMES.indexOf(value))}`;
  if (key === 'otel.status_code') return `status_code = ${p.int(Object.hasOwn(StatusCode, value) ? StatusCode[value as keyof typeof StatusCode] : -1)}`;
  if (key === 'otel.status_description') return `json_extract_string(extra, '$.statusMessage') = ${p.text(value)}`;
  const byAttribute = `json_extract_string(attributes, ${p.text(jsonKeyPath(storedKey(key)))}) = ${p.text(value)}`;
  const resourceIds = resources.idsWhere(key, value);
  return resourceIds.length === 0 ? byAttribute : `(${byAttribute} OR resource_id IN (${resourceIds.map((id) => p.bigint(id)).join(', ')}))`;
}

function spanExtra(s: SpanRecord): SpanExtra | null {
  const extra: SpanExtra = {};
  if (s.traceState !== '') extra.traceState = s.traceState;
  if (s.statusMessage !== '') extra.statusMessage = s.statusMessage;
  if (s.events.length > 0) extra.events = s.events;
  if (s.links.length > 0) extra.links = s.links;
  if (s.droppedAttributesCount > 0) extra.droppedAttributesCount = s.droppedAttributesCount;
  if (s.droppedEventsCount > 0) extra.droppedEventsCount = s.droppedEventsCount;
  if (s.droppedLinksCount > 0) extra.droppedLinksCount = s.droppedLinksCount;
  if (Object.keys(s.scopeAttributes).length > 0) extra.scopeAttributes = s.scopeAttributes;
  return Object.keys(extra).length > 0 ? extra : null;
}

function rowToSpan(r: DuckDBValue[], resources: ResourceCatalog): SpanRecord {
  const extra = r[14] === null ? {} : attributesFromJson<SpanExtra>(r[14] as string);
  const start = r[5] as bigint;
  const resourceId = r[8] as bigint;
  return {
    traceId: (r[0] as DuckDBBlobValue).bytes,
    spanId: (r[1] as DuckDBBlobValue).bytes,
    parentSpanId: r[2] === null ? null : (r[2] as DuckDBBlobValue).bytes,
    name: String(r[3]),
    kind: Number(r[4]),
    startTimeUnixNano: start,
    endTimeUnixNano: start + (r[6] as bigint),
    serviceName: String(r[7]),
    resource: resources.get(resourceId)?.attributes ?? {},
    statusCode: Number(r[9]),
    flags: Number(r[10]),
    attributes: attributesFromJson(r[11] as string),
    scopeName: String(r[12]),
    scopeVersion: String(r[13]),
    traceState: extra.traceState ?? '',
    statusMessage: extra.statusMessage ?? '',
    events: extra.events ?? [],
    links: extra.links ?? [],
    droppedAttributesCount: Number(extra.droppedAttributesCount ?? 0),
    droppedEventsCount: Number(extra.droppedEventsCount ?? 0),
    droppedLinksCount: Number(extra.droppedLinksCount ?? 0),
    scopeAttributes: extra.scopeAttributes ?? {},
  };
}
