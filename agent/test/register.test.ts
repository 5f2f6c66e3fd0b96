/**
 * Zero-code start on an unmodified ESM Express app: one request that crosses
 * two server spans becomes one trace in the collector, and every log line of
 * that request is found by its trace id.
 */
import type { RunningCollector } from '@mirador/collector';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startAppWithAgent, startQuietCollector, type AgentApp } from './support/processes.ts';

let collector: RunningCollector;
let app: AgentApp;

beforeAll(async () => {
  collector = await startQuietCollector();
  app = await startAppWithAgent('ordersApp.mjs', { OTEL_SERVICE_NAME: 'orders', OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_BSP_SCHEDULE_DELAY: '100', OTEL_BLRP_SCHEDULE_DELAY: '100' });
});
afterAll(async () => {
  app?.child.kill('SIGKILL');
  await collector?.stop();
});

type Trace = { traceID: string; processes: Record<string, { serviceName: string; tags: Array<{ key: string; type: string; value: unknown }> }>; spans: Array<{ spanID: string; operationName: string; references: Array<{ spanID: string }>; tags: Array<{ key: string; value: unknown }> }> };

describe('node --import @mirador/agent/register on an unmodified Express app', () => {
  it('adds a span per Express middleware and handler only when asked to (MIRADOR_INSTRUMENTATIONS=express)', async () => {
    const verbose = await startAppWithAgent('ordersApp.mjs', { OTEL_SERVICE_NAME: 'orders-verbose', OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_BSP_SCHEDULE_DELAY: '100', MIRADOR_INSTRUMENTATIONS: 'express', OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=test,team=orders%20squad' });
    try {
      await fetch(`${verbose.url}/orders/7`);
      const trace = await eventually(async () => {
        const r = await fetch(`${collector.url}/api/traces?service=orders-verbose&lookback=5m`);
        return ((await r.json()) as { data: Trace[] }).data[0];
      });
      const layers = trace.spans.filter((s) => s.tags.some((t) => t.key === 'express.type'));
      expect(layers.length).toBeGreaterThan(0);
      // OTEL_RESOURCE_ATTRIBUTES (percent-encoded values) land on the resource, which Jaeger shows as process tags.
      expect(Object.values(trace.processes)[0]!.tags).toEqual(
        expect.arrayContaining([
          { key: 'deployment.environment.name', type: 'string', value: 'test' },
          { key: 'team', type: 'string', value: 'orders squad' },
        ]),
      );
    } finally {
      verbose.child.kill('SIGKILL');
    }
    // (The default set, in the test below, names the server span by its route without any layer span.)
  });

  it('traces a request across its server spans and finds all its log lines by trace id', async () => {
    const res = await fetch(`${app.url}/orders/42`);
    expect(await res.json()).toEqual({ id: '42', available: 3 });

    const trace = await eventually(async () => {
      const r = await fetch(`${collector.url}/api/traces?service=orders&operation=${encodeURIComponent('GET /orders/:id')}&lookback=5m`);
      const found = ((await r.json()) as { data: Trace[] }).data[0];
      return found !== undefined && found.spans.some((s) => s.operationName === 'GET /stock/:sku') ? found : undefined;
    });
    const root = trace.spans.find((s) => s.operationName === 'GET /orders/:id')!;
    const stock = trace.spans.find((s) => s.operationName === 'GET /stock/:sku')!;
    expect(root.references).toEqual([]);
    // An attribute the service set on the active span is on its server span, beside the agent's own.
    expect(root.tags).toEqual(expect.arrayContaining([expect.objectContaining({ key: 'order.id', value: '42' }), expect.objectContaining({ key: 'http.route', value: '/orders/:id' })]));
    // The route names the server span; no span per Express layer is needed for it.
    expect(trace.spans.some((s) => s.tags.some((t) => t.key === 'express.type'))).toBe(false);
    expect(stock.references).toHaveLength(1); // its parent is the outgoing fetch's client span, itself a child of the order's spans

    const logs = await eventually(async () => {
      const r = await fetch(`${collector.url}/api/logs?traceId=${trace.traceID}`);
      const data = ((await r.json()) as { data: Array<{ body: string; serviceName: string; severityText: string; attributes: Record<string, unknown> }> }).data;
      return data.length === 3 ? data : undefined;
    });
    expect(logs.map((l) => l.body)).toEqual(['order requested', 'stock looked up', 'stock checked']);
    expect(logs.every((l) => l.serviceName === 'orders')).toBe(true);
    expect(logs[2]).toMatchObject({ severityText: 'WARN', attributes: { orderId: '42', available: 3 } });

    // The request-duration histogram, recorded from the server span, with the trace id as exemplar.
    const exposition = await (await fetch(`${app.url}/internal/metrics`)).text();
    const bucket = exposition.split('\n').find((l) => l.startsWith('http_server_request_duration_seconds_bucket{') && l.includes('route="/orders/:id"') && l.includes(`trace_id="${trace.traceID}"`));
    expect(bucket).toMatch(/method="GET".*status_code="200"/);
    expect(exposition).toMatch(/^http_server_request_duration_seconds_count\{route="\/stock\/:sku",method="GET",status_code="200"\} 1$/m);
  });

  it('makes no span for an outgoing request where tracing is suppressed, nor for its own exports', async () => {
    const res = await fetch(`${app.url}/untraced-call`);
    // No trace context went out with it.
    expect(await res.json()).toMatchObject({ sku: 'untraced', traceparent: null });
    // The callee's server span starts a trace of its own; the caller's trace has its server span and no client span.
    const caller = await eventually(async () => {
      const r = await fetch(`${collector.url}/api/traces?service=orders&operation=${encodeURIComponent('GET /untraced-call')}&lookback=5m`);
      return ((await r.json()) as { data: Trace[] }).data[0];
    });
    expect(caller.spans.map((s) => s.operationName)).toEqual(['GET /untraced-call']);
    // Nor did the agent's exports to the collector make spans (suppressed, and sent over its own socket client).
    const posts = await (await fetch(`${collector.url}/api/traces?service=orders&operation=POST&lookback=5m`)).json();
    expect((posts as { data: Trace[] }).data).toEqual([]);
  });
});
