/**
 * User journey 3, step 4 (shortened): the collector is down, the service keeps
 * serving without errors; when the collector comes back, telemetry flows again
 * without a restart.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { resolveConfig, startCollector, type RunningCollector } from '@mirador/collector';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..', '..');
let collector: RunningCollector | undefined;
let app: ChildProcess | undefined;
afterAll(async () => {
  app?.kill('SIGKILL');
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
    app = spawn(path.join(root, 'node_modules', '.bin', 'node'), ['--import', '@mirador/agent/register', path.join(import.meta.dirname, 'fixtures', 'plainApp.mjs')], {
      cwd: path.join(root, 'agent'),
      env: { ...process.env, OTEL_SERVICE_NAME: service, OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`, OTEL_BSP_SCHEDULE_DELAY: '100' },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const appPort = await new Promise<string>((resolve) => {
      let out = '';
      app!.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const m = /listening (\d+)/.exec(out);
        if (m) resolve(m[1]!);
      });
    });
    const hit = async () => (await fetch(`http://127.0.0.1:${appPort}/`)).text();

    const answers = [];
    for (let i = 0; i < 300; i++) answers.push(await hit());
    expect(answers.every((a) => a === 'ok')).toBe(true);

    const parsed = resolveConfig({ argv: ['--port', String(port), '--grpc-port', 'off', '--data-dir', fs.mkdtempSync(path.join(os.tmpdir(), 'mirador-agent-')), '--log-level', 'error'], env: {} });
    if (parsed.kind !== 'run') throw new Error('unexpected help');
    collector = await startCollector(parsed.config);
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
