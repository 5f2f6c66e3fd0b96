/**
 * Spans and log records as documents in Elastic Common Schema field names
 * (`@timestamp`, `message`, `log.level`, `service.name`, `trace.id`,
 * `span.id`, `event.duration`, `labels.*`), so Kibana's Discover and Logs
 * read them unchanged. What ECS has no field for lives under `mirador.*`,
 * including the whole record as stored JSON (`mirador.record`, not indexed),
 * so a span or log read back is exactly the one written.
 *
 * Times in `mirador.*` are Unix nanoseconds written as strings: JSON numbers
 * lose digits beyond 2^53 in JavaScript, the engine maps them to `long`.
 */
import { createHash } from 'node:crypto';
import { attributesFromJson, attributesToJson, type AttributeValue, type Attributes } from '../../model/attributes.ts';
import { hexToId, idToHex } from '../../model/ids.ts';
import type { LogRecord } from '../../model/log.ts';
import { SPAN_KIND_NAMES, StatusCode, type SpanRecord } from '../../model/span.ts';
import { valueText } from '../duckdb/valueText.ts';
import type { StoredLog } from '../types.ts';
import { MAX_SUMMARY_SPANS } from './indexTemplates.ts';
import type { BulkOperation } from './SearchEngine.ts';

/** The index names of one prefix: daily indices per kind (`mirador-spans-2026.11.22`), and one for alerting. */
export class IndexNames {
  readonly prefix: string;

  constructor(prefix: string) {
    this.prefix = prefix;
  }

  spans(day: string): string {
    return `${this.prefix}-spans-${day}`;
  }
  logs(day: string): string {
    return `${this.prefix}-logs-${day}`;
  }
  traces(day: string): string {
    return `${this.prefix}-traces-${day}`;
  }
  operations(day: string): string {
    return `${this.prefix}-operations-${day}`;
  }
  alertHistory(day: string): string {
    return `${this.prefix}-alerthistory-${day}`;
  }
  /** The one index of the alerting lease and shared alert state. */
  alerting(): string {
    return `${this.prefix}-alerting`;
  }
  /** Every daily index of a kind. */
  all(kind: 'spans' | 'logs' | 'traces' | 'operations' | 'alerthistory'): string {
    return `${this.prefix}-${kind}-*`;
  }
}

/** The UTC day of a time, as daily index names have it (`2026.11.22`). */
export function dayOf(unixNano: bigint): string {
  return new Date(Number(unixNano / 1_000_000n)).toISOString().slice(0, 10).replaceAll('-', '.');
}

/** The start of a UTC day named as {@link dayOf} names it, in Unix nanoseconds. */
export function dayStartNano(day: string): bigint {
  return BigInt(Date.parse(`${day.replaceAll('.', '-')}T00:00:00Z`)) * 1_000_000n;
}

/** RFC 3339 with nanoseconds, for `@timestamp` (mapped as date_nanos). */
export function isoNanos(unixNano: bigint): string {
  const seconds = new Date(Number(unixNano / 1_000_000_000n) * 1000).toISOString().slice(0, 19);
  return `${seconds}.${(unixNano % 1_000_000_000n).toString().padStart(9, '0')}Z`;
}

/** `key=value` of a resource's attributes, worked out once per resource object (spans of one request share it). */
const resourceTagCache = new WeakMap<Attributes, string[]>();
function resourceTags(resource: Attributes): string[] {
  let tags = resourceTagCache.get(resource);
  if (tags === undefined) {
    tags = Object.entries(resource).map(([k, v]) => `${k}=${valueText(v)}`);
    resourceTagCache.set(resource, tags);
  }
  return tags;
}

/** String values of attributes for ECS `labels` (kept in `_source`, not mapped). */
function labelsOf(attributes: Attributes): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(attributes)) labels[k] = valueText(v as AttributeValue);
  return labels;
}

/** What the documents of one span share, worked out once: its ids in hex, its day, its attributes as text. */
export interface SpanParts {
  span: SpanRecord;
  traceId: string;
  spanId: string;
  parentId: string | null;
  day: string;
  labels: Record<string, string>;
}

export function spanParts(span: SpanRecord): SpanParts {
  return {
    span,
    traceId: idToHex(span.traceId),
    spanId: idToHex(span.spanId),
    parentId: span.parentSpanId === null ? null : idToHex(span.parentSpanId),
    day: dayOf(span.startTimeUnixNano),
    labels: labelsOf(span.attributes),
  };
}

