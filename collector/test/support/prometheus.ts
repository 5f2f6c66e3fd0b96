import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { freePort } from '../../../scripts/portAnswers.ts';

/** A free TCP port on the loopback interface (the start script's own). */
export { freePort };

/** A Prometheus (Debian's, installed by the test setup) on a free loopback port with its own data directory. */
export type RunningPrometheus = RunningServer;

/**
 * Starts `prometheus` with the given config file text and waits until it is
 * ready; `port` and `dir` start it again where an earlier one ran (same data).
 */
export async function startPrometheus(config: string, options: { remoteWriteReceiver?: boolean; port?: number; dir?: string } = {}): Promise<RunningPrometheus & { port: number; dir: string }> {
  const dir = options.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'mirador-prometheus-'));
  fs.writeFileSync(path.join(dir, 'prometheus.yml'), config);
  const port = options.port ?? (await freePort());
  const args = [`--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'];
  if (options.remoteWriteReceiver === true) args.push('--web.enable-remote-write-receiver');
  return { ...(await spawnUntilReady('prometheus', args, `http://127.0.0.1:${port}`)), port, dir };
}

/** A server binary of the test setup, running on a loopback port. */
export interface RunningServer {
  url: string;
  output(): string;
  /** Kills it (SIGKILL); resolves once it has exited and its port is free. */
  stop(): Promise<void>;
}

/** Spawns a server binary and waits until its `/-/ready` answers (Prometheus and Alertmanager both have one). */
export async function spawnUntilReady(command: string, args: string[], url: string): Promise<RunningServer> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  for (let i = 0; !(await fetch(`${url}/-/ready`).then((r) => r.ok, () => false)); i++) {
    if (i > 100 || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`${command} did not become ready:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    url,
    output: () => output,
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      return exited;
    },
  };
}

/** The remote-write encoder the collector sends with, for tests that write to Prometheus or the collector. */
export { remoteWriteBody } from '../../src/metrics/remoteWriteEncode.ts';
