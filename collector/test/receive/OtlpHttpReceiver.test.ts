/**
 * Bad input at the OTLP/HTTP receiver: each kind gets its status and a
 * message naming what was wrong, and nothing valid, in the same request or
 * sent before, is lost.
 */
import { once } from 'node:events';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { otlpTypes } from '../../src/otlp/otlpSchema.ts';
import { getJson, startTestCollector } from '../support/testCollector.ts';

type Collector = Awaited<ReturnType<typeof startTestCollector>>;
let collector: Collector;
const MAX_BODY = 256 * 1024;

beforeAll(async () => {
  collector = await startTestCollector(['--max-body-bytes', String(MAX_BODY), '--max-attributes', '4', '--max-attribute-value-bytes', '64', '--max-attribute-depth', '3']);
});
afterAll(async () => {
  await collector.stop();
});

let counter = 0;
/** A fresh valid trace id and a JSON export request with one span of it. */
function jsonSpanRequest(overrides: Record<string, unknown> = {}, service = 'svc') {
  counter++;
  const traceId = (Date.now().toString(16) + counter.toString(16).padStart(8, '0')).padStart(32, 'a');
  const now = BigInt(Date.now()) * 1_000_000n;
  return {
    traceId,
    body: {
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
          scopeSpans: [
            {
              spans: [
                {
                  traceId,
                  spanId: '0102030405060708',
                  name: 'op',
                  kind: 2,
                  startTimeUnixNano: String(now - 1_000_000n),
                  endTimeUnixNano: String(now),
                  ...overrides,
                },
              ],
            },
          ],
        },
      ],
    },
  };
}