const OUTCOME = ['unknown', 'success', 'failure'];

/** The stored form of a span: its document in the day's span index. */
export function spanOperation(p: SpanParts, names: IndexNames): BulkOperation {
  const s = p.span;
  const doc = {
    '@timestamp': isoNanos(s.startTimeUnixNano),
    trace: { id: p.traceId },
    span: { id: p.spanId, name: s.name, kind: SPAN_KIND_NAMES[s.kind] ?? '' },
    ...(p.parentId !== null && { parent: { id: p.parentId } }),
    service: { name: s.serviceName },
    event: { duration: Number(s.endTimeUnixNano - s.startTimeUnixNano), outcome: OUTCOME[s.statusCode] ?? 'unknown' },
    labels: p.labels,
    // The span written whole, ids in hex (attribute types kept: int64, bytes, doubles).
    mirador: { start: String(s.startTimeUnixNano), record: attributesToJson({ ...s, traceId: p.traceId, spanId: p.spanId, parentSpanId: p.parentId }) },
  };
  return [{ index: { _index: names.spans(p.day), _id: `${p.traceId}-${p.spanId}` } }, JSON.stringify(doc)];
}

/** A span document's `_source` as the stores read it back. */
export interface SpanSource {
  mirador: { record: string };
}

export function spanFromSource(source: SpanSource): SpanRecord {
  const r = attributesFromJson<Record<string, unknown>>(source.mirador.record);
  return {
    ...(r as unknown as SpanRecord),
    traceId: hexToId(r.traceId as string, 16)!,
    spanId: hexToId(r.spanId as string, 8)!,
    parentSpanId: r.parentSpanId === null ? null : hexToId(r.parentSpanId as string, 8),
    startTimeUnixNano: BigInt(r.startTimeUnixNano as bigint | number),
    endTimeUnixNano: BigInt(r.endTimeUnixNano as bigint | number),
  };
}

/**
 * The per-trace summary a batch of one trace's spans contributes: applied by
 * a script that adds each span not yet there (by span id, so a batch sent
 * twice counts once), keeps the trace's bounds, root, error flag, services
 * and span count, and records each call between two services as soon as both
 * the caller's and the callee's span are in. Trace search is then one query
 * over these documents: every filter applies to one nested span, as Jaeger's.
 */
export function traceSummaryOperation(parts: readonly SpanParts[], names: IndexNames): BulkOperation {
  const first = parts[0]!;
  const traceId = first.traceId;
  const summarySpans = parts.map(({ span: s, spanId, parentId, labels }) => {
    // Span attributes first, then the resource's, each key=value once, as tag searches match them.
    const tags = new Set(Object.entries(labels).map(([k, v]) => `${k}=${v}`));
    for (const tag of resourceTags(s.resource)) tags.add(tag);
    if (s.statusMessage !== '') tags.add(`otel.status_description=${s.statusMessage}`);
    return {
      id: spanId,
      parent: parentId,
      service: s.serviceName,
      name: s.name,
      kind: s.kind,
      status: s.statusCode,
      error: s.statusCode === StatusCode.ERROR,
      start: String(s.startTimeUnixNano),
      duration: String(s.endTimeUnixNano - s.startTimeUnixNano),
      tags: [...tags],
    };
  });
  return [
    { update: { _index: names.traces(first.day), _id: traceId, retry_on_conflict: 5 } },
    {
      scripted_upsert: true,
      upsert: {},
      script: { lang: 'painless', source: SUMMARY_SCRIPT, params: { trace: traceId, timestamp: isoNanos(first.span.startTimeUnixNano), max: MAX_SUMMARY_SPANS, spans: summarySpans } },
    },
  ];
}

