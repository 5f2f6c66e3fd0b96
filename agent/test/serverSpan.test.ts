/**
 * The agent's own server span (serverSpan.ts) behaves as the SDK's span does
 * for everything a service or a span processor can see: the sampler's
 * decision, the remote parent, ids, times, and what the application adds
 * (attributes with the SDK's checks and limits, events, exceptions, status),
 * with the SDK's own processor and in-memory exporter receiving it.
 */
import { ROOT_CONTEXT, SamplingDecision, SpanKind, SpanStatusCode, TraceFlags, defaultTextMapGetter, type Context } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOffSampler, InMemorySpanExporter, ParentBasedSampler, SimpleSpanProcessor, TraceIdRatioBasedSampler, type ReadableSpan, type Sampler, type SpanProcessor } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { SPAN_LIMITS } from '../src/sdk.ts';
import { ServerSpan, ServerSpans } from '../src/serverSpan.ts';

const resource = resourceFromAttributes({ 'service.name': 'server-span-test' });
const scope = { name: '@mirador/agent' };

function setUp(sampler: Sampler = new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(1) })) {
  const exporter = new InMemorySpanExporter();
  return { exporter, spans: new ServerSpans({ sampler, processor: new SimpleSpanProcessor({ exporter }), resource, scope, limits: SPAN_LIMITS }) };
}

/** The context a request carrying this traceparent header starts in. */
const incoming = (traceparent: string): Context => new W3CTraceContextPropagator().extract(ROOT_CONTEXT, { traceparent }, defaultTextMapGetter);

