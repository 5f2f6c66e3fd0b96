import { SpanKind, type Context } from '@opentelemetry/api';
import { hrTimeToMilliseconds } from '@opentelemetry/core';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import { Histogram, type OpenMetricsContentType, type Registry } from 'prom-client';

/** Bucket bounds of the request-duration histogram, in seconds. */
export const REQUEST_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The HTTP server request-duration histogram, by route, method and status,
 * recorded from the server spans the HTTP and Express instrumentations
 * already make: no middleware of its own on the request path. Each
 * observation carries the trace id as an exemplar, so a latency point leads to
 * its trace.
 */
export class RequestDurationRecorder implements SpanProcessor {
  // prom-client types exemplar labels with the metric's own label names, so
  // trace_id is declared here though it is only ever an exemplar label.
  private readonly histogram: Histogram<'route' | 'method' | 'status_code' | 'trace_id'>;

  constructor(registry: Registry<OpenMetricsContentType>) {
    this.histogram = new Histogram({
      name: 'http_server_request_duration_seconds',
      help: 'Duration of HTTP requests served, by route, method and status code.',
      labelNames: ['route', 'method', 'status_code'],
      buckets: REQUEST_DURATION_BUCKETS,
      enableExemplars: true,
      registers: [registry],
    });
  }

  onStart(_span: Span, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    if (span.kind !== SpanKind.SERVER) return;
    const a = span.attributes;
    const method = a['http.request.method'] ?? a['http.method'];
    if (method === undefined) return;
    this.histogram.observe({
      labels: {
        route: String(a['http.route'] ?? ''),
        method: String(method),
        status_code: String(a['http.response.status_code'] ?? a['http.status_code'] ?? ''),
      },
      value: hrTimeToMilliseconds(span.duration) / 1000,
      exemplarLabels: { trace_id: span.spanContext().traceId },
    });
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
