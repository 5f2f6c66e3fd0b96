import type { JaegerSpan, JaegerTrace, LogRecord } from '../api/types.ts';

/** One row of the waterfall: a span, where it sits in the tree and on the time axis. */
export interface WaterfallRow {
  spanId: string;
  parentId: string | null;
  depth: number;
  service: string;
  operation: string;
  /** Microseconds from the trace's start. */
  offsetUs: number;
  durationUs: number;
  error: boolean;
  childCount: number;
  /** On the chain of spans that made the trace as long as it was. */
  critical: boolean;
  tags: Array<{ key: string; value: string }>;
  events: Array<{ offsetUs: number; fields: Array<{ key: string; value: string }> }>;
}

/** A trace laid out for the waterfall. */
export interface WaterfallData {
  traceId: string;
  startUs: number;
  durationUs: number;
  services: string[];
  rows: WaterfallRow[];
}

const isError = (s: JaegerSpan) => s.tags.some((t) => (t.key === 'error' && t.value === true) || (t.key === 'otel.status_code' && t.value === 'ERROR'));
const parentOf = (s: JaegerSpan, ids: Set<string>) => s.references.find((r) => r.refType === 'CHILD_OF' && ids.has(r.spanID))?.spanID ?? null;

/**
 * The trace's spans in tree order (children by start time), with their depth,
 * offsets and the critical path: from the root, the child that ended last
 * before the cursor, then the cursor moves to that child's start, as Jaeger
 * computes it. Spans under a collapsed span are left out.
 */
export function buildWaterfallData(trace: JaegerTrace, collapsed: ReadonlySet<string> = new Set()): WaterfallData {
  const ids = new Set(trace.spans.map((s) => s.spanID));
  const children = new Map<string | null, JaegerSpan[]>();
  for (const s of trace.spans) {
    const p = parentOf(s, ids);
    const list = children.get(p) ?? [];
    list.push(s);
    children.set(p, list);
  }
  for (const list of children.values()) list.sort((a, b) => a.startTime - b.startTime || a.spanID.localeCompare(b.spanID));
  const startUs = Math.min(...trace.spans.map((s) => s.startTime));
  const endUs = Math.max(...trace.spans.map((s) => s.startTime + s.duration));
  const critical = new Set<string>();
  const walkCritical = (span: JaegerSpan, until: number) => {
    critical.add(span.spanID);
    let cursor = Math.min(until, span.startTime + span.duration);
    const kids = [...(children.get(span.spanID) ?? [])].sort((a, b) => b.startTime + b.duration - (a.startTime + a.duration));
    for (const kid of kids) {
      if (kid.startTime >= cursor) continue;
      walkCritical(kid, cursor);
      cursor = kid.startTime;
    }
  };
  for (const root of children.get(null) ?? []) walkCritical(root, root.startTime + root.duration);
  const rows: WaterfallRow[] = [];
  const visit = (span: JaegerSpan, depth: number, parentId: string | null) => {
    const kids = children.get(span.spanID) ?? [];
    rows.push({
      spanId: span.spanID,
      parentId,
      depth,
      service: trace.processes[span.processID]?.serviceName ?? 'unknown',
      operation: span.operationName,
      offsetUs: span.startTime - startUs,
      durationUs: span.duration,
      error: isError(span),
      childCount: kids.length,
      critical: critical.has(span.spanID),
      tags: span.tags.map((t) => ({ key: t.key, value: String(t.value) })),
      events: span.logs.map((l) => ({ offsetUs: l.timestamp - span.startTime, fields: l.fields.map((f) => ({ key: f.key, value: String(f.value) })) })),
    });
    if (!collapsed.has(span.spanID)) for (const kid of kids) visit(kid, depth + 1, span.spanID);
  };
  for (const root of children.get(null) ?? []) visit(root, 0, null);
  const services = [...new Set(rows.map((r) => r.service))].sort();
  return { traceId: trace.traceID, startUs, durationUs: endUs - startUs, services, rows };
}

/** A trace search result as the list shows it. */
export interface TraceSummary {
  traceId: string;
  rootService: string;
  rootOperation: string;
  startMs: number;
  durationMs: number;
  spanCount: number;
  errorCount: number;
  services: string[];
}

/** Search results, newest first. */
export function buildTraceSummaries(traces: JaegerTrace[]): TraceSummary[] {
  return traces
    .map((t) => {
      const ids = new Set(t.spans.map((s) => s.spanID));
      const root = t.spans.find((s) => parentOf(s, ids) === null) ?? t.spans[0]!;
      const start = Math.min(...t.spans.map((s) => s.startTime));
      const end = Math.max(...t.spans.map((s) => s.startTime + s.duration));
      return {
        traceId: t.traceID,
        rootService: t.processes[root.processID]?.serviceName ?? 'unknown',
        rootOperation: root.operationName,
        startMs: start / 1000,
        durationMs: (end - start) / 1000,
        spanCount: t.spans.length,
        errorCount: t.spans.filter(isError).length,
        services: [...new Set(t.spans.map((s) => t.processes[s.processID]?.serviceName ?? 'unknown'))].sort(),
      };
    })
    .sort((a, b) => b.startMs - a.startMs);
}

/** A log line of a trace: when (ms from the trace's start), from which span, what it said. */
export interface TraceLogLine {
  offsetMs: number;
  timestamp: string;
  service: string;
  severity: string;
  message: string;
  spanId: string | null;
  /** The operation of the span the line was written in, when that span is in the trace. */
  operation: string | null;
}

/** Every log line of the trace in time order, each with the span it belongs to. */
export function buildTraceLogLines(logs: LogRecord[], trace: JaegerTrace): TraceLogLine[] {
  const startUs = Math.min(...trace.spans.map((s) => s.startTime));
  const operations = new Map(trace.spans.map((s) => [s.spanID, s.operationName]));
  return [...logs]
    .sort((a, b) => (BigInt(a.timeUnixNano) < BigInt(b.timeUnixNano) ? -1 : BigInt(a.timeUnixNano) > BigInt(b.timeUnixNano) ? 1 : 0))
    .map((l) => ({
      offsetMs: Number(BigInt(l.timeUnixNano) - BigInt(Math.round(startUs)) * 1000n) / 1e6,
      timestamp: l.timestamp,
      service: l.serviceName,
      severity: l.severityText || severityName(l.severityNumber),
      message: typeof l.body === 'string' ? l.body : JSON.stringify(l.body),
      spanId: l.spanId,
      operation: l.spanId === null ? null : (operations.get(l.spanId) ?? null),
    }));
}

function severityName(n: number): string {
  return n >= 21 ? 'FATAL' : n >= 17 ? 'ERROR' : n >= 13 ? 'WARN' : n >= 9 ? 'INFO' : n >= 5 ? 'DEBUG' : n >= 1 ? 'TRACE' : '';
}
