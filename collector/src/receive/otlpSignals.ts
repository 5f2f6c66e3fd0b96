import type protobuf from 'protobufjs';
import { otlpTypes } from '../otlp/otlpSchema.ts';
import type { Ingest, IngestResult } from '../pipeline/Ingest.ts';
import type { Signal } from '../telemetry/SelfMetrics.ts';

/** Everything a receiver needs to know about one OTLP signal. */
export interface OtlpSignal {
  signal: Signal;
  httpPath: string;
  grpcService: string;
  request: protobuf.Type;
  response: protobuf.Type;
  /** The partial-success field counting refused items. */
  rejectedField: string;
  ingest(ingest: Ingest, request: unknown, transport: string): Promise<IngestResult>;
}

/** The three OTLP signals and their wire types. */
export const OTLP_SIGNALS: readonly OtlpSignal[] = [
  {
    signal: 'traces',
    httpPath: '/v1/traces',
    grpcService: 'opentelemetry.proto.collector.trace.v1.TraceService',
    request: otlpTypes.traceRequest,
    response: otlpTypes.traceResponse,
    rejectedField: 'rejectedSpans',
    ingest: (i, r, t) => i.traces(r, t),
  },
  {
    signal: 'logs',
    httpPath: '/v1/logs',
    grpcService: 'opentelemetry.proto.collector.logs.v1.LogsService',
    request: otlpTypes.logsRequest,
    response: otlpTypes.logsResponse,
    rejectedField: 'rejectedLogRecords',
    ingest: (i, r, t) => i.logs(r, t),
  },
  {
    signal: 'metrics',
    httpPath: '/v1/metrics',
    grpcService: 'opentelemetry.proto.collector.metrics.v1.MetricsService',
    request: otlpTypes.metricsRequest,
    response: otlpTypes.metricsResponse,
    rejectedField: 'rejectedDataPoints',
    ingest: (i, r, t) => i.metricsRequest(r, t),
  },
];

/** The export response body as an object: empty on full success, partialSuccess otherwise. */
export function responseObject(signal: OtlpSignal, result: IngestResult): Record<string, unknown> {
  if (result.rejected === 0 && result.errorMessage === '') return {};
  return { partialSuccess: { [signal.rejectedField]: String(result.rejected), errorMessage: result.errorMessage } };
}
