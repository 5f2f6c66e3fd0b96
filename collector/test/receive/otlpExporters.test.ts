/**
 * The official OpenTelemetry JS exporters send to a running collector, and the
 * query API returns exactly what they sent.
 */
import { SpanKind, SpanStatusCode, context, trace, type Link } from '@opentelemetry/api';
import { OTLPLogExporter as OTLPLogExporterHttp } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as OTLPLogExporterProto } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPMetricExporter as OTLPMetricExporterHttp } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as OTLPMetricExporterProto } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter as OTLPTraceExporterGrpc } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as OTLPTraceExporterHttp } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPTraceExporterProto } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader, type PushMetricExporter } from '@opentelemetry/sdk-metrics';
import { LoggerProvider, SimpleLogRecordProcessor, type LogRecordExporter } from '@opentelemetry/sdk-logs';
import { SimpleSpanProcessor, TracerProvider, type SpanExporter } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JaegerSpan, JaegerTrace } from '../../src/api/jaegerModel.ts';
import { getJson, startTestCollector } from '../support/testCollector.ts';

type Collector = Awaited<ReturnType<typeof startTestCollector>>;
let collector: Collector;

beforeAll(async () => {
  collector = await startTestCollector();
});
afterAll(async () => {
  await collector.stop();
});

const traceExporters: Array<[string, () => SpanExporter]> = [
  ['OTLP/HTTP protobuf (exporter-trace-otlp-proto)', () => new OTLPTraceExporterProto({ url: `${collector.url}/v1/traces` })],
  ['OTLP/HTTP JSON (exporter-trace-otlp-http)', () => new OTLPTraceExporterHttp({ url: `${collector.url}/v1/traces` })],
  ['OTLP/HTTP protobuf, gzip', () => new OTLPTraceExporterProto({ url: `${collector.url}/v1/traces`, compression: 'gzip' as never })],
  ['OTLP/gRPC (exporter-trace-otlp-grpc)', () => new OTLPTraceExporterGrpc({ url: `http://127.0.0.1:${collector.grpcPort}` })],
];

function tagsOf(span: JaegerSpan): Record<string, unknown> {
  return Object.fromEntries(span.tags.map((t) => [t.key, { type: t.type, value: t.value }]));
}

describe.each(traceExporters)('spans sent with %s', (_name, makeExporter) => {
  it('come back from /api/traces/:id with ids, parent links, attributes, events, links, status and timing', async () => {
    const provider = new TracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'checkout', 'service.version': '1.2.3', 'deployment.environment': 'test' }),
      spanProcessors: [new SimpleSpanProcessor({ exporter: makeExporter() })],
    });
    const tracer = provider.getTracer('checkout-tests', '0.0.1');
    const linkedTraceId = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
    const link: Link = { context: { traceId: linkedTraceId, spanId: 'bbbbbbbbbbbbbbbb', traceFlags: 1 }, attributes: { 'link.reason': 'batch' } };
    const start = Date.now() - 1000;
    const root = tracer.startSpan('POST /orders', { kind: SpanKind.SERVER, startTime: start, attributes: { 'http.request.method': 'POST', 'http.response.status_code': 500, ratio: 0.25, whole: 2.0, cached: false, tags: ['a', 'b'] } });
    const ctx = trace.setSpan(context.active(), root);
    const child = tracer.startSpan('SELECT orders', { kind: SpanKind.CLIENT, startTime: start + 10, links: [link], attributes: { 'db.system': 'postgresql' } }, ctx);
    child.addEvent('retrying', { attempt: 2 }, start + 20);
    child.end(start + 60);
    root.setStatus({ code: SpanStatusCode.ERROR, message: 'payment declined' });
    root.end(start + 250);
    await provider.forceFlush();
    await provider.shutdown();

    const traceId = root.spanContext().traceId;
    const { status, body } = await getJson<{ data: JaegerTrace[] }>(collector.url, `/api/traces/${traceId}`);
    expect(status).toBe(200);
    const got = body.data[0]!;
    expect(got.traceID).toBe(traceId);
    expect(got.spans).toHaveLength(2);
    const [r, c] = got.spans;
    expect(r!.spanID).toBe(root.spanContext().spanId);
    expect(r!.operationName).toBe('POST /orders');
    expect(r!.references).toEqual([]);
    expect(r!.startTime).toBe(start * 1000);
    expect(r!.duration).toBe(250_000);
    expect(tagsOf(r!)).toMatchObject({
      'http.request.method': { type: 'string', value: 'POST' },
      'http.response.status_code': { type: 'int64', value: 500 },
      ratio: { type: 'float64', value: 0.25 },
      cached: { type: 'bool', value: false },
      tags: { type: 'string', value: '["a","b"]' },
      'span.kind': { type: 'string', value: 'server' },
      error: { type: 'bool', value: true },
      'otel.status_code': { type: 'string', value: 'ERROR' },
      'otel.status_description': { type: 'string', value: 'payment declined' },
      'otel.scope.name': { type: 'string', value: 'checkout-tests' },
      'otel.scope.version': { type: 'string', value: '0.0.1' },
    });
    expect(c!.spanID).toBe(child.spanContext().spanId);
    expect(c!.references).toEqual([
      { refType: 'CHILD_OF', traceID: traceId, spanID: root.spanContext().spanId },
      { refType: 'FOLLOWS_FROM', traceID: linkedTraceId, spanID: 'bbbbbbbbbbbbbbbb' },
    ]);
    expect(c!.startTime).toBe((start + 10) * 1000);
    expect(c!.duration).toBe(50_000);
    expect(c!.logs).toEqual([{ timestamp: (start + 20) * 1000, fields: [{ key: 'event', type: 'string', value: 'retrying' }, { key: 'attempt', type: 'int64', value: 2 }] }]);
    const process = got.processes[r!.processID]!;
    expect(process.serviceName).toBe('checkout');
    expect(process.tags).toEqual(expect.arrayContaining([{ key: 'service.version', type: 'string', value: '1.2.3' }, { key: 'deployment.environment', type: 'string', value: 'test' }]));
  });
});

