/** Small builders of OTLP/JSON export requests for tests. */

/** A span for {@link traceRequest}. */
export interface TestSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind?: number;
  startMs: number;
  durationMs: number;
  attributes?: Record<string, string | number | boolean>;
  error?: boolean;
}

/** A log record for {@link logsRequest}. */
export interface TestLog {
  timeMs: number;
  body: string;
  severityNumber?: number;
  severityText?: string;
  traceId?: string;
  spanId?: string;
}

function keyValues(attributes: Record<string, string | number | boolean>) {
  return Object.entries(attributes).map(([key, v]) => ({
    key,
    value: typeof v === 'string' ? { stringValue: v } : typeof v === 'boolean' ? { boolValue: v } : Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v },
  }));
}

const ns = (ms: number) => (BigInt(Math.round(ms * 1000)) * 1000n).toString();

/** An ExportTraceServiceRequest (JSON) with the spans of one service. */
export function traceRequest(service: string, spans: TestSpan[], resource: Record<string, string> = {}) {
  return {
    resourceSpans: [
      {
        resource: { attributes: keyValues({ 'service.name': service, ...resource }) },
        scopeSpans: [
          {
            scope: { name: 'test' },
            spans: spans.map((s) => ({
              traceId: s.traceId,
              spanId: s.spanId,
              ...(s.parentSpanId !== undefined && { parentSpanId: s.parentSpanId }),
              name: s.name,
              kind: s.kind ?? 2,
              startTimeUnixNano: ns(s.startMs),
              endTimeUnixNano: ns(s.startMs + s.durationMs),
              attributes: keyValues(s.attributes ?? {}),
              ...(s.error === true && { status: { code: 2, message: 'failed' } }),
            })),
          },
        ],
      },
    ],
  };
}

/** An ExportLogsServiceRequest (JSON) with the records of one service. */
export function logsRequest(service: string, records: TestLog[]) {
  return {
    resourceLogs: [
      {
        resource: { attributes: keyValues({ 'service.name': service }) },
        scopeLogs: [
          {
            logRecords: records.map((r) => ({
              timeUnixNano: ns(r.timeMs),
              body: { stringValue: r.body },
              severityNumber: r.severityNumber ?? 9,
              severityText: r.severityText ?? '',
              ...(r.traceId !== undefined && { traceId: r.traceId }),
              ...(r.spanId !== undefined && { spanId: r.spanId }),
            })),
          },
        ],
      },
    ],
  };
}

/** POSTs an OTLP/JSON request and fails the test unless it is answered 200 with full success. */
export async function sendJson(base: string, path: '/v1/traces' | '/v1/logs' | '/v1/metrics', body: unknown): Promise<void> {
  const res = await fetch(base + path, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  const text = await res.text();
  if (res.status !== 200 || text !== '{}') throw new Error(`${path} answered ${res.status}: ${text}`);
}

/** A 32-hex-digit trace id from a number. */
export function tid(n: number): string {
  return n.toString(16).padStart(32, '0');
}

/** A 16-hex-digit span id from a number. */
export function sid(n: number): string {
  return n.toString(16).padStart(16, '0');
}