describe('the server span of a request', () => {
  it('reaches the span processor with the fields the SDK would give it', () => {
    const { exporter, spans } = setUp();
    const before = Date.now();
    const span = spans.start(ROOT_CONTEXT, 'GET', '/orders/7');
    expect(span).toBeInstanceOf(ServerSpan);
    const server = span as ServerSpan;
    server.endResponse({ method: 'GET', route: '/orders/:id', statusCode: 200, complete: true });

    const [done] = exporter.getFinishedSpans();
    expect(done).toBe(span);
    expect(done!.name).toBe('GET /orders/:id');
    expect(done!.kind).toBe(SpanKind.SERVER);
    expect(done!.attributes).toEqual({ 'http.request.method': 'GET', 'url.path': '/orders/7', 'http.route': '/orders/:id', 'http.response.status_code': 200 });
    expect(done!.parentSpanContext).toBeUndefined();
    expect(done!.resource).toBe(resource);
    expect(done!.instrumentationScope).toBe(scope);
    const ids = done!.spanContext();
    expect(ids.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(ids.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(ids.traceFlags).toBe(TraceFlags.SAMPLED);
    const startMs = done!.startTime[0] * 1000 + done!.startTime[1] / 1e6;
    const endMs = done!.endTime[0] * 1000 + done!.endTime[1] / 1e6;
    expect(startMs).toBeGreaterThanOrEqual(before);
    expect(endMs).toBeGreaterThanOrEqual(startMs);
    expect(done!.duration[0] * 1000 + done!.duration[1] / 1e6).toBeCloseTo(endMs - startMs, 3);
    expect(done!.ended).toBe(true);
    expect(span.isRecording()).toBe(false);
  });

  it('marks a 5xx response and one the client abandoned as errors', () => {
    const { exporter, spans } = setUp();
    (spans.start(ROOT_CONTEXT, 'GET', '/orders/1') as ServerSpan).endResponse({ method: 'GET', route: '/orders/:id', statusCode: 503, complete: true });
    (spans.start(ROOT_CONTEXT, 'GET', '/orders/2') as ServerSpan).endResponse({ method: 'GET', route: '/orders/:id', statusCode: 200, complete: false });
    (spans.start(ROOT_CONTEXT, 'GET', '/nowhere') as ServerSpan).endResponse({ method: 'GET', route: '', statusCode: 404, complete: true });
    expect(exporter.getFinishedSpans().map((s) => [s.name, s.attributes['error.type'], s.status])).toEqual([
      ['GET /orders/:id', '503', { code: SpanStatusCode.ERROR }],
      ['GET /orders/:id', 'aborted', { code: SpanStatusCode.ERROR, message: 'connection closed before the response was complete' }],
      ['GET', undefined, { code: SpanStatusCode.UNSET }],
    ]);
  });

  it('continues the trace of a remote parent, and follows the parent-based sampler either way', () => {
    const { exporter, spans } = setUp();
    const sampled = spans.start(incoming('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'), 'GET', '/');
    expect(sampled.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    sampled.end();
    const [done] = exporter.getFinishedSpans();
    expect(done!.parentSpanContext).toMatchObject({ spanId: 'b7ad6b7169203331', isRemote: true });

    // A parent that was not sampled: this span is not recorded either, but carries the trace on.
    const unsampled = spans.start(incoming('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00'), 'GET', '/');
    expect(unsampled).not.toBeInstanceOf(ServerSpan);
    expect(unsampled.isRecording()).toBe(false);
    expect(unsampled.spanContext()).toMatchObject({ traceId: '0af7651916cd43dd8448eb211c80319c', traceFlags: TraceFlags.NONE });
    expect(unsampled.spanContext().spanId).toMatch(/^[0-9a-f]{16}$/);
    unsampled.end();
    expect(exporter.getFinishedSpans()).toHaveLength(1);
  });

  it('takes the attributes and trace state a sampler adds, and records nothing when it drops the span', () => {
    const tagging: Sampler = {
      shouldSample: (_context, _traceId, name, kind, attributes) => ({
        decision: attributes['url.path'] === '/health' ? SamplingDecision.NOT_RECORD : SamplingDecision.RECORD_AND_SAMPLED,
        attributes: { 'sampled.by': `${name}/${kind}` },
        traceState: undefined,
      }),
    };
    const { exporter, spans } = setUp(tagging);
    spans.start(ROOT_CONTEXT, 'GET', '/health').end();
    spans.start(ROOT_CONTEXT, 'GET', '/orders').end();
    expect(exporter.getFinishedSpans().map((s) => [s.attributes['url.path'], s.attributes['sampled.by']])).toEqual([['/orders', `GET/${SpanKind.SERVER}`]]);

    const { exporter: none, spans: off } = setUp(new AlwaysOffSampler());
    const dropped = off.start(ROOT_CONTEXT, 'GET', '/');
    dropped.setAttribute('ignored', true);
    dropped.end();
    expect(none.getFinishedSpans()).toEqual([]);
  });

  it('checks what the application adds as the SDK does, and changes nothing once ended', () => {
    const { exporter, spans } = setUp();
    const span = spans.start(ROOT_CONTEXT, 'POST', '/orders');
    span.setAttribute('order.id', '9');
    span.setAttributes({ 'order.items': [1, 2, 3], 'order.express': true });
    span.setAttribute('not.an.attribute', (() => 1) as never); // not an attribute value: dropped
    for (let i = 0; i < 200; i++) span.setAttribute(`extra.${i}`, i); // past the SDK's 128 attributes
    span.addEvent('payment authorised', { 'payment.provider': 'acme' });
    span.recordException(new TypeError('card declined'));
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'payment failed' });
    span.end();
    span.setAttribute('late', 1);
    span.updateName('changed');
    span.end();

    const [done] = exporter.getFinishedSpans();
    expect(exporter.getFinishedSpans()).toHaveLength(1);
    expect(done!.name).toBe('POST');
    expect(done!.attributes).toMatchObject({ 'order.id': '9', 'order.items': [1, 2, 3], 'order.express': true });
    expect(done!.attributes).not.toHaveProperty('not.an.attribute');
    expect(done!.attributes).not.toHaveProperty('late');
    expect(Object.keys(done!.attributes)).toHaveLength(128);
    // Two of the agent's, three of the service's and the 200 extras were valid; 128 are kept.
    expect(done!.droppedAttributesCount).toBe(2 + 3 + 200 - 128);
    expect(done!.events.map((e) => [e.name, e.attributes])).toEqual([
      ['payment authorised', { 'payment.provider': 'acme' }],
      ['exception', expect.objectContaining({ 'exception.type': 'TypeError', 'exception.message': 'card declined' })],
    ]);
    expect(done!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'payment failed' });
  });

  it('takes end and event times as the SDK does, and lets a processor change the span as it ends', () => {
    const ended: ReadableSpan[] = [];
    const stamping: SpanProcessor = {
      onStart() {},
      onEnding: (span) => span.setAttribute('stamped', true),
      onEnd: (span) => ended.push(span),
      forceFlush: () => Promise.resolve(),
      shutdown: () => Promise.resolve(),
    };
    const spans = new ServerSpans({ sampler: new TraceIdRatioBasedSampler(1), processor: stamping, resource, scope, limits: SPAN_LIMITS });
    const millis = (t: [number, number]) => t[0] * 1000 + t[1] / 1e6;

    const later = spans.start(ROOT_CONTEXT, 'GET', '/') as ServerSpan;
    const start = millis(later.startTime);
    later.addEvent('on the performance clock', performance.now());
    later.addEvent('an epoch time', new Date(start + 250));
    later.end(new Date(start + 1000));
    expect(ended[0]!.attributes.stamped).toBe(true);
    expect(millis(ended[0]!.duration)).toBeCloseTo(1000, 0);
    expect(millis(ended[0]!.endTime)).toBeCloseTo(start + 1000, 0);
    expect(ended[0]!.events.map((e) => Math.round(millis(e.time) - start))).toEqual([expect.any(Number), 250]);
    expect(millis(ended[0]!.events[0]!.time) - start).toBeLessThan(100);
    expect(later.isRecording()).toBe(false);

    // An invalid time is taken as now, as the SDK does: the span ends once, with a real duration.
    const odd = spans.start(ROOT_CONTEXT, 'GET', '/');
    odd.end(new Date(Number.NaN));
    odd.end();
    expect(ended).toHaveLength(2);
    expect(millis(ended[1]!.duration)).toBeGreaterThanOrEqual(0);
    expect(millis(ended[1]!.duration)).toBeLessThan(100);
  });

  it('names an exception by its code, else its name', () => {
    const { exporter, spans } = setUp();
    const span = spans.start(ROOT_CONTEXT, 'GET', '/');
    span.recordException({ code: 'ECONNRESET', name: 'Error', message: 'socket hang up' });
    span.recordException({ code: 0, name: 'RangeError', message: 'out of range' });
    span.end();
    expect(exporter.getFinishedSpans()[0]!.events.map((e) => e.attributes?.['exception.type'])).toEqual(['ECONNRESET', 'RangeError']);
  });
});
