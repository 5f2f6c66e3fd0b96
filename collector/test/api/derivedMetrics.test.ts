/**
 * Spans and logs sent over OTLP become span metrics, service-graph edges and
 * log counts in the metric store, written on the derive interval and found
 * through the Prometheus API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logsRequest, sendJson, sid, tid, traceRequest } from '../support/otlpJson.ts';
import { eventually, startTestCollector } from '../support/testCollector.ts';

type Collector = Awaited<ReturnType<typeof startTestCollector>>;
let collector: Collector;
const now = Date.now();

beforeAll(async () => {
  collector = await startTestCollector(['--grpc-port', 'off', '--derive-interval', '1s']);
  await sendJson(collector.url, '/v1/traces', traceRequest('gateway', [
    { traceId: tid(1), spanId: sid(1), name: 'POST /api/orders', kind: 2, startMs: now, durationMs: 50 },
    { traceId: tid(1), spanId: sid(2), parentSpanId: sid(1), name: 'POST', kind: 3, startMs: now + 1, durationMs: 45 },
  ]));
  await sendJson(collector.url, '/v1/traces', traceRequest('order', [
    { traceId: tid(1), spanId: sid(3), parentSpanId: sid(2), name: 'POST /orders', kind: 2, startMs: now + 2, durationMs: 40, error: true },
  ]));
  await sendJson(collector.url, '/v1/logs', logsRequest('order', [
    { timeMs: now, body: 'order failed', severityNumber: 17, severityText: 'ERROR' },
    { timeMs: now, body: 'order created', severityNumber: 9, severityText: 'INFO' },
  ]));
});
afterAll(async () => {
  await collector.stop();
});

const series = async (selector: string) =>
  ((await (await fetch(`${collector.url}/api/v1/series?match[]=${encodeURIComponent(selector)}`)).json()) as { data: Array<Record<string, string>> }).data;

async function latest(selector: Record<string, string>): Promise<number | undefined> {
  const [s] = await collector.stores.metrics.selectSeries(Object.entries(selector).map(([name, value]) => ({ name, type: '=' as const, value })), now - 60_000, Date.now() + 60_000);
  return s?.values.at(-1);
}

describe('derived metrics', () => {
  it('turn a gateway → order call into a service-graph edge with its failure', async () => {
    const edges = await eventually(async () => {
      const found = await series('traces_service_graph_request_total');
      return found.length > 0 ? found : undefined;
    }, 10_000);
    // An empty label is an absent label in Prometheus: a plain call has no connection_type.
    expect(edges).toEqual([{ __name__: 'traces_service_graph_request_total', client: 'gateway', server: 'order' }]);
    expect(await latest({ __name__: 'traces_service_graph_request_failed_total', client: 'gateway', server: 'order' })).toBe(1);
  });

  it('count calls per service, span name, kind and status', async () => {
    const value = await eventually(() => latest({ __name__: 'traces_span_metrics_calls_total', service_name: 'order', span_name: 'POST /orders', span_kind: 'SPAN_KIND_SERVER', status_code: 'STATUS_CODE_ERROR' }), 10_000);
    expect(value).toBe(1);
    expect((await series('traces_span_metrics_duration_seconds_bucket{service_name="gateway", span_kind="SPAN_KIND_CLIENT"}')).length).toBe(17);
  });

  it('count log records per service and severity', async () => {
    expect(await eventually(() => latest({ __name__: 'mirador_log_records_total', service_name: 'order', severity: 'error' }), 10_000)).toBe(1);
  });
});
