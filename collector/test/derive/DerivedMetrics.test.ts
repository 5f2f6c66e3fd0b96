import { describe, expect, it } from 'vitest';
import { DerivedMetrics } from '../../src/derive/DerivedMetrics.ts';
import type { LogRecord } from '../../src/model/log.ts';
import { SpanKind, StatusCode, type SpanRecord } from '../../src/model/span.ts';

const T0 = 1_700_000_000_000n * 1_000_000n;
const id = (n: number, bytes: number) => Buffer.alloc(bytes, 0).fill(n, bytes - 1);

/** A span of `service`; `durationMs` long; ids by number. */
function span(service: string, kind: number, spanId: number, parent: number | null, extra: Partial<SpanRecord> = {}, durationMs = 20, trace = 1): SpanRecord {
  return {
    traceId: id(trace, 16),
    spanId: id(spanId, 8),
    parentSpanId: parent === null ? null : id(parent, 8),
    traceState: '',
    flags: 1,
    name: `op-${spanId}`,
    kind,
    startTimeUnixNano: T0,
    endTimeUnixNano: T0 + BigInt(durationMs) * 1_000_000n,
    attributes: {},
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    statusCode: StatusCode.UNSET,
    statusMessage: '',
    serviceName: service,
    resource: { 'service.name': service },
    scopeName: '',
    scopeVersion: '',
    scopeAttributes: {},
    ...extra,
  };
}

