/**
 * `npm start`: runs the whole stack on this machine on embedded storage and
 * prints the dashboard URL. Today the stack is the collector (which serves the
 * dashboard); the sample services join it as they are built. Ctrl-C stops
 * everything it started.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const port = process.env.MIRADOR_PORT ?? '4318';
const dataDir = process.env.MIRADOR_DATA_DIR ?? path.join(root, 'data');
const children: ChildProcess[] = [];

function step(message: string): void {
  process.stdout.write(`[mirador] ${message}\n`);
}

function startCollector(): Promise<string> {
  step(`starting the collector on 127.0.0.1:${port} (data in ${path.relative(process.cwd(), dataDir) || '.'})`);
  const child = spawn(process.execPath, [path.join(root, 'collector', 'bin', 'mirador-collector.js'), '--port', port, '--data-dir', dataDir], {
    stdio: ['ignore', 'inherit', 'pipe'],
    env: process.env,
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    let seen = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      process.stderr.write(chunk);
      seen += chunk.toString();
      const m = /collector started url=(\S+)/.exec(seen);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => {
      const hint = /EADDRINUSE/.test(seen) ? ` Port ${port} is in use: set MIRADOR_PORT to another port.` : '';
      reject(new Error(`the collector exited with code ${code} before it started.${hint}`));
    });
  });
}

function stopAll(signal: NodeJS.Signals): void {
  step('stopping…');
  for (const child of children) if (child.exitCode === null) child.kill(signal);
}

process.once('SIGINT', () => stopAll('SIGINT'));
process.once('SIGTERM', () => stopAll('SIGTERM'));

try {
  const url = await startCollector();
  step('the collector is ready');
  step(`Dashboard: ${url}/`);
  await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))));
  step('stopped');
} catch (error) {
  step(`failed: ${(error as Error).message}`);
  stopAll('SIGTERM');
  process.exitCode = 1;
}
