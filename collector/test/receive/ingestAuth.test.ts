import fs from 'node:fs';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { remoteWriteBody } from '../../src/metrics/remoteWriteEncode.ts';
import { otlpTypes } from '../../src/otlp/otlpSchema.ts';
import { runCollector } from '../support/collectorProcess.ts';
import { logsRequest, tid, traceRequest } from '../support/otlpJson.ts';
import { getJson, startTestCollector, tempDataDir } from '../support/testCollector.ts';

// Ingest tokens: with any token configured, every OTLP (HTTP and gRPC), push
// and remote-write request must carry a known one; the query API stays as it is.

const ORDER_TOKEN = 'a9d3f1c7e5b2480f96c4d2e8a1b7f305';
const PAYMENT_TOKEN = 'payment-token-0123456789abcdef';
type Collector = Awaited<ReturnType<typeof startTestCollector>>;
let collector: Collector;
let dir: string;

beforeAll(async () => {
  dir = tempDataDir();
  const hashed = await runCollector(['hash-token', ORDER_TOKEN]);
  expect(hashed.code).toBe(0);
  fs.writeFileSync(path.join(dir, 'tokens.yaml'), `# hashes only: mirador-collector hash-token TOKEN\ntokens:\n  - name: order\n    hash: ${hashed.stdout.trim()}\n`);
  collector = await startTestCollector(['--ingest-tokens-file', path.join(dir, 'tokens.yaml'), '--ingest-tokens', `payment=${PAYMENT_TOKEN}`]);
});
afterAll(async () => {
  await collector.stop();
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const postJson = (pathName: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(collector.url + pathName, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
const unauthorized = async () => {
  const text = await (await fetch(`${collector.url}/metrics`)).text();
  return [...text.matchAll(/^mirador_ingest_unauthorized_total\{source="([^"]+)",reason="(\w+)"\} (\d+)$/gm)].map((m) => ({ source: m[1], reason: m[2], count: Number(m[3]) }));
};

describe('ingest tokens', () => {
  it('keeps only hashes at rest: hash-token prints sha256 and 64 hex digits, and refuses a short token', async () => {
    const r = await runCollector(['hash-token', ORDER_TOKEN]);
    expect(r.stdout.trim()).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(fs.readFileSync(path.join(dir, 'tokens.yaml'), 'utf8')).not.toContain(ORDER_TOKEN);
    const short = await runCollector(['hash-token', 'abc']);
    expect(short.code).toBe(2);
    expect(short.stderr).toMatch(/16 characters or more/);
  });

  it('answers 401 with WWW-Authenticate to OTLP without a token or with an unknown one, and stores nothing of it', async () => {
    const body = traceRequest('intruder', [{ traceId: tid(66), spanId: '0000000000000001', name: 'x', startMs: Date.now() - 1000, durationMs: 1 }]);
    const missing = await postJson('/v1/traces', body);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="mirador-ingest"');
    expect(((await missing.json()) as { error: string }).error).toMatch(/no ingest token: send Authorization: Bearer <token>/);
    const wrong = await postJson('/v1/traces', body, bearer('not-a-token-anyone-has'));
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as { error: string }).error).toMatch(/not a known ingest token/);
    expect((await getJson(collector.url, `/api/traces/${tid(66)}`)).status).toBe(404);
  });

  it('takes OTLP, pushes and remote writes with a token from the file or from the list', async () => {
    expect((await postJson('/v1/traces', traceRequest('order', [{ traceId: tid(7), spanId: '0000000000000001', name: 'POST /orders', startMs: Date.now() - 1000, durationMs: 5 }]), bearer(ORDER_TOKEN))).status).toBe(200);
    expect((await postJson('/v1/logs', logsRequest('payment', [{ timeMs: Date.now() - 1000, body: 'charged', traceId: tid(7), spanId: '0000000000000002' }]), bearer(PAYMENT_TOKEN))).status).toBe(200);
    expect((await getJson(collector.url, `/api/traces/${tid(7)}`)).status).toBe(200);
    expect((await getJson<{ data: unknown[] }>(collector.url, `/api/logs?traceId=${tid(7)}`)).body.data).toHaveLength(1);

    const push = (headers: Record<string, string>) =>
      fetch(`${collector.url}/metrics/job/order/instance/a`, { method: 'POST', headers: { 'content-type': 'text/plain', ...headers }, body: '# TYPE orders_created_total counter\norders_created_total 3\n' });
    expect((await push({})).status).toBe(401);
    expect((await push(bearer(ORDER_TOKEN))).status).toBe(200);

    const write = (headers: Record<string, string>) =>
      fetch(`${collector.url}/api/v1/write`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy', ...headers },
        body: remoteWriteBody({ timeseries: [{ labels: [{ name: '__name__', value: 'queue_depth' }], samples: [{ value: 4, timestamp: Date.now() }] }] }),
      });
    expect((await write(bearer('wrong-wrong-wrong-wrong'))).status).toBe(401);
    expect((await write(bearer(PAYMENT_TOKEN))).status).toBe(204);
  });

  it('counts refusals by source address and reason', async () => {
    const counts = await unauthorized();
    expect(counts.find((c) => c.source === '127.0.0.1' && c.reason === 'missing')?.count).toBeGreaterThanOrEqual(2);
    expect(counts.find((c) => c.source === '127.0.0.1' && c.reason === 'wrong')?.count).toBeGreaterThanOrEqual(2);
  });

  it('asks OTLP/gRPC for the token in the authorization metadata', async () => {
    const client = new grpc.Client(`127.0.0.1:${collector.grpcPort}`, grpc.credentials.createInsecure());
    const now = BigInt(Date.now()) * 1_000_000n;
    const body = Buffer.from(otlpTypes.traceRequest.encode(otlpTypes.traceRequest.fromObject({
      resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'grpc-svc' } }] }, scopeSpans: [{ spans: [{ traceId: Buffer.alloc(16, 5), spanId: Buffer.alloc(8, 5), name: 'op', startTimeUnixNano: String(now - 1000n), endTimeUnixNano: String(now) }] }] }],
    })).finish());
    const call = (metadata: grpc.Metadata) =>
      new Promise<grpc.ServiceError | null>((resolve) => {
        client.makeUnaryRequest('/opentelemetry.proto.collector.trace.v1.TraceService/Export', (b: Buffer) => b, (b: Buffer) => b, body, metadata, (error) => resolve(error));
      });
    try {
      expect((await call(new grpc.Metadata()))?.code).toBe(grpc.status.UNAUTHENTICATED);
      const good = new grpc.Metadata();
      good.set('authorization', `Bearer ${ORDER_TOKEN}`);
      expect(await call(good)).toBeNull();
      expect((await getJson(collector.url, `/api/traces/${'05'.repeat(16)}`)).status).toBe(200);
    } finally {
      client.close();
    }
  });

  it('leaves the query API, health and the dashboard as they were', async () => {
    expect((await fetch(`${collector.url}/api/services`)).status).toBe(200);
    expect((await fetch(`${collector.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${collector.url}/metrics`)).status).toBe(200);
  });

  it('refuses to start on a tokens file that holds a token instead of its hash, naming the entry', async () => {
    const bad = path.join(dir, 'bad-tokens.yaml');
    fs.writeFileSync(bad, `tokens:\n  - name: order\n    hash: ${ORDER_TOKEN}\n`);
    const r = await runCollector(['--port', '0', '--grpc-port', 'off', '--data-dir', tempDataDir(), '--ingest-tokens-file', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/tokens\[0\] \(order\): hash: expected sha256: and 64 hex digits/);
  });
});
