import type protobuf from 'protobufjs';
import { OtlpDecodeError } from '../otlp/wire.ts';
import { decodeTurn } from './decodeTurns.ts';
import { collectAfterLargeBody } from './largeBodyGc.ts';
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

/** How a body is encoded on the wire. */
export type BodyEncoding = 'protobuf' | 'json';

/**
 * Decodes one export request, maps it and queues its rows; resolves once they
 * are durable. The decoded object graph is dropped as soon as it is mapped,
 * before the write is awaited, and collected right away when the body was
 * large. Undecodable bodies throw OtlpDecodeError (a 400 / INVALID_ARGUMENT).
 */
export async function ingestBody(signal: OtlpSignal, ingest: Ingest, body: Buffer, encoding: BodyEncoding, transport: string): Promise<IngestResult> {
  // Decoded and mapped in its turn (decodeTurns.ts); the write that follows runs alongside other turns.
  const { pending } = await decodeTurn(() => {
    const started = signal.ingest(ingest, decodeBody(signal, body, encoding), transport);
    collectAfterLargeBody(body.length);
    return { pending: started };
  });
  return pending;
}

function decodeBody(signal: OtlpSignal, body: Buffer, encoding: BodyEncoding): unknown {
  try {
    return encoding === 'protobuf' ? signal.request.decode(body) : JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new OtlpDecodeError(`cannot decode the ${encoding} body as ${signal.request.name}: ${(error as Error).message}`);
  }
}
