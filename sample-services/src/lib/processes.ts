import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { DemoComponent } from './config.ts';

const root = path.resolve(import.meta.dirname, '..', '..', '..');

/** The sample services, in the order they start (callees first). */
export const SERVICES = ['catalog', 'inventory', 'payment', 'order', 'gateway'] as const satisfies readonly DemoComponent[];

/** A component running as its own process under the agent's register entry. */
export interface RunningComponent {
  name: DemoComponent;
  child: ChildProcess;
  port: number;
  /** Its most recent output (the last 20,000 characters). */
  output(): string;
}

/**
 * Starts `sample-services/src/<name>.ts` as `node --import @mirador/agent/register`
 * (the load generator, a client, without the agent), resolving once it prints
 * "<name> listening PORT", rejecting with its output if it exits first.
 * `node_modules/.bin` comes first on PATH, so it runs on the project's Node
 * whatever started this.
 */
export function startComponent(name: DemoComponent, env: Record<string, string>, onOutput?: (line: string) => void, args: string[] = []): Promise<RunningComponent> {
  const bin = path.join(root, 'node_modules', '.bin');
  const agent = name === 'loadgen' ? [] : ['--import', '@mirador/agent/register'];
  const child = spawn(path.join(bin, 'node'), [...agent, path.join(root, 'sample-services', 'src', `${name}.ts`), ...args], {
    cwd: path.join(root, 'sample-services'),
    env: { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}`, OTEL_SERVICE_NAME: name, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      // Only the recent output is kept: a demo runs for hours.
      output = (output + text).slice(-20_000);
      if (onOutput !== undefined) for (const line of text.split('\n')) if (line !== '') onOutput(line);
      const m = new RegExp(`${name} listening (\\d+)`).exec(output);
      if (m) resolve({ name, child, port: Number(m[1]), output: () => output });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code, signal) => reject(new Error(`${name} exited (${signal ?? code}) before it was listening:\n${output.slice(-2000)}`)));
  });
}
