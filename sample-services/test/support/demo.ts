import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveConfig, startCollector, type RunningCollector } from '@mirador/collector';
import { freePort } from '../../../scripts/portAnswers.ts';
import { SERVICES, startComponent, type RunningComponent } from '../../src/lib/processes.ts';

export const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres:postgres@127.0.0.1:5432/test';

/** A collector and the five services, on free loopback ports. */
export interface Demo {
  collector: RunningCollector;
  services: RunningComponent[];
  url(service: (typeof SERVICES)[number]): string;
  stop(): Promise<void>;
}

/**
 * Starts a collector in this process and the five sample services as child
 * processes with the agent, each on a free port, with their own broker
 * namespace (or none, for HTTP delivery) and tables in `DATABASE_URL`.
 */
export async function startDemo(options: { amqp: boolean; env?: Record<string, string> }): Promise<Demo> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mirador-demo-'));
  const parsed = resolveConfig({ argv: ['--port', '0', '--grpc-port', 'off', '--data-dir', dataDir, '--log-level', 'error'], env: {} });
  if (parsed.kind !== 'run') throw new Error('unexpected --help');
  const collector = await startCollector(parsed.config);
  const ports = Object.fromEntries(await Promise.all(SERVICES.map(async (s) => [s, await freePort()] as const))) as Record<(typeof SERVICES)[number], number>;
  const env: Record<string, string> = {
    OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
    OTEL_BSP_SCHEDULE_DELAY: '100',
    OTEL_BLRP_SCHEDULE_DELAY: '100',
    MIRADOR_METRICS_PUSH_INTERVAL: '300',
    DEMO_NAMESPACE: `mirador-test-${process.pid}-${Date.now()}`,
    DATABASE_URL,
    AMQP_URL: options.amqp ? AMQP_URL : '',
    PAYMENT_ERROR_RATE: '0',
    ...Object.fromEntries(SERVICES.map((s) => [`${s.toUpperCase()}_PORT`, String(ports[s])])),
    ...options.env,
  };
  const services: RunningComponent[] = [];
  const stop = async () => {
    for (const s of services) s.child.kill('SIGKILL');
    await collector.stop();
  };
  try {
    for (const name of SERVICES) services.push(await startComponent(name, env));
  } catch (error) {
    await stop();
    throw error;
  }
  return { collector, services, url: (s) => `http://127.0.0.1:${ports[s]}`, stop };
}

/** Polls until `probe` returns a value, or fails after `timeoutMs`. */
export async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 150));
  }
}
