import type { DuckDBDataChunk, DuckDBInstance, DuckDBResultReader, DuckDBType, DuckDBValue } from '@duckdb/node-api';
import type { SqlReader } from './sqlParams.ts';

/**
 * Runs each read on a connection of its own (opening one costs ~20 µs), so
 * concurrent API requests never share a connection and a long search never
 * waits behind a write.
 */
export class PerQueryReader implements SqlReader {
  private readonly instance: DuckDBInstance;
  constructor(instance: DuckDBInstance) {
    this.instance = instance;
  }
  async runAndReadAll(sql: string, values?: DuckDBValue[], types?: DuckDBType[]): Promise<DuckDBResultReader> {
    const connection = await this.instance.connect();
    try {
      return await connection.runAndReadAll(sql, values, types);
    } finally {
      connection.closeSync();
    }
  }

  async readChunks(sql: string, values?: DuckDBValue[], types?: DuckDBType[]): Promise<DuckDBDataChunk[]> {
    const connection = await this.instance.connect();
    try {
      const result = await connection.run(sql, values, types);
      return (await result.fetchAllChunks()).filter((c) => c.rowCount > 0);
    } finally {
      connection.closeSync();
    }
  }
}
