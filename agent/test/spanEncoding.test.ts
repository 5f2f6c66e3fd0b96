/**
 * Spans encoded as they end (encodingSpanProcessor.ts, otlpSpanEncoding.ts)
 * reach a real collector whole: ids, parent, kind, times to the nanosecond,
 * attributes of every type, events, links and status, read back through the
 * Jaeger API a user's UI reads.
 */
import type { JaegerSpan, JaegerTrace } from '@mirador/collector';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, createNoopMeter, trace, type HrTime } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOnSampler, TracerProvider } from '@opentelemetry/sdk-trace';
import { describe, expect, it, onTestFinished } from 'vitest';
import { otlpTypes } from '../../collector/src/otlp/otlpSchema.ts';
import { EncodingSpanProcessor } from '../src/encodingSpanProcessor.ts';
import { SPAN_LIMITS } from '../src/sdk.ts';
import { ServerSpan, ServerSpans } from '../src/serverSpan.ts';
import { eventually, startQuietCollector } from './support/processes.ts';

/** An SDK tracer provider whose spans go through an EncodingSpanProcessor to `url` (…/v1/traces), ten spans a batch. */
function providerExportingTo(url: string, serviceName: string, scheduledDelayMillis: number): TracerProvider {
  const processor = new EncodingSpanProcessor({
    url,
    headers: {},
    timeoutMillis: 5000,
    scheduledDelayMillis,
    maxQueueSize: 100,
    maxExportBatchSize: 10,
    meterProvider: { getMeter: () => createNoopMeter() },
  });
  return new TracerProvider({ resource: resourceFromAttributes({ 'service.name': serviceName }), spanProcessors: [processor] });
}

