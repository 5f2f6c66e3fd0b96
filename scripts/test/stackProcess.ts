import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { freePort } from '../portAnswers.ts';

const root = path.resolve(import.meta.dirname, '..', '..');

/** `npm start`'s stack (scripts/start.ts) running as its own process. */
export interface StackProcess {
  child: ChildProcess;
  /** The dashboard URL it printed, ending in `/`. */
  dashboard: string;
  /** The ports it was given, by variable name. */
  ports: Record<string, string>;
  output(): string;
}

/** Starts scripts/start.ts on free ports with the environment given, and waits for its dashboard line. */
export async function startStack(env: Record<string, string>): Promise<StackProcess> {
  const names = ['MIRADOR', 'GATEWAY', 'ORDER', 'CATALOG', 'INVENTORY', 'PAYMENT', 'LOADGEN'];
  const ports = Object.fromEntries(await Promise.all(names.map(async (n) => [`${n}_PORT`, String(await freePort())] as const)));
  const child = spawn(path.join(root, 'node_modules', '.bin', 'node'), [path.join(root, 'scripts', 'start.ts')], { cwd: root, env: { ...process.env, ...ports, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const dashboard = await new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const m = /\[mirador\] Dashboard: (\S+)/.exec(output);
      if (m) {
        clearInterval(timer);
        resolve(m[1]!);
      }
    }, 100);
    child.once('exit', (code) => {
      clearInterval(timer);
      reject(new Error(`start exited with ${code}:\n${output}`));
    });
  });
  return { child, dashboard, ports, output: () => output };
}
