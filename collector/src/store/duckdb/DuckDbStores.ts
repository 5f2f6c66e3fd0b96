import fs from 'node:fs';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { PerQueryReader } from './PerQueryReader.ts';
import type { Stores } from '../types.ts';
import { DuckDbLogStore } from './DuckDbLogStore.ts';
import { DuckDbMetricStore } from './DuckDbMetricStore.ts';
import { DuckDbSpanStore } from './DuckDbSpanStore.ts';
import { ResourceCatalog } from './ResourceCatalog.ts';

/** Options of the embedded store. */
export interface DuckDbOptions {
  dataDir: string;
  /** DuckDB's memory_limit, e.g. "1GB". */
  memoryLimit: string;
}

/** The file the embedded store keeps everything in. */
export function duckDbFile(dataDir: string): string {
  return path.join(dataDir, 'mirador.duckdb');
}

/**
 * Opens (creating if needed) the embedded database with a write connection
 * per signal, so the three batch writers never interleave on one connection.
 */
export async function openDuckDbStores(options: DuckDbOptions): Promise<Stores> {
  fs.mkdirSync(options.dataDir, { recursive: true });
  const file = duckDbFile(options.dataDir);
  const instance = await DuckDBInstance.create(file, { memory_limit: options.memoryLimit });
  const writers: DuckDBConnection[] = [];
  const writer = async () => {
    const c = await instance.connect();
    writers.push(c);
    return c;
  };
  const reader = new PerQueryReader(instance);
  const resources = await ResourceCatalog.open(await writer());
  const spans = await DuckDbSpanStore.create(await writer(), reader, resources);
  const logs = await DuckDbLogStore.create(await writer(), reader, resources);
  const metrics = await DuckDbMetricStore.create(await writer(), reader);
  let closed = false;
  return {
    spans,
    logs,
    metrics,
    description: `duckdb ${file}`,
    coordination: null,
    async flush() {
      // Appends resolve once they are in the database.
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const c of writers) c.closeSync();
      instance.closeSync();
    },
  };
}
