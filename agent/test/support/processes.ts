import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveConfig, startCollector, type RunningCollector } from '@mirador/collector';

const root = path.resolve(import.meta.dirname, '..', '..', '..');

/** A collector in this process on a free loopback port with a fresh data dir, quiet but for errors. */
export async function startQuietCollector(port = 0, flags: string[] = []): Promise<RunningCollector> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mirador-agent-'));
  const parsed = resolveConfig({ argv: ['--port', String(port), '--grpc-port', 'off', '--data-dir', dataDir, '--log-level', 'error', ...flags], env: {} });
  if (parsed.kind !== 'run') throw new Error('unexpected --help');
  return startCollector(parsed.config);
}

/** A fixture app running under `node --import @mirador/agent/register`, once it printed "listening PORT". */
export interface AgentApp {
  child: ChildProcess;
  /** http://127.0.0.1:PORT */
  url: string;
  /** What it printed so far, stdout and stderr (with OTEL_LOG_LEVEL set, the agent's own diagnostics). */
  output: () => string;
}

/**
 * Starts `test/fixtures/<fixture>` with the agent (zero-code through the
 * register entry, unless `zeroCode` is false and the fixture starts it
 * itself) and the given environment; rejects with its output if it exits first.
 */
export function startAppWithAgent(fixture: string, env: Record<string, string>, zeroCode = true): Promise<AgentApp> {
  const script = path.join(root, 'agent', 'test', 'fixtures', fixture);
  const child = spawn(path.join(root, 'node_modules', '.bin', 'node'), zeroCode ? ['--import', '@mirador/agent/register', script] : [script], {
    cwd: path.join(root, 'agent'),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = /listening (\d+)/.exec(output);
      if (m) resolve({ child, url: `http://127.0.0.1:${m[1]}`, output: () => output });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${fixture} exited with ${code}:\n${output}`)));
  });
}

/** Polls until `probe` returns a value, or fails after `timeoutMs` with what `explain` then says (an app's output, say). */
export async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 15_000, explain?: () => string | Promise<string>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms${explain === undefined ? '' : `\n${await explain()}`}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