describe('spans encoded as they end', () => {
  it('arrive with every field the SDK recorded', async () => {
    const collector = await startQuietCollector();
    onTestFinished(() => collector.stop());
    const provider = providerExportingTo(`${collector.url}/v1/traces`, 'encoding-check', 50);
    const tracer = provider.getTracer('encoding-test', '1.2.3');
    // A start time with all nine nanosecond digits, beyond a double's exact integers as nanoseconds.
    const seconds = Math.floor(Date.now() / 1000) - 5;
    const start: HrTime = [seconds, 123_456_789];
    const end: HrTime = [seconds + 1, 987_654_321];
    const linked = tracer.startSpan('elsewhere', {}, ROOT_CONTEXT);
    linked.end();
    const parent = tracer.startSpan('GET /orders/:id', { kind: SpanKind.SERVER, startTime: start, links: [{ context: linked.spanContext(), attributes: { why: 'retry of' } }] }, ROOT_CONTEXT);
    parent.setAttributes({ text: 'ünïcödé ✓', count: 42, negative: -7, ratio: 0.25, ok: true, tags: ['a', 'b'], empty: '' });
    parent.addEvent('cache miss', { key: 'order:9' }, [seconds, 500_000_000]);
    parent.setStatus({ code: SpanStatusCode.ERROR, message: 'payment refused' });
    const child = tracer.startSpan('SELECT orders', { kind: SpanKind.CLIENT, startTime: [seconds, 200_000_000] }, trace.setSpan(ROOT_CONTEXT, parent));
    child.setAttribute('long', 'x'.repeat(300)); // a length that takes two bytes
    // Strings under 128 characters are written byte by byte when all ASCII; one that is not is written again by Buffer's UTF-8 writer.
    child.setAttributes({ edge: 'y'.repeat(127), 'edge.unicode': `${'z'.repeat(126)}é` });
    child.end([seconds, 300_000_000]);
    parent.end(end);
    await provider.forceFlush();

    const traceId = parent.spanContext().traceId;
    const spans = await eventually(async () => {
      const r = await fetch(`${collector.url}/api/traces/${traceId}`);
      if (r.status !== 200) return undefined;
      const found = ((await r.json()) as { data: JaegerTrace[] }).data[0]?.spans ?? [];
      return found.length === 2 ? found : undefined;
    });
    const server = spans.find((s) => s.spanID === parent.spanContext().spanId)!;
    const client = spans.find((s) => s.spanID === child.spanContext().spanId)!;
    const tag = (s: JaegerSpan, key: string) => s.tags.find((t) => t.key === key)?.value;

    expect(server.operationName).toBe('GET /orders/:id');
    expect(server.startTime).toBe(seconds * 1_000_000 + 123_456); // Jaeger's microseconds
    expect(server.duration).toBe(1_000_000 + 864_197);
    expect(tag(server, 'span.kind')).toBe('server');
    expect([tag(server, 'text'), tag(server, 'count'), tag(server, 'negative'), tag(server, 'ratio'), tag(server, 'ok'), tag(server, 'empty')]).toEqual(['ünïcödé ✓', 42, -7, 0.25, true, '']);
    expect(JSON.parse(String(tag(server, 'tags')))).toEqual(['a', 'b']);
    expect(tag(server, 'otel.status_code')).toBe('ERROR');
    expect(tag(server, 'otel.status_description')).toBe('payment refused');
    expect(tag(server, 'otel.scope.name')).toBe('encoding-test');
    expect(server.logs).toEqual([{ timestamp: seconds * 1_000_000 + 500_000, fields: expect.arrayContaining([{ key: 'event', type: 'string', value: 'cache miss' }, { key: 'key', type: 'string', value: 'order:9' }]) }]);
    expect(server.references).toContainEqual(expect.objectContaining({ refType: 'FOLLOWS_FROM', traceID: linked.spanContext().traceId, spanID: linked.spanContext().spanId }));

    expect(client.references).toContainEqual(expect.objectContaining({ refType: 'CHILD_OF', traceID: traceId, spanID: parent.spanContext().spanId }));
    expect(tag(client, 'span.kind')).toBe('client');
    expect(client.duration).toBe(100_000);
    expect(tag(client, 'long')).toBe('x'.repeat(300));
    expect([tag(client, 'edge'), tag(client, 'edge.unicode')]).toEqual(['y'.repeat(127), `${'z'.repeat(126)}é`]);
    await provider.shutdown();
  });

  it('keep the bytes of a batch being retried while later batches reuse the buffers of finished exports', async () => {
    const collector = await startQuietCollector();
    onTestFinished(() => collector.stop());
    // In front of the collector: the first export is refused with 503 and Retry-After, the others pass through.
    let exports = 0;
    const front = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (++exports === 1) {
          res.writeHead(503, { 'retry-after': '1' }).end();
          return;
        }
        void fetch(`${collector.url}/v1/traces`, { method: 'POST', headers: { 'content-type': String(req.headers['content-type']) }, body: Buffer.concat(chunks) }).then(
          async (r) => res.writeHead(r.status).end(Buffer.from(await r.arrayBuffer())),
          () => res.writeHead(502).end(),
        );
      });
    });
    await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => front.close(() => resolve())));
    const provider = providerExportingTo(`http://127.0.0.1:${(front.address() as AddressInfo).port}/v1/traces`, 'buffer-reuse', 10_000);
    const tracer = provider.getTracer('encoding-test');
    const parent = trace.setSpanContext(ROOT_CONTEXT, { traceId: [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, '0')).join(''), spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED });
    /** Ten spans, a full batch, sent at once. */
    const batch = (first: number) => {
      for (let i = first; i < first + 10; i++) tracer.startSpan(`span-${i}`, {}, parent).end();
    };
    batch(0); // refused, retried after a second
    batch(10);
    await eventually(async () => (exports >= 2 ? true : undefined));
    // The second batch's export has finished: its buffer is spare, and the next batches are written into it.
    await new Promise((r) => setTimeout(r, 100));
    batch(20);
    batch(30);
    await provider.forceFlush();

    const traceId = trace.getSpanContext(parent)!.traceId;
    const names = await eventually(async () => {
      const r = await fetch(`${collector.url}/api/traces/${traceId}`);
      if (r.status !== 200) return undefined;
      const spans = ((await r.json()) as { data: JaegerTrace[] }).data[0]?.spans ?? [];
      return spans.length >= 40 ? spans.map((s) => s.operationName) : undefined;
    });
    expect(names.sort()).toEqual(Array.from({ length: 40 }, (_, i) => `span-${i}`).sort());
    expect(exports).toBe(5);
    await provider.shutdown();
  });

  it('write the times of a server span, kept in milliseconds, to the nanosecond its HrTime getters give', async () => {
    // A sink that keeps the request bodies, decoded by the collector's own OTLP types.
    const bodies: Buffer[] = [];
    const sink = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        bodies.push(Buffer.concat(chunks));
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      });
    });
    await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => sink.close(() => resolve())));
    const processor = new EncodingSpanProcessor({
      url: `http://127.0.0.1:${(sink.address() as AddressInfo).port}/v1/traces`,
      headers: {},
      timeoutMillis: 5000,
      scheduledDelayMillis: 10_000,
      maxQueueSize: 100,
      maxExportBatchSize: 10,
      meterProvider: { getMeter: () => createNoopMeter() },
    });
    const spans = new ServerSpans({ sampler: new AlwaysOnSampler(), processor, resource: resourceFromAttributes({ 'service.name': 'times' }), scope: { name: '@mirador/agent' }, limits: SPAN_LIMITS });
    const served = spans.start(ROOT_CONTEXT, 'GET', '/orders/7') as ServerSpan;
    await new Promise((r) => setTimeout(r, 5));
    served.endResponse({ method: 'GET', route: '/orders/:id', statusCode: 200, complete: true });
    // An end given with all nine nanosecond digits, 1.4 s after the start (past a whole second).
    const explicit = spans.start(ROOT_CONTEXT, 'POST', '/orders') as ServerSpan;
    const [seconds, nanos] = explicit.startTime;
    const end: HrTime = nanos + 400_123_457 < 1e9 ? [seconds + 1, nanos + 400_123_457] : [seconds + 2, nanos + 400_123_457 - 1e9];
    explicit.end(end);
    await processor.forceFlush();

    const request = otlpTypes.traceRequest.toObject(otlpTypes.traceRequest.decode(Buffer.concat(bodies)), { longs: String }) as {
      resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<{ name: string; startTimeUnixNano: string; endTimeUnixNano: string }> }> }>;
    };
    const decoded = request.resourceSpans[0]!.scopeSpans[0]!.spans;
    const nanosOf = (t: HrTime) => String(BigInt(t[0]) * 1_000_000_000n + BigInt(t[1]));
    expect(decoded.map((d) => [d.name, d.startTimeUnixNano, d.endTimeUnixNano])).toEqual([
      ['GET /orders/:id', nanosOf(served.startTime), nanosOf(served.endTime)],
      ['POST', nanosOf(explicit.startTime), nanosOf(end)],
    ]);
    // It lasted the 5 ms waited for (timers fire on the event loop's clock, so give it a millisecond).
    expect(BigInt(decoded[0]!.endTimeUnixNano) - BigInt(decoded[0]!.startTimeUnixNano)).toBeGreaterThanOrEqual(4_000_000n);
    await processor.shutdown();
  });
});
