import express, { type Request, type Response, type Router } from 'express';
import { otlpTypes } from '../otlp/otlpSchema.ts';
import { OtlpDecodeError } from '../otlp/wire.ts';
import { QueueFullError } from '../pipeline/BatchWriter.ts';
import type { Ingest } from '../pipeline/Ingest.ts';
import type { SelfMetrics } from '../telemetry/SelfMetrics.ts';
import type { CollectorLog } from '../telemetry/log.ts';
import { OTLP_SIGNALS, ingestBody, responseObject, type BodyEncoding, type OtlpSignal } from './otlpSignals.ts';
import type { ByteBudget } from './ByteBudget.ts';
import { BodyError, readBody } from './readBody.ts';

/** gRPC status codes used in google.rpc.Status error bodies. */
const GRPC_INVALID_ARGUMENT = 3;
const GRPC_RESOURCE_EXHAUSTED = 8;
const GRPC_UNAVAILABLE = 14;
/** Seconds a sender should wait after a 503 before retrying. */
const RETRY_AFTER_SECONDS = 1;

type Encoding = BodyEncoding;

/**
 * OTLP/HTTP: POST /v1/traces, /v1/logs and /v1/metrics, in binary protobuf or
 * JSON, optionally gzip-compressed, answered as the OTLP specification says
 * (https://opentelemetry.io/docs/specs/otlp/#otlphttp): the response in the
 * request's encoding, 200 with partial success when items were refused, 400
 * for undecodable data, 413 over the body limit, 415 for other content types,
 * 503 with Retry-After while the write queue is full.
 */
export function otlpHttpRouter(ingest: Ingest, maxBodyBytes: number, budget: ByteBudget, metrics: SelfMetrics, log: CollectorLog): Router {
  const router = express.Router();
  for (const signal of OTLP_SIGNALS) {
    router.post(signal.httpPath, (req, res) => {
      handleExport(signal, req, res, ingest, maxBodyBytes, budget, metrics).catch((error: unknown) => {
        log.error('OTLP/HTTP export failed unexpectedly', { signal: signal.signal, error });
        if (!res.headersSent) sendError(res, 'json', 500, GRPC_UNAVAILABLE, 'internal error');
      });
    });
  }
  return router;
}

async function handleExport(signal: OtlpSignal, req: Request, res: Response, ingest: Ingest, maxBodyBytes: number, budget: ByteBudget, metrics: SelfMetrics): Promise<void> {
  const refuse = (encoding: Encoding, status: number, code: number, message: string) => {
    metrics.refusedRequests.inc({ signal: signal.signal, status: String(status) });
    sendError(res, encoding, status, code, message);
  };
  const contentType = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  const encoding: Encoding | null = contentType === 'application/x-protobuf' ? 'protobuf' : contentType === 'application/json' ? 'json' : null;
  if (encoding === null) {
    req.resume();
    refuse('json', 415, GRPC_INVALID_ARGUMENT, `Content-Type ${JSON.stringify(contentType)} is not supported: use application/x-protobuf or application/json`);
    return;
  }
  let body: Buffer;
  try {
    body = await readBody(req, maxBodyBytes, budget);
  } catch (error) {
    if (!(error instanceof BodyError)) throw error;
    if (error.status === 413) res.setHeader('Connection', 'close');
    if (error.status === 503) res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
    refuse(encoding, error.status, error.status === 503 ? GRPC_UNAVAILABLE : GRPC_INVALID_ARGUMENT, error.message);
    return;
  }
  try {
    await decodeAndIngest(signal, encoding, body, res, ingest, refuse);
  } finally {
    budget.release(body.length);
  }
}

async function decodeAndIngest(
  signal: OtlpSignal,
  encoding: Encoding,
  body: Buffer,
  res: Response,
  ingest: Ingest,
  refuse: (encoding: Encoding, status: number, code: number, message: string) => void,
): Promise<void> {
  try {
    const payload = responseObject(signal, await ingestBody(signal, ingest, body, encoding, 'http'));
    if (encoding === 'protobuf') {
      res.status(200).type('application/x-protobuf').send(Buffer.from(signal.response.encode(signal.response.fromObject(payload)).finish()));
    } else {
      res.status(200).json(payload);
    }
  } catch (error) {
    if (error instanceof OtlpDecodeError) {
      refuse(encoding, 400, GRPC_INVALID_ARGUMENT, error.message);
    } else if (error instanceof QueueFullError) {
      res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
      refuse(encoding, 503, GRPC_RESOURCE_EXHAUSTED, `${error.message}; retry later`);
    } else {
      // The store write failed: nothing of this request is durable, so the sender must retry.
      res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
      refuse(encoding, 503, GRPC_UNAVAILABLE, `storing failed: ${(error as Error).message}; retry later`);
    }
  }
}

/** An OTLP error body: google.rpc.Status in the request's encoding. */
function sendError(res: Response, encoding: Encoding, status: number, code: number, message: string): void {
  if (encoding === 'protobuf') {
    res.status(status).type('application/x-protobuf').send(Buffer.from(otlpTypes.status.encode({ code, message }).finish()));
  } else {
    res.status(status).json({ code, message });
  }
}
