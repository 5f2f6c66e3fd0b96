/**
 * Spans encoded as they end (encodingSpanProcessor.ts, otlpSpanEncoding.ts)
 * reach a real collector whole: ids, parent, kind, times to the nanosecond,
 * attributes of every type, events, links and status, read back through the
 * Jaeger API a user's UI reads.
 */
import type { JaegerSpan, JaegerTrace } from '@mirador/collector';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, createNoopMeter, trace, type HrTime } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import { describe, expect, it, onTestFinished } from 'vitest';
import { EncodingSpanProcessor } from '../src/encodingSpanProcessor.ts';
import { eventually, startQuietCollector } from './support/processes.ts';

describe('spans encoded as they end', () => {
  it('arrive with every field the SDK recorded', async () => {
    const collector = await startQuietCollector();
    onTestFinished(() => collector.stop());
    const processor = new EncodingSpanProcessor({
      url: `${collector.url}/v1/traces`,
      headers: {},
      timeoutMillis: 5000,
      scheduledDelayMillis: 50,
      maxQueueSize: 100,
      maxExportBatchSize: 10,
      meterProvider: { getMeter: () => createNoopMeter() },
    });
    const provider = new TracerProvider({ resource: resourceFromAttributes({ 'service.name': 'encoding-check' }), spanProcessors: [processor] });
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
});
