import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveConfig, startCollector, type RunningCollector } from '@mirador/collector';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..', '..');
let collector: RunningCollector;

beforeAll(async () => {
  const parsed = resolveConfig({ argv: ['--port', '0', '--grpc-port', 'off', '--data-dir', fs.mkdtempSync(path.join(os.tmpdir(), 'mirador-agent-')), '--log-level', 'error'], env: {} });
  if (parsed.kind !== 'run') throw new Error('unexpected help');
  collector = await startCollector(parsed.config);
});
afterAll(async () => {
  await collector?.stop();
});

describe('the agent on SIGTERM', () => {
  it('flushes buffered spans, then lets the signal end a process that has no handler of its own', async () => {
    const service = `plain-${Date.now()}`;
    const app = spawn(path.join(root, 'node_modules', '.bin', 'node'), ['--import', '@mirador/agent/register', path.join(import.meta.dirname, 'fixtures', 'plainApp.mjs')], {
      cwd: path.join(root, 'agent'),
      // Spans would wait a minute before being sent, were it not for the flush.
      env: { ...process.env, OTEL_SERVICE_NAME: service, OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_BSP_SCHEDULE_DELAY: '60000' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const port = await new Promise<string>((resolve) => {
      let out = '';
      app.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const m = /listening (\d+)/.exec(out);
        if (m) resolve(m[1]!);
      });
    });
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('ok');
    const exit = new Promise<{ code: number | null; signal: string | null }>((resolve) => app.once('exit', (code, signal) => resolve({ code, signal })));
    app.kill('SIGTERM');
    expect(await exit).toEqual({ code: null, signal: 'SIGTERM' });
    const r = await fetch(`${collector.url}/api/traces?service=${service}&lookback=5m`);
    expect(((await r.json()) as { data: unknown[] }).data).toHaveLength(1);
  });
});
