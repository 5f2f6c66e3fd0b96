import type { RunningCollector } from '@mirador/collector';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAppWithAgent, startQuietCollector } from './support/processes.ts';

let collector: RunningCollector;
beforeAll(async () => {
  collector = await startQuietCollector();
});
afterAll(async () => {
  await collector?.stop();
});

describe('the agent on SIGTERM', () => {
  it('flushes buffered spans and pushes its metrics, then lets the signal end a process that has no handler of its own', async () => {
    const service = `plain-${Date.now()}`;
    // Spans would wait a minute before being sent, were it not for the flush.
    // OTEL_LOG_LEVEL: should an export fail, the agent's own account of it is in the failure message.
    const { child: app, url, output } = await startAppWithAgent('plainApp.mjs', { OTEL_SERVICE_NAME: service, OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_BSP_SCHEDULE_DELAY: '60000', OTEL_LOG_LEVEL: 'info' });
    expect(await (await fetch(`${url}/`)).text()).toBe('ok');
    const exit = new Promise<{ code: number | null; signal: string | null }>((resolve) => app.once('exit', (code, signal) => resolve({ code, signal })));
    app.kill('SIGTERM');
    expect(await exit).toEqual({ code: null, signal: 'SIGTERM' });
    const r = await fetch(`${collector.url}/api/traces?service=${service}&lookback=5m`);
    expect(((await r.json()) as { data: unknown[] }).data, output()).toHaveLength(1);
    // Metrics are pushed every 15 s by default: only the flush on the signal can have sent these.
    const selector = encodeURIComponent(`http_server_request_duration_seconds_count{job="${service}"}`);
    const series = await fetch(`${collector.url}/api/v1/series?match[]=${selector}`);
    expect(((await series.json()) as { data: unknown[] }).data, output()).toHaveLength(1);
  });
});
