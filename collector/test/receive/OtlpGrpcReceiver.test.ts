import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { otlpTypes } from '../../src/otlp/otlpSchema.ts';
import { getJson, startTestCollector } from '../support/testCollector.ts';

type Collector = Awaited<ReturnType<typeof startTestCollector>>;
let collector: Collector;
let client: grpc.Client;

beforeAll(async () => {
  collector = await startTestCollector();
  client = new grpc.Client(`127.0.0.1:${collector.grpcPort}`, grpc.credentials.createInsecure());
});
afterAll(async () => {
  client.close();
  await collector.stop();
});

/** Calls TraceService/Export with raw request bytes. */
function exportTraces(body: Buffer): Promise<{ error: grpc.ServiceError | null; response: Buffer | undefined }> {
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
      (b: Buffer) => b,
      (b: Buffer) => b,
      body,
      (error, response) => resolve({ error, response }),
    );
  });
}

describe('OTLP/gRPC receiver', () => {
  it('stores a valid export and answers with an empty response', async () => {
    const now = BigInt(Date.now()) * 1_000_000n;
    const request = otlpTypes.traceRequest.fromObject({
      resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'grpc-svc' } }] }, scopeSpans: [{ spans: [{ traceId: Buffer.alloc(16, 9), spanId: Buffer.alloc(8, 9), name: 'op', startTimeUnixNano: String(now - 1000n), endTimeUnixNano: String(now) }] }] }],
    });
    const { error, response } = await exportTraces(Buffer.from(otlpTypes.traceRequest.encode(request).finish()));
    expect(error).toBeNull();
    expect(response!.length).toBe(0);
    expect((await getJson(collector.url, `/api/traces/${'09'.repeat(16)}`)).status).toBe(200);
  });

  it('answers INVALID_ARGUMENT naming the field for an invalid span id', async () => {
    const request = otlpTypes.traceRequest.fromObject({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: Buffer.alloc(16, 1), spanId: Buffer.alloc(3, 1), name: 'op', startTimeUnixNano: 1 }] }] }] });
    const { error } = await exportTraces(Buffer.from(otlpTypes.traceRequest.encode(request).finish()));
    expect(error?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(error?.details).toBe('resourceSpans[0].scopeSpans[0].spans[0].spanId: expected 8 bytes, got 3');
  });

  it('answers INVALID_ARGUMENT for bytes that are not protobuf', async () => {
    const { error } = await exportTraces(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]));
    expect(error?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(error?.details).toMatch(/cannot decode the protobuf body as ExportTraceServiceRequest/);
  });
});
