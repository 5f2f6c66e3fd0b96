/**
 * User journey 3, step 4 (shortened): the collector is down, the service keeps
 * serving without errors; when the collector comes back, telemetry flows again
 * without a restart.
 */
import net from 'node:net';
import type { RunningCollector } from '@mirador/collector';
import { afterAll, describe, expect, it } from 'vitest';
import { startAppWithAgent, startQuietCollector, type AgentApp } from './support/processes.ts';

let collector: RunningCollector | undefined;
let app: AgentApp | undefined;
afterAll(async () => {
  app?.child.kill('SIGKILL');
  await collector?.stop();
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

describe('a service with the agent while the collector is down', () => {
  it('serves every request, and its spans reach the collector once it is back', async () => {
    const port = await freePort();
    const service = `resilient-${Date.now()}`;
    app = await startAppWithAgent('plainApp.mjs', { OTEL_SERVICE_NAME: service, OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`, OTEL_BSP_SCHEDULE_DELAY: '100' });
    const hit = async () => (await fetch(`${app!.url}/`)).text();

    const answers = [];
    for (let i = 0; i < 300; i++) answers.push(await hit());
    expect(answers.every((a) => a === 'ok')).toBe(true);

    collector = await startQuietCollector(port);
    const deadline = Date.now() + 15_000;
    let traces: unknown[] = [];
    while (traces.length === 0 && Date.now() < deadline) {
      expect(await hit()).toBe('ok');
      await new Promise((r) => setTimeout(r, 200));
      traces = ((await (await fetch(`${collector.url}/api/traces?service=${service}&lookback=5m`)).json()) as { data: unknown[] }).data;
    }
    expect(traces.length).toBeGreaterThan(0);
  });
});
