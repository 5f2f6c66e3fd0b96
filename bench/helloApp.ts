/**
 * The agent benchmarks' app and load: an unmodified ESM Express hello world
 * (fixtures/helloApp.mjs) started with the node flags given, and autocannon
 * against it in a process of its own.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const root = path.resolve(import.meta.dirname, '..');
const bin = (name: string) => path.join(root, 'node_modules', '.bin', name);
const app = path.join(import.meta.dirname, 'fixtures', 'helloApp.mjs');

// On two cores or more, the app runs on core 0 and the load generator on core
// 1 (taskset), so the figure is the app's own capacity on one core: unpinned,
// the scheduler puts autocannon and the app's GC threads on either core, and
// the figure moves with who got which.
export const pin = os.cpus().length >= 2 && fs.existsSync('/usr/bin/taskset');
const pinned = (core: number, command: string, args: string[]): [string, string[]] => (pin ? ['taskset', ['-c', String(core), command, ...args]] : [command, args]);

export interface HelloApp {
  /** The app's process (taskset execs node, so its pid is the app's). */
  child: ChildProcess;
  url: string;
}

/** Starts the hello app, from agent/ so `@mirador/agent/register` resolves, with these node flags and extra environment. */
export async function startHelloApp(nodeArgs: string[], env: Record<string, string>): Promise<HelloApp> {
  const [command, args] = pinned(0, bin('node'), [...nodeArgs, app]);
  const child = spawn(command, args, { cwd: path.join(root, 'agent'), env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.once('exit', (code) => reject(new Error(`the app exited (${code}) before listening`)));
    const onData = (c: Buffer) => {
      out += c.toString();
      const m = /listening (\d+)/.exec(out);
      if (m === null) return;
      child.stdout!.off('data', onData);
      resolve(`http://127.0.0.1:${m[1]}/hello/world`);
    };
    child.stdout!.on('data', onData);
  });
  // Whatever the app writes later is read and dropped unless a caller listens for it.
  child.stdout!.resume();
  return { child, url };
}

/** autocannon against `url` for `seconds`, on core 1: requests served, requests/s, p50 and p99 latency in ms. */
export async function autocannon(url: string, seconds: number, extra: string[]): Promise<{ requests: number; rps: number; p50: number; p99: number }> {
  const [command, args] = pinned(1, bin('node'), [bin('autocannon'), '-j', '-d', String(seconds), ...extra, url]);
  const { stdout } = await promisify(execFile)(command, args, { maxBuffer: 64 * 1024 * 1024 });
  const r = JSON.parse(stdout) as { requests: { average: number; total: number }; latency: { p50: number; p99: number } };
  return { requests: r.requests.total, rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99 };
}

/** An OTLP/HTTP and metrics-push endpoint on loopback that accepts everything and discards it, so only the agent's own cost shows. */
export async function startSink(): Promise<{ url: string; close(): void }> {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, close: () => server.close() };
}
