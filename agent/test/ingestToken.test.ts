/**
 * A collector that asks for ingest tokens: a service whose agent has its
 * token (MIRADOR_INGEST_TOKEN) gets its spans, logs and pushed metrics in; a
 * service without one is refused, counted, and keeps running.
 */
import type { RunningCollector } from '@mirador/collector';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startAppWithAgent, startQuietCollector, type AgentApp } from './support/processes.ts';

const TOKEN = 'f3c1d6a8b2e94c07a5d1e8f2b6c3a9d4';
let collector: RunningCollector;
let withToken: AgentApp;
let without: AgentApp;
const fast = { OTEL_BSP_SCHEDULE_DELAY: '100', OTEL_BLRP_SCHEDULE_DELAY: '100', MIRADOR_METRICS_PUSH_INTERVAL: '300' };
beforeAll(async () => {
  collector = await startQuietCollector(0, ['--ingest-tokens', `orders=${TOKEN}`]);
  [withToken, without] = await Promise.all([
    startAppWithAgent('ordersApp.mjs', { ...fast, OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_SERVICE_NAME: 'orders-with-token', MIRADOR_INGEST_TOKEN: TOKEN }),
    startAppWithAgent('ordersApp.mjs', { ...fast, OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_SERVICE_NAME: 'orders-without-token' }),
  ]);
});
afterAll(async () => {
  withToken?.child.kill('SIGKILL');
  without?.child.kill('SIGKILL');
  await collector?.stop();
});

const json = async <T>(pathAndQuery: string) => (await (await fetch(collector.url + pathAndQuery)).json()) as T;

describe('an agent with its ingest token', () => {
  it('gets traces, trace-correlated logs and pushed metrics in; one without a token is refused and counted', async () => {
    for (const app of [withToken, without]) expect((await fetch(`${app.url}/orders/7`)).status).toBe(200);
    const trace = await eventually(async () => (await json<{ data: Array<{ traceID: string }> }>('/api/traces?service=orders-with-token&lookback=5m')).data[0]);
    const logs = await eventually(async () => {
      const data = (await json<{ data: Array<{ body: string }> }>(`/api/logs?traceId=${trace.traceID}`)).data;
      return data.length >= 3 ? data : undefined;
    });
    expect(logs.map((l) => l.body)).toContain('order requested');
    await eventually(async () => {
      const r = await json<{ data: { result: unknown[] } }>(`/api/v1/query?query=${encodeURIComponent('http_server_request_duration_seconds_count{job="orders-with-token"}')}`);
      return r.data.result.length > 0 ? true : undefined;
    });

    const refused = await eventually(async () => {
      const text = await (await fetch(`${collector.url}/metrics`)).text();
      const m = /^mirador_ingest_unauthorized_total\{source="[^"]+",reason="missing"\} (\d+)$/m.exec(text);
      return m !== null && Number(m[1]) >= 3 ? Number(m[1]) : undefined; // its spans, logs and a metrics push
    });
    expect(refused).toBeGreaterThanOrEqual(3);
    expect((await json<{ data: unknown[] }>('/api/traces?service=orders-without-token&lookback=5m')).data).toEqual([]);
    // Refused telemetry does not hurt the service.
    expect((await fetch(`${without.url}/orders/8`)).status).toBe(200);
  });
});
