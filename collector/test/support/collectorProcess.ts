import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..', '..', '..');
const bin = path.join(root, 'collector', 'bin', 'mirador-collector.js');
const node = path.join(root, 'node_modules', '.bin', 'node');

/** A collector running as its own process, as a user starts it. */
export interface CollectorProcess {
  child: ChildProcess;
  url: string;
  output: () => string;
}

/** Runs `mirador-collector` with the args and waits for its "collector started" line. */
export function spawnCollector(args: string[], env: Record<string, string> = {}): Promise<CollectorProcess> {
  const child = spawn(node, [bin, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = /collector started url=(http:\/\/\S+)/.exec(out);
      if (m) resolve({ child, url: m[1]!, output: () => out });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`collector exited with ${code} before starting:\n${out}`)));
  });
}

/** Runs `mirador-collector` to completion and returns its exit code and output. */
export function runCollector(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(node, [bin, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

/** Waits for a child to exit. */
export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}