const logExporters: Array<[string, () => LogRecordExporter]> = [
  ['OTLP/HTTP protobuf (exporter-logs-otlp-proto)', () => new OTLPLogExporterProto({ url: `${collector.url}/v1/logs` })],
  ['OTLP/HTTP JSON (exporter-logs-otlp-http)', () => new OTLPLogExporterHttp({ url: `${collector.url}/v1/logs` })],
];

describe.each(logExporters)('log records sent with %s', (_name, makeExporter) => {
  it('are found by trace id, in time order, with severity, body, attributes and resource', async () => {
    const provider = new LoggerProvider({
      resource: resourceFromAttributes({ 'service.name': 'payment' }),
      processors: [new SimpleLogRecordProcessor({ exporter: makeExporter() })],
    });
    const logger = provider.getLogger('payment-logger');
    const tracer = new TracerProvider().getTracer('t');
    const span = tracer.startSpan('charge');
    const ctx = trace.setSpan(context.active(), span);
    const t0 = Date.now() - 5000;
    logger.emit({ context: ctx, timestamp: t0 + 2, severityNumber: 17, severityText: 'ERROR', body: 'charge timed out, retrying', attributes: { attempt: 1, 'order.id': 'o-42' } });
    logger.emit({ context: ctx, timestamp: t0 + 1, severityNumber: 9, severityText: 'INFO', body: 'charging card' });
    logger.emit({ context: ctx, timestamp: t0 + 3, severityNumber: 9, severityText: 'INFO', body: { outcome: 'ok', cents: 1250 } });
    await provider.forceFlush();
    await provider.shutdown();

    const traceId = span.spanContext().traceId;
    const { status, body } = await getJson<{ data: Array<Record<string, unknown>>; nextCursor: string | null }>(collector.url, `/api/logs?traceId=${traceId}`);
    expect(status).toBe(200);
    expect(body.data.map((l) => l.body)).toEqual(['charging card', 'charge timed out, retrying', { outcome: 'ok', cents: 1250 }]);
    const error = body.data[1]!;
    expect(error).toMatchObject({
      traceId,
      spanId: span.spanContext().spanId,
      serviceName: 'payment',
      severityNumber: 17,
      severityText: 'ERROR',
      timeUnixNano: String(BigInt(t0 + 2) * 1_000_000n),
      attributes: { attempt: 1, 'order.id': 'o-42' },
      resource: { 'service.name': 'payment' },
      scope: { name: 'payment-logger', version: '', attributes: {} },
    });
    expect(body.nextCursor).toBeNull();
  });
});

const metricExporters: Array<[string, () => PushMetricExporter]> = [
  ['OTLP/HTTP protobuf (exporter-metrics-otlp-proto)', () => new OTLPMetricExporterProto({ url: `${collector.url}/v1/metrics` })],
  ['OTLP/HTTP JSON (exporter-metrics-otlp-http)', () => new OTLPMetricExporterHttp({ url: `${collector.url}/v1/metrics` })],
];

describe.each(metricExporters)('metrics sent with %s', (name, makeExporter) => {
  it('are stored as Prometheus series: counters with _total, histograms as _bucket/_sum/_count', async () => {
    const job = `shop-${name.includes('JSON') ? 'json' : 'proto'}`;
    const reader = new PeriodicExportingMetricReader({ exporter: makeExporter(), exportIntervalMillis: 60_000 });
    const provider = new MeterProvider({ resource: resourceFromAttributes({ 'service.name': job }), readers: [reader] });
    const meter = provider.getMeter('shop');
    meter.createCounter('orders.created', { description: 'Orders created' }).add(3, { status: 'paid' });
    const latency = meter.createHistogram('http.server.duration', { unit: 's', advice: { explicitBucketBoundaries: [0.1, 0.5] } });
    latency.record(0.05, { route: '/orders' });
    latency.record(0.3, { route: '/orders' });
    await provider.forceFlush();
    await provider.shutdown();

    const now = Date.now();
    const select = (metric: string) => collector.stores.metrics.selectSeries([{ name: '__name__', type: '=', value: metric }, { name: 'job', type: '=', value: job }], now - 60_000, now + 1000);
    const orders = await select('orders_created_total');
    expect(orders.map((s) => [s.labels.status, s.values.at(-1)])).toEqual([['paid', 3]]);
    const buckets = await select('http_server_duration_seconds_bucket');
    expect(Object.fromEntries(buckets.map((s) => [s.labels.le, s.values.at(-1)]))).toEqual({ '0.1': 1, '0.5': 2, '+Inf': 2 });
    expect((await select('http_server_duration_seconds_count'))[0]!.values.at(-1)).toBe(2);
    expect((await select('http_server_duration_seconds_sum'))[0]!.values.at(-1)).toBeCloseTo(0.35);
    expect(await collector.stores.metrics.metadata()).toEqual(expect.arrayContaining([{ metric: 'orders_created_total', type: 'counter', help: 'Orders created', unit: '' }]));
  });
});
