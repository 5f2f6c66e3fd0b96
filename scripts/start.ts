/**
 * `npm start`: the whole stack on this machine, on embedded storage — the
 * collector (which serves the dashboard), the five sample services with the
 * agent, and the load generator — each its own process, with a progress line
 * as each comes up, then the dashboard URL. Ctrl-C stops everything it started.
 *
 * Ports: MIRADOR_PORT (collector, 4318), GATEWAY_PORT, ORDER_PORT, CATALOG_PORT,
 * INVENTORY_PORT, PAYMENT_PORT, LOADGEN_PORT (8080-8085). Events go through
 * RabbitMQ when AMQP_URL is set or one answers on 127.0.0.1:5672 (AMQP_URL=
 * turns that off), otherwise over HTTP; tables live in PostgreSQL when
 * DATABASE_URL is set, otherwise in the services. The alert rules are
 * alert-rules/*.yaml (MIRADOR_RULES names others).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { demoConfig } from '@mirador/sample-services/config';
import { SERVICES, startComponent } from '@mirador/sample-services/processes';
import { portAnswers } from './portAnswers.ts';

const root = path.resolve(import.meta.dirname, '..');
const port = process.env.MIRADOR_PORT ?? '4318';
const dataDir = process.env.MIRADOR_DATA_DIR ?? path.join(root, 'data');
const children: ChildProcess[] = [];
let stopping = false;

function step(message: string): void {
  process.stdout.write(`[mirador] ${message}\n`);
}

function startCollector(): Promise<string> {
  step(`starting the collector on 127.0.0.1:${port} (data in ${path.relative(process.cwd(), dataDir) || '.'})`);
  // The sample system's alert rules, unless MIRADOR_RULES names others.
  const rules = process.env.MIRADOR_RULES === undefined ? ['--rules', path.join(root, 'alert-rules', '*.yaml')] : [];
  const child = spawn(process.execPath, [path.join(root, 'collector', 'bin', 'mirador-collector.js'), '--port', port, '--data-dir', dataDir, ...rules], {
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
  if (stopping) return;
  stopping = true;
  step('stopping…');
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill(signal);
}

process.once('SIGINT', () => stopAll('SIGINT'));
process.once('SIGTERM', () => stopAll('SIGTERM'));

try {
  // A port already taken is said before anything starts.
  for (const name of [...SERVICES, 'loadgen'] as const) {
    const p = demoConfig(name).port;
    if (await portAnswers('127.0.0.1', p)) throw new Error(`port ${p} for ${name} is in use: set ${name.toUpperCase()}_PORT to another port`);
  }
  const url = await startCollector();
  step('collector ready');
  const amqpUrl = process.env.AMQP_URL ?? ((await portAnswers('127.0.0.1', 5672)) ? 'amqp://guest:guest@127.0.0.1:5672' : '');
  step(`events: ${amqpUrl === '' ? 'over HTTP (no RabbitMQ; set AMQP_URL to use one)' : `RabbitMQ at ${amqpUrl.replace(/\/\/[^@]*@/, '//')}`}; tables: ${process.env.DATABASE_URL ? 'PostgreSQL (DATABASE_URL)' : 'in the services (set DATABASE_URL for PostgreSQL)'}`);
  const env = { OTEL_EXPORTER_OTLP_ENDPOINT: url, AMQP_URL: amqpUrl };
  for (const name of [...SERVICES, 'loadgen'] as const) {
    if (stopping) break;
    step(`starting ${name}…`);
    const component = await startComponent(name, env);
    children.push(component.child);
    component.child.once('exit', (code, signal) => {
      if (!stopping) step(`${name} stopped unexpectedly (${signal ?? `exit code ${code}`}); its last output:\n${component.output().slice(-1500)}`);
    });
    step(`${name} listening on http://127.0.0.1:${component.port}`);
  }
  step(`the load generator places orders through the gateway (a day every ${process.env.LOADGEN_MINUTES_PER_DAY ?? 10} minutes); faults: POST http://127.0.0.1:${demoConfig('loadgen').port}/faults`);
  step(`API: curl -H 'x-api-key: demo-key' http://127.0.0.1:${demoConfig('gateway').port}/api/catalog`);
  step(`Dashboard: ${url}/`);
  await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r(null) : c.once('exit', r)))));
  step('stopped');
} catch (error) {
  step(`failed: ${(error as Error).message}`);
  stopAll('SIGTERM');
  process.exitCode = 1;
}