// Painless: merges a batch of spans into the trace's summary document.
const SUMMARY_SCRIPT = `
def d = ctx._source;
if (d.spans == null) {
  d.trace = ['id': params.trace]; d['@timestamp'] = params.timestamp;
  d.spans = []; d.calls = []; d.services = []; d.span_count = 0; d.error = false;
}
Map ids = new HashMap();
for (def e : d.spans) { ids.put(e.id, e); }
for (def n : params.spans) {
  if (ids.containsKey(n.id)) { continue; }
  if (d.spans.size() >= params.max) { d.truncated = true; break; }
  long start = Long.parseLong(n.start);
  long end = start + Long.parseLong(n.duration);
  def span = ['id': n.id, 'parent': n.parent, 'service': n.service, 'name': n.name, 'kind': n.kind,
    'status': n.status, 'error': n.error, 'start': start, 'duration': Long.parseLong(n.duration), 'tags': n.tags];
  d.spans.add(span);
  ids.put(n.id, span);
  if (d.start == null || start < d.start) { d.start = start; }
  if (d.end == null || end > d.end) { d.end = end; }
  if (n.error) { d.error = true; }
  if (!d.services.contains(n.service)) { d.services.add(n.service); }
  if (n.parent == null) { d.root = ['service': n.service, 'name': n.name, 'duration': Long.parseLong(n.duration)]; }
  if (n.parent != null && ids.containsKey(n.parent)) {
    def p = ids.get(n.parent);
    if (p.service != n.service) { d.calls.add(['parent': p.service, 'child': n.service, 'start': start, 'parent_start': p.start]); }
  }
  for (def e : d.spans) {
    if (e.parent == n.id && e.service != n.service) { d.calls.add(['parent': n.service, 'child': e.service, 'start': e.start, 'parent_start': start]); }
  }
}
d.span_count = d.spans.size();
d.duration = d.end - d.start;
`;

/** An operation (service, span name, kind) seen on a day: one small document each, for the service and operation lists. */
export function operationOperation(service: string, name: string, kind: number, day: string, names: IndexNames): BulkOperation {
  const id = createHash('sha1').update(`${service}\0${name}\0${kind}`).digest('hex');
  return [{ index: { _index: names.operations(day), _id: id } }, JSON.stringify({ service: { name: service }, span: { name, kind } })];
}

const LEVELS = ['', 'trace', 'trace', 'trace', 'trace', 'debug', 'debug', 'debug', 'debug', 'info', 'info', 'info', 'info', 'warn', 'warn', 'warn', 'warn', 'error', 'error', 'error', 'error', 'fatal', 'fatal', 'fatal', 'fatal'];

/** The text of a log body for `message`: strings as they are, other values as JSON. */
export function bodyText(body: AttributeValue): string {
  return typeof body === 'string' ? body : attributesToJson(body);
}

/**
 * A log record's document. Its id is a hash of the whole record, so the same
 * record written twice (a retried bulk, a resent OTLP request) is one
 * document; `seen` counts the identical records of one batch before this one,
 * to tell them apart. The first
 * 16 hex digits are the record's id in the API (the tie-break of log paging).
 */
export function logOperation(r: LogRecord, seen: Map<string, number>, names: IndexNames): BulkOperation {
  const record = attributesToJson({ ...r, traceId: r.traceId === null ? null : idToHex(r.traceId), spanId: r.spanId === null ? null : idToHex(r.spanId) });
  const ordinal = seen.get(record) ?? 0;
  seen.set(record, ordinal + 1);
  const hash = createHash('sha256').update(record).update(`\0${ordinal}`).digest('hex');
  const doc = {
    '@timestamp': isoNanos(r.timeUnixNano),
    message: bodyText(r.body),
    log: { level: (r.severityText || LEVELS[r.severityNumber] || '').toLowerCase() },
    service: { name: r.serviceName },
    ...(r.traceId !== null && { trace: { id: idToHex(r.traceId) } }),
    ...(r.spanId !== null && { span: { id: idToHex(r.spanId) } }),
    labels: labelsOf(r.attributes),
    mirador: { time: String(r.timeUnixNano), id: hash.slice(0, 16), severity: r.severityNumber, severity_text: r.severityText.toLowerCase(), record },
  };
  return [{ index: { _index: names.logs(dayOf(r.timeUnixNano)), _id: hash.slice(0, 32) } }, JSON.stringify(doc)];
}

/** A log document's `_source` as the store reads it back. */
export interface LogSource {
  mirador: { id: string; record: string };
}

export function logFromSource(source: LogSource): StoredLog {
  const r = attributesFromJson<Record<string, unknown>>(source.mirador.record);
  return {
    ...(r as unknown as LogRecord),
    timeUnixNano: BigInt(r.timeUnixNano as bigint | number),
    observedTimeUnixNano: BigInt(r.observedTimeUnixNano as bigint | number),
    traceId: r.traceId === null ? null : hexToId(r.traceId as string, 16),
    spanId: r.spanId === null ? null : hexToId(r.spanId as string, 8),
    id: BigInt(`0x${source.mirador.id}`),
  };
}
