/** Log lines on stdout: JSON for shippers by default off a terminal, one readable line each with MIRADOR_LOG_FORMAT=pretty. */
import type { RunningCollector } from '@mirador/collector';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startAppWithAgent, startQuietCollector, type AgentApp } from './support/processes.ts';

let collector: RunningCollector;
const apps: AgentApp[] = [];
beforeAll(async () => {
  collector = await startQuietCollector();
});
afterAll(async () => {
  for (const a of apps) a.child.kill('SIGKILL');
  await collector?.stop();
});

async function logLines(env: Record<string, string>): Promise<string[]> {
  const app = await startAppWithAgent('ordersApp.mjs', { OTEL_SERVICE_NAME: 'orders-log', OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, ...env });
  apps.push(app);
  let out = '';
  app.child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  await fetch(`${app.url}/orders/42`);
  return eventually(async () => {
    const lines = out.split('\n').filter((l) => l.includes('stock checked'));
    return lines.length > 0 ? lines : undefined;
  });
}

describe('log lines on stdout', () => {
  it('are JSON with trace_id, span_id and service when stdout is not a terminal', async () => {
    const [line] = await logLines({});
    expect(JSON.parse(line!)).toMatchObject({ level: 'warn', message: 'stock checked', service: 'orders-log', orderId: '42', available: 3, trace_id: expect.stringMatching(/^[0-9a-f]{32}$/), span_id: expect.stringMatching(/^[0-9a-f]{16}$/) });
  });

  it('are one readable line each with MIRADOR_LOG_FORMAT=pretty, the trace id last', async () => {
    const [line] = await logLines({ MIRADOR_LOG_FORMAT: 'pretty' });
    expect(line).toMatch(/^\d{4}-\d\d-\d\dT\S+ warn {2}stock checked orderId=42 available=3 trace_id=[0-9a-f]{32}$/);
  });
});
