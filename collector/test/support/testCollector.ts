import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveConfig, type CollectorConfig } from '../../src/config/config.ts';
import { startCollector, type CollectorDeps, type RunningCollector } from '../../src/Collector.ts';
import { createLog } from '../../src/telemetry/log.ts';

/** A fresh data directory under the system temp dir. */
export function tempDataDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'mirador-test-'));
}

/** The collector's configuration from flags, as the CLI would resolve it (free ports, temp data dir). */
export function testConfig(flags: string[] = [], dataDir = tempDataDir()): CollectorConfig {
  const parsed = resolveConfig({ argv: ['--port', '0', '--grpc-port', '0', '--data-dir', dataDir, ...flags], env: {} });
  if (parsed.kind !== 'run') throw new Error('unexpected --help');
  return parsed.config;
}

/** Starts a collector on free loopback ports with a temp data dir; quiet unless it logs an error. */
export async function startTestCollector(flags: string[] = [], deps: CollectorDeps = {}, dataDir?: string): Promise<RunningCollector & { config: CollectorConfig }> {
  const config = testConfig(flags, dataDir);
  const collector = await startCollector(config, { log: createLog('error'), ...deps });
  return Object.assign(collector, { config });
}

/** GET a JSON endpoint of a collector. */
export async function getJson<T = unknown>(base: string, pathAndQuery: string): Promise<{ status: number; body: T }> {
  const res = await fetch(base + pathAndQuery);
  return { status: res.status, body: (await res.json()) as T };
}

/** Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