const value = (d: DerivedMetrics, name: string, labels: Record<string, string>) =>
  d.collect(0).samples.find((s) => s.labels.__name__ === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

describe('DerivedMetrics', () => {
  describe('span metrics', () => {
    it('counts calls and durations by service, span name, kind and status, in the spanmetrics connector\'s labels', () => {
      const d = new DerivedMetrics();
      d.spans([span('order', SpanKind.SERVER, 1, null, { name: 'POST /orders' }, 30), span('order', SpanKind.SERVER, 2, null, { name: 'POST /orders', statusCode: StatusCode.ERROR }, 700)], 0);
      d.spans([span('order', SpanKind.SERVER, 3, null, { name: 'POST /orders' }, 3)], 0);
      const labels = { service_name: 'order', span_name: 'POST /orders', span_kind: 'SPAN_KIND_SERVER' };
      expect(value(d, 'traces_span_metrics_calls_total', { ...labels, status_code: 'STATUS_CODE_UNSET' })).toBe(2);
      expect(value(d, 'traces_span_metrics_calls_total', { ...labels, status_code: 'STATUS_CODE_ERROR' })).toBe(1);
      expect(value(d, 'traces_span_metrics_duration_seconds_bucket', { ...labels, status_code: 'STATUS_CODE_UNSET', le: '0.004' })).toBe(1);
      expect(value(d, 'traces_span_metrics_duration_seconds_bucket', { ...labels, status_code: 'STATUS_CODE_UNSET', le: '0.05' })).toBe(2);
      expect(value(d, 'traces_span_metrics_duration_seconds_bucket', { ...labels, status_code: 'STATUS_CODE_UNSET', le: '+Inf' })).toBe(2);
      expect(value(d, 'traces_span_metrics_duration_seconds_sum', { ...labels, status_code: 'STATUS_CODE_UNSET' })).toBeCloseTo(0.033, 9);
      expect(value(d, 'traces_span_metrics_duration_seconds_count', { ...labels, status_code: 'STATUS_CODE_ERROR' })).toBe(1);
    });
  });

  describe('service graph', () => {
    it.each([
      ['client first', false],
      ['server first', true],
    ])('pairs a client span with the server span it called (%s), counting failures and the server duration', (_name, serverFirst) => {
      const d = new DerivedMetrics();
      const client = span('gateway', SpanKind.CLIENT, 1, null);
      const server = span('order', SpanKind.SERVER, 2, 1, { statusCode: StatusCode.ERROR }, 120);
      d.spans(serverFirst ? [server] : [client], 0);
      d.spans(serverFirst ? [client] : [server], 1000);
      const edge = { client: 'gateway', server: 'order', connection_type: '' };
      expect(value(d, 'traces_service_graph_request_total', edge)).toBe(1);
      expect(value(d, 'traces_service_graph_request_failed_total', edge)).toBe(1);
      expect(value(d, 'traces_service_graph_request_server_seconds_bucket', { ...edge, le: '0.2' })).toBe(1);
      expect(value(d, 'traces_service_graph_request_server_seconds_bucket', { ...edge, le: '0.1' })).toBe(0);
    });

    it('pairs a producer with its consumer as a messaging edge, naming the queue between them', () => {
      const d = new DerivedMetrics();
      d.spans([span('order', SpanKind.PRODUCER, 1, null, { attributes: { 'messaging.destination.name': 'orders.created' } }), span('payment', SpanKind.CONSUMER, 2, 1)], 0);
      d.spans([span('order', SpanKind.PRODUCER, 3, null), span('payment', SpanKind.CONSUMER, 4, 3)], 0);
      // The older conventions' attribute, as the amqplib instrumentation writes it.
      d.spans([span('payment', SpanKind.PRODUCER, 5, null, { attributes: { 'messaging.destination': 'events' } }), span('order', SpanKind.CONSUMER, 6, 5)], 0);
      expect(value(d, 'traces_service_graph_request_total', { client: 'payment', server: 'order', connection_type: 'messaging_system', messaging_destination: 'events' })).toBe(1);
      expect(value(d, 'traces_service_graph_request_total', { client: 'order', server: 'payment', connection_type: 'messaging_system', messaging_destination: 'orders.created' })).toBe(1);
      expect(value(d, 'traces_service_graph_request_total', { client: 'order', server: 'payment', connection_type: 'messaging_system' })).toBe(1);
    });

    it('expires halves that wait too long and counts them; an unanswered database call becomes an edge to the database', () => {
      const d = new DerivedMetrics({ edgeWaitMs: 5000 });
      d.spans([span('inventory', SpanKind.CLIENT, 1, null, { attributes: { 'db.system.name': 'postgresql' } }), span('order', SpanKind.CLIENT, 2, null)], 0);
      d.spans([], 4000);
      expect(value(d, 'traces_service_graph_request_total', { client: 'inventory', server: 'postgresql' })).toBeUndefined();
      d.spans([], 6000);
      expect(value(d, 'traces_service_graph_request_total', { client: 'inventory', server: 'postgresql', connection_type: 'database' })).toBe(1);
      expect(d.expiredEdges).toBe(1);
      // The late server half of the expired pair waits in its turn, and pairs with nothing.
      d.spans([span('catalog', SpanKind.SERVER, 3, 2)], 7000);
      expect(value(d, 'traces_service_graph_request_total', { client: 'order', server: 'catalog' })).toBeUndefined();
    });

    it('drops and counts halves beyond the waiting limit', () => {
      const d = new DerivedMetrics({ maxWaitingEdges: 2 });
      d.spans([1, 2, 3].map((n) => span('gateway', SpanKind.CLIENT, n, null)), 0);
      expect(d.droppedEdges).toBe(1);
    });
  });

  it('counts log records by service and severity', () => {
    const d = new DerivedMetrics();
    const log = (service: string, severityNumber: number, severityText = '') => ({ serviceName: service, severityNumber, severityText }) as LogRecord;
    d.logs([log('payment', 17), log('payment', 18), log('payment', 9), log('order', 0, 'NOTICE')]);
    expect(value(d, 'mirador_log_records_total', { service_name: 'payment', severity: 'error' })).toBe(2);
    expect(value(d, 'mirador_log_records_total', { service_name: 'payment', severity: 'info' })).toBe(1);
    expect(value(d, 'mirador_log_records_total', { service_name: 'order', severity: 'notice' })).toBe(1);
  });
});
