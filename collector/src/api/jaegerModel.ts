/**
 * Spans in the Jaeger query API's JSON model (the `/api/traces` responses the
 * Jaeger UI and Grafana's Jaeger data source read), translated from OTLP the
 * way Jaeger itself translates: resource → process, kind/status/scope → tags,
 * events → logs, parent and links → references.
 */
import type { AttributeValue, Attributes } from '../model/attributes.ts';
import { idToHex } from '../model/ids.ts';
import { SPAN_KIND_NAMES, StatusCode, type SpanRecord } from '../model/span.ts';
import { toPlainJson } from './plainJson.ts';

/** A Jaeger key-value tag. */
export interface JaegerTag {
  key: string;
  type: 'string' | 'bool' | 'int64' | 'float64' | 'binary';
  value: string | number | boolean;
}

/** A span in the Jaeger JSON model. */
export interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references: Array<{ refType: 'CHILD_OF' | 'FOLLOWS_FROM'; traceID: string; spanID: string }>;
  startTime: number;
  duration: number;
  tags: JaegerTag[];
  logs: Array<{ timestamp: number; fields: JaegerTag[] }>;
  processID: string;
  warnings: string[] | null;
  flags: number;
}

/** A trace in the Jaeger JSON model. */
export interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string; tags: JaegerTag[] }>;
  warnings: string[] | null;
}

/** Converts one trace's spans to Jaeger's model; processes are shared by spans with the same resource. */
export function toJaegerTrace(spans: readonly SpanRecord[]): JaegerTrace {
  const processes: JaegerTrace['processes'] = {};
  const processIds = new Map<string, string>();
  const out: JaegerSpan[] = [];
  for (const s of spans) {
    const resourceKey = s.serviceName + '\0' + JSON.stringify(toPlainJson(s.resource));
    let processID = processIds.get(resourceKey);
    if (processID === undefined) {
      processID = `p${processIds.size + 1}`;
      processIds.set(resourceKey, processID);
      const tags = toTags(s.resource).filter((t) => t.key !== 'service.name');
      processes[processID] = { serviceName: s.serviceName, tags };
    }
    out.push(toJaegerSpan(s, processID));
  }
  return { traceID: spans.length > 0 ? idToHex(spans[0]!.traceId) : '', spans: out, processes, warnings: null };
}

function toJaegerSpan(s: SpanRecord, processID: string): JaegerSpan {
  const traceID = idToHex(s.traceId);
  const references: JaegerSpan['references'] = [];
  if (s.parentSpanId !== null) references.push({ refType: 'CHILD_OF', traceID, spanID: idToHex(s.parentSpanId) });
  for (const l of s.links) references.push({ refType: 'FOLLOWS_FROM', traceID: l.traceId, spanID: l.spanId });
  const tags = toTags(s.attributes);
  const kind = SPAN_KIND_NAMES[s.kind];
  if (kind !== undefined && kind !== '') tags.push({ key: 'span.kind', type: 'string', value: kind });
  if (s.statusCode === StatusCode.ERROR) {
    tags.push({ key: 'otel.status_code', type: 'string', value: 'ERROR' }, { key: 'error', type: 'bool', value: true });
    if (s.statusMessage !== '') tags.push({ key: 'otel.status_description', type: 'string', value: s.statusMessage });
  } else if (s.statusCode === StatusCode.OK) {
    tags.push({ key: 'otel.status_code', type: 'string', value: 'OK' });
  }
  if (s.scopeName !== '') tags.push({ key: 'otel.scope.name', type: 'string', value: s.scopeName });
  if (s.scopeVersion !== '') tags.push({ key: 'otel.scope.version', type: 'string', value: s.scopeVersion });
  if (s.traceState !== '') tags.push({ key: 'w3c.tracestate', type: 'string', value: s.traceState });
  return {
    traceID,
    spanID: idToHex(s.spanId),
    operationName: s.name,
    references,
    startTime: Number(s.startTimeUnixNano / 1000n),
    duration: Number((s.endTimeUnixNano - s.startTimeUnixNano) / 1000n),
    tags,
    logs: s.events.map((e) => ({
      timestamp: Number(e.timeUnixNano / 1000n),
      fields: [{ key: 'event', type: 'string', value: e.name }, ...toTags(e.attributes)],
    })),
    processID,
    warnings: null,
    flags: s.flags & 0xff,
  };
}

/** Attributes as typed Jaeger tags; arrays and maps become their JSON text. */
export function toTags(attributes: Attributes): JaegerTag[] {
  return Object.entries(attributes).map(([key, value]) => toTag(key, value));
}

function toTag(key: string, value: AttributeValue): JaegerTag {
  switch (typeof value) {
    case 'string':
      return { key, type: 'string', value };
    case 'boolean':
      return { key, type: 'bool', value };
    case 'bigint':
      return { key, type: 'int64', value: toPlainJson(value) as number };
    case 'number':
      return { key, type: 'float64', value };
  }
  if (value instanceof Uint8Array) return { key, type: 'binary', value: Buffer.from(value).toString('base64') };
  return { key, type: 'string', value: JSON.stringify(toPlainJson(value)) };
}
