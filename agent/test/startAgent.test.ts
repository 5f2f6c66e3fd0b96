/**
 * The one-line start in a CommonJS service: `startAgent()` before the other
 * requires. This service sends OTLP/JSON (the others use the default, protobuf).
 */
import type { RunningCollector } from '@mirador/collector';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startAppWithAgent, startQuietCollector, type AgentApp } from './support/processes.ts';

let collector: RunningCollector;
let app: AgentApp;
beforeAll(async () => {
  collector = await startQuietCollector();
  app = await startAppWithAgent('cjsApp.cjs', { COLLECTOR_URL: collector.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_BSP_SCHEDULE_DELAY: '100', OTEL_BLRP_SCHEDULE_DELAY: '100' }, false);
});
afterAll(async () => {
  app?.child.kill('SIGKILL');
  await collector?.stop();
});

describe('startAgent in a CommonJS service', () => {
  it('traces its Express routes and ships its log lines with the trace id', async () => {
    expect(await (await fetch(`${app.url}/orders/9`)).json()).toEqual({ id: '9' });
    const trace = await eventually(async () => {
      const r = await fetch(`${collector.url}/api/traces?service=cjs-orders&operation=${encodeURIComponent('GET /orders/:id')}&lookback=5m`);
      return ((await r.json()) as { data: Array<{ traceID: string }> }).data[0];
    });
    const logs = await eventually(async () => {
      const r = await fetch(`${collector.url}/api/logs?traceId=${trace.traceID}`);
      const data = ((await r.json()) as { data: Array<{ body: string; serviceName: string }> }).data;
      return data.length > 0 ? data : undefined;
    });
    expect(logs.map((l) => [l.serviceName, l.body])).toEqual([['cjs-orders', 'order requested']]);
  });
});
