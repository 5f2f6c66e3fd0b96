import * as grpc from '@grpc/grpc-js';
import { OtlpDecodeError } from '../otlp/wire.ts';
import { QueueFullError } from '../pipeline/BatchWriter.ts';
import type { Ingest } from '../pipeline/Ingest.ts';
import type { SelfMetrics } from '../telemetry/SelfMetrics.ts';
import type { CollectorLog } from '../telemetry/log.ts';
import type { IngestTokens } from '../auth/IngestTokens.ts';
import type { ByteBudget } from './ByteBudget.ts';
import { OTLP_SIGNALS, ingestBody, responseObject, type OtlpSignal } from './otlpSignals.ts';

const identity = (b: Buffer) => b;
/** Export calls one connection may have open at once. */
const MAX_CONCURRENT_STREAMS = 8;

/**
 * OTLP/gRPC: the Export method of the trace, logs and metrics services, with
 * the same ingest path and limits as OTLP/HTTP. Errors use the status codes
 * the OTLP specification gives: INVALID_ARGUMENT for bad data, UNAVAILABLE
 * (retryable) while the write queue is full or the store fails.
 */
export class OtlpGrpcReceiver {
  private readonly server: grpc.Server;

  /** With `tokens`, every call must carry `authorization: Bearer <token>` metadata; others end UNAUTHENTICATED. */
  constructor(ingest: Ingest, maxMessageBytes: number, budget: ByteBudget, metrics: SelfMetrics, log: CollectorLog, tokens: IngestTokens | null = null) {
    // grpc-js reads a whole message before the handler can take it from the
    // byte budget; capping streams per connection bounds what one client holds.
    this.server = new grpc.Server({ 'grpc.max_receive_message_length': maxMessageBytes, 'grpc.max_concurrent_streams': MAX_CONCURRENT_STREAMS });
    for (const signal of OTLP_SIGNALS) {
      const definition: grpc.ServiceDefinition = {
        Export: {
          path: `/${signal.grpcService}/Export`,
          requestStream: false,
          responseStream: false,
          requestSerialize: identity,
          requestDeserialize: identity,
          responseSerialize: identity,
          responseDeserialize: identity,
        },
      };
      this.server.addService(definition, {
        Export: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
          if (tokens !== null) {
            const authorization = call.metadata.get('authorization')[0];
            if (tokens.senderOf(typeof authorization === 'string' ? authorization : undefined) === null) {
              const source = call.getPeer().replace(/^ipv[46]:/, '').replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
              metrics.unauthorizedIngest.inc({ source: tokens.sourceLabel(source), reason: authorization === undefined ? 'missing' : 'wrong' });
              callback({ code: grpc.status.UNAUTHENTICATED, details: 'no known ingest token: send authorization: Bearer <token> metadata' });
              return;
            }
          }
          exportCall(signal, call.request, ingest, budget).then(
            (response) => callback(null, response),
            (error: unknown) => {
              const status = statusFor(error);
              if (!(error instanceof OtlpDecodeError || error instanceof QueueFullError)) log.error('OTLP/gRPC export failed unexpectedly', { signal: signal.signal, error });
              metrics.refusedRequests.inc({ signal: signal.signal, status: grpc.status[status.code ?? grpc.status.UNKNOWN] ?? String(status.code) });
              callback(status);
            },
          );
        },
      });
    }
  }

  /** Listens on host:port (with TLS when a certificate is given); resolves with the bound port. */
  listen(host: string, port: number, tls: { cert: Buffer; key: Buffer } | null = null): Promise<number> {
    const credentials = tls === null ? grpc.ServerCredentials.createInsecure() : grpc.ServerCredentials.createSsl(null, [{ cert_chain: tls.cert, private_key: tls.key }], false);
    return new Promise((resolve, reject) => {
      this.server.bindAsync(`${host.includes(':') ? `[${host}]` : host}:${port}`, credentials, (error, bound) => (error ? reject(error) : resolve(bound)));
    });
  }

  /** Stops accepting calls and waits for running ones, forcing after `graceMs`. */
  close(graceMs = 5000): Promise<void> {
    return new Promise((resolve) => {
      const force = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, graceMs);
      force.unref();
      this.server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
  }
}

async function exportCall(signal: OtlpSignal, body: Buffer, ingest: Ingest, budget: ByteBudget): Promise<Buffer> {
  if (!budget.tryReserve(body.length)) throw new QueueFullError(budget.refusal());
  try {
    return await decodeAndIngest(signal, body, ingest);
  } finally {
    budget.release(body.length);
  }
}

async function decodeAndIngest(signal: OtlpSignal, body: Buffer, ingest: Ingest): Promise<Buffer> {
  const result = await ingestBody(signal, ingest, body, 'protobuf', 'grpc');
  return Buffer.from(signal.response.encode(signal.response.fromObject(responseObject(signal, result))).finish());
}

function statusFor(error: unknown): Partial<grpc.StatusObject> {
  if (error instanceof OtlpDecodeError) return { code: grpc.status.INVALID_ARGUMENT, details: error.message };
  if (error instanceof QueueFullError) return { code: grpc.status.UNAVAILABLE, details: `${error.message}; retry later` };
  return { code: grpc.status.UNAVAILABLE, details: `storing failed: ${(error as Error).message}; retry later` };
}