async function post(path: string, body: Buffer | string, headers: Record<string, string>) {
  const res = await fetch(collector.url + path, { method: 'POST', body, headers });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

async function traceExists(traceId: string): Promise<boolean> {
  return (await getJson(collector.url, `/api/traces/${traceId}`)).status === 200;
}

describe('OTLP/HTTP receiver', () => {
  it('answers 415 naming the accepted types for an unknown content type', async () => {
    const res = await post('/v1/traces', 'hello', { 'content-type': 'text/plain' });
    expect(res.status).toBe(415);
    expect(JSON.parse(res.text).message).toMatch(/application\/x-protobuf or application\/json/);
  });

  it('answers 400 with a google.rpc.Status body for truncated protobuf', async () => {
    const full = Buffer.from(otlpTypes.traceRequest.encode(otlpTypes.traceRequest.fromObject({ resourceSpans: [{ scopeSpans: [{ spans: [{ name: 'x'.repeat(100), traceId: Buffer.alloc(16, 1), spanId: Buffer.alloc(8, 1) }] }] }] })).finish());
    const res = await fetch(collector.url + '/v1/traces', { method: 'POST', body: full.subarray(0, full.length - 20), headers: { 'content-type': 'application/x-protobuf' } });
    expect(res.status).toBe(400);
    const status = otlpTypes.status.decode(Buffer.from(await res.arrayBuffer())) as unknown as { code: number; message: string };
    expect(status.code).toBe(3);
    expect(status.message).toMatch(/cannot decode the protobuf body/);
  });

  it('answers 400 naming the field for an invalid trace id, and stores nothing of that request', async () => {
    const { traceId, body } = jsonSpanRequest();
    const bad = structuredClone(body);
    bad.resourceSpans[0]!.scopeSpans[0]!.spans.push({ ...bad.resourceSpans[0]!.scopeSpans[0]!.spans[0]!, traceId: 'not-hex' });
    const res = await post('/v1/traces', JSON.stringify(bad), { 'content-type': 'application/json' });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text).message).toBe('resourceSpans[0].scopeSpans[0].spans[1].traceId: expected 32 hex digits, got "not-hex"');
    expect(await traceExists(traceId)).toBe(false);
  });

  it('rejects an all-zero span id and a wrong-length protobuf trace id with 400', async () => {
    const zero = jsonSpanRequest({ spanId: '0000000000000000' });
    const res = await post('/v1/traces', JSON.stringify(zero.body), { 'content-type': 'application/json' });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text).message).toMatch(/spans\[0\]\.spanId: an all-zero id is invalid/);
    const pb = otlpTypes.traceRequest.encode(otlpTypes.traceRequest.fromObject({ resourceSpans: [{ scopeSpans: [{ spans: [{ name: 'x', traceId: Buffer.alloc(5, 1), spanId: Buffer.alloc(8, 1), startTimeUnixNano: 1 }] }] }] })).finish();
    const res2 = await fetch(collector.url + '/v1/traces', { method: 'POST', body: Buffer.from(pb), headers: { 'content-type': 'application/x-protobuf' } });
    expect(res2.status).toBe(400);
    const status = otlpTypes.status.decode(Buffer.from(await res2.arrayBuffer())) as unknown as { message: string };
    expect(status.message).toBe('resourceSpans[0].scopeSpans[0].spans[0].traceId: expected 16 bytes, got 5');
  });

  it('answers 200 with partial success for spans it refuses, and keeps the valid ones', async () => {
    const { traceId, body } = jsonSpanRequest();
    const spans = body.resourceSpans[0]!.scopeSpans[0]!.spans;
    spans.push({ ...spans[0]!, spanId: '1112131415161718', startTimeUnixNano: '0' });
    spans.push({ ...spans[0]!, spanId: '2122232425262728', startTimeUnixNano: '1000', endTimeUnixNano: '2000' });
    const res = await post('/v1/traces', JSON.stringify(body), { 'content-type': 'application/json' });
    expect(res.status).toBe(200);
    const partial = JSON.parse(res.text).partialSuccess;
    expect(partial.rejectedSpans).toBe('2');
    expect(partial.errorMessage).toMatch(/startTimeUnixNano is required/);
    const stored = await getJson<{ data: Array<{ spans: unknown[] }> }>(collector.url, `/api/traces/${traceId}`);
    expect(stored.body.data[0]!.spans).toHaveLength(1);
  });

  it('truncates attributes over the limits, counts them and says so in the response', async () => {
    const deep = { kvlistValue: { values: [{ key: 'a', value: { kvlistValue: { values: [{ key: 'b', value: { kvlistValue: { values: [{ key: 'c', value: { arrayValue: { values: [{ stringValue: 'deep' }] } } }] } } }] } } }] } };
    const { traceId, body } = jsonSpanRequest({
      attributes: [
        { key: 'long', value: { stringValue: 'é'.repeat(100) } },
        { key: 'nested', value: deep },
        { key: 'k3', value: { intValue: '3' } },
        { key: 'k4', value: { intValue: 4 } },
        { key: 'k5', value: { boolValue: true } },
      ],
    });
    const res = await post('/v1/traces', JSON.stringify(body), { 'content-type': 'application/json' });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text).partialSuccess).toEqual({ rejectedSpans: '0', errorMessage: "3 attribute value(s) truncated or dropped by the collector's limits" });
    const stored = await getJson<{ data: Array<{ spans: Array<{ tags: Array<{ key: string; value: unknown }> }> }> }>(collector.url, `/api/traces/${traceId}`);
    const tags = Object.fromEntries(stored.body.data[0]!.spans[0]!.tags.map((t) => [t.key, t.value]));
    expect(tags.long).toBe('é'.repeat(32));
    expect(JSON.parse(tags.nested as string)).toEqual({ a: { b: { c: '[mirador: value nested too deeply, truncated]' } } });
    expect(tags.k3).toBe(3);
    expect(tags.k5).toBeUndefined();
    const metrics = await (await fetch(collector.url + '/metrics')).text();
    expect(metrics).toMatch(/mirador_receiver_truncated_values_total\{signal="traces",limit="attribute_count"\} 1/);
  });

  it('answers 413 for a body over the limit, and for a gzip bomb without inflating it', async () => {
    const big = jsonSpanRequest({ name: 'x'.repeat(MAX_BODY) });
    const res = await post('/v1/traces', JSON.stringify(big.body), { 'content-type': 'application/json' });
    expect(res.status).toBe(413);
    expect(JSON.parse(res.text).message).toMatch(/over the limit of 262144 bytes/);

    const bomb = await gzipBomb(512); // 512 MiB of zeros, ~500 KiB compressed, made without holding them
    const rssBefore = process.memoryUsage().rss;
    const res2 = await post('/v1/traces', bomb, { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' });
    expect(res2.status).toBe(413);
    expect(otlpTypes.status.decode(Buffer.from(res2.text, 'latin1')).toJSON().message).toMatch(/after decompression/);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(200 * 1024 * 1024);
  });

  it('answers 415 for an unknown Content-Encoding', async () => {
    const res = await post('/v1/traces', 'x', { 'content-type': 'application/json', 'content-encoding': 'br' });
    expect(res.status).toBe(415);
    expect(JSON.parse(res.text).message).toMatch(/Content-Encoding "br" is not supported/);
  });

  it('refuses a span timed beyond what the store holds, and keeps accepting others', async () => {
    const far = jsonSpanRequest({ startTimeUnixNano: '9223372036854775808', endTimeUnixNano: '9223372036854775809' });
    const res = await post('/v1/traces', JSON.stringify(far.body), { 'content-type': 'application/json' });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text).partialSuccess).toMatchObject({ rejectedSpans: '1', errorMessage: expect.stringMatching(/beyond the year 2262/) });
    const good = jsonSpanRequest();
    expect((await post('/v1/traces', JSON.stringify(good.body), { 'content-type': 'application/json' })).status).toBe(200);
    expect(await traceExists(good.traceId)).toBe(true);
  });

  it.each([
    ['a null resource', { resourceSpans: [null] }, 'resourceSpans[0]: expected an object, got null'],
    ['a null span', { resourceSpans: [{ scopeSpans: [{ spans: [null] }] }] }, 'resourceSpans[0].scopeSpans[0].spans[0].item: expected an object, got null'],
    ['a null attribute', { resourceSpans: [{ resource: { attributes: [null] } }] }, 'resourceSpans[0].attributes: expected KeyValue objects'],
    ['a span kind out of range', { resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: 'ab'.repeat(16), spanId: 'cd'.repeat(8), kind: 273 }] }] }] }, 'resourceSpans[0].scopeSpans[0].spans[0].kind: expected a value from 0 to 255, got 273'],
  ])('answers 400, not a retryable 503, for %s', async (_name, body, message) => {
    const res = await post('/v1/traces', JSON.stringify(body), { 'content-type': 'application/json' });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text).message).toBe(message);
  });

  it('reads enum names in OTLP/JSON where senders write them instead of numbers', async () => {
    const { traceId, body } = jsonSpanRequest({ kind: 'SPAN_KIND_CLIENT', status: { code: 'STATUS_CODE_ERROR' } });
    expect((await post('/v1/traces', JSON.stringify(body), { 'content-type': 'application/json' })).status).toBe(200);
    const trace = await getJson<{ data: Array<{ spans: Array<{ tags: Array<{ key: string; value: unknown }> }> }> }>(collector.url, `/api/traces/${traceId}`);
    expect(trace.body.data[0]!.spans[0]!.tags).toEqual(expect.arrayContaining([{ key: 'span.kind', type: 'string', value: 'client' }, { key: 'error', type: 'bool', value: true }]));
    const log = { resourceLogs: [{ scopeLogs: [{ logRecords: [{ timeUnixNano: String(BigInt(Date.now()) * 1_000_000n), severityNumber: 'SEVERITY_NUMBER_WARN2', body: { stringValue: 'enum' }, traceId }] }] }] };
    expect((await post('/v1/logs', JSON.stringify(log), { 'content-type': 'application/json' })).status).toBe(200);
    const logs = await getJson<{ data: Array<{ severityNumber: number }> }>(collector.url, `/api/logs?traceId=${traceId}`);
    expect(logs.body.data.map((l) => l.severityNumber)).toEqual([14]);
  });

  it('keeps data accepted before a bad request', async () => {
    const good = jsonSpanRequest();
    expect((await post('/v1/traces', JSON.stringify(good.body), { 'content-type': 'application/json' })).status).toBe(200);
    expect((await post('/v1/traces', '{"resourceSpans": [', { 'content-type': 'application/json' })).status).toBe(400);
    expect(await traceExists(good.traceId)).toBe(true);
  });

  it('answers in protobuf to a protobuf request', async () => {
    const message = otlpTypes.traceRequest.fromObject({
      resourceSpans: [{ scopeSpans: [{ spans: [{ name: 'x', traceId: Buffer.alloc(16, 7), spanId: Buffer.alloc(8, 7), startTimeUnixNano: 0, endTimeUnixNano: 5 }] }] }],
    });
    const res = await fetch(collector.url + '/v1/traces', { method: 'POST', body: Buffer.from(otlpTypes.traceRequest.encode(message).finish()), headers: { 'content-type': 'application/x-protobuf' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/x-protobuf/);
    const decoded = otlpTypes.traceResponse.toObject(otlpTypes.traceResponse.decode(Buffer.from(await res.arrayBuffer())), { longs: String });
    expect(decoded).toEqual({ partialSuccess: { rejectedSpans: '1', errorMessage: 'startTimeUnixNano is required (first: span 0707070707070707 of trace 07070707070707070707070707070707)' } });
  });
});

/** Gzip of `mib` MiB of zeros, compressed a MiB at a time so this test process never holds them. */
async function gzipBomb(mib: number): Promise<Buffer> {
  const gzip = zlib.createGzip();
  const chunks: Buffer[] = [];
  gzip.on('data', (c: Buffer) => chunks.push(c));
  const zeros = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < mib; i++) if (!gzip.write(zeros)) await new Promise((r) => gzip.once('drain', r));
  gzip.end();
  await once(gzip, 'end'); // every compressed chunk has been read
  return Buffer.concat(chunks);
}
