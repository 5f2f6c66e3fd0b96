import { BIGINT, BLOB, DOUBLE, INTEGER, VARCHAR, blobValue, type DuckDBDataChunk, type DuckDBResultReader, type DuckDBType, type DuckDBValue } from '@duckdb/node-api';

/** What the read side of a store needs: one query at a time, bound parameters. */
export interface SqlReader {
  runAndReadAll(sql: string, values?: DuckDBValue[], types?: DuckDBType[]): Promise<DuckDBResultReader>;
  /** The result as DuckDB's own chunks, whose columns are typed arrays: for reads of millions of numbers. */
  readChunks(sql: string, values?: DuckDBValue[], types?: DuckDBType[]): Promise<DuckDBDataChunk[]>;
}


/**
 * Collects bound parameters for one SQL statement with their DuckDB types, so
 * user input is never spliced into SQL text and a BIGINT column is compared
 * with a BIGINT parameter (an untyped bigint would bind as HUGEINT and defeat
 * zone-map pruning).
 */
export class SqlParams {
  readonly values: DuckDBValue[] = [];
  readonly types: DuckDBType[] = [];

  private add(value: DuckDBValue, type: DuckDBType): string {
    this.values.push(value);
    this.types.push(type);
    return `$${this.values.length}`;
  }

  /** A BIGINT parameter. */
  bigint(value: bigint): string {
    return this.add(value, BIGINT);
  }
  /** An INTEGER parameter. */
  int(value: number): string {
    return this.add(value, INTEGER);
  }
  /** A DOUBLE parameter. */
  double(value: number): string {
    return this.add(value, DOUBLE);
  }
  /** A VARCHAR parameter. */
  text(value: string): string {
    return this.add(value, VARCHAR);
  }
  /** A BLOB parameter. */
  blob(value: Uint8Array): string {
    return this.add(blobValue(value), BLOB);
  }
}

/** Escapes LIKE wildcards so user text matches literally (with `ESCAPE '\'`). */
export function likeLiteral(text: string): string {
  return text.replace(/[\\%_]/g, (c) => '\\' + c);
}

/** A JSON path that selects one top-level key, whatever characters it holds. */
export function jsonKeyPath(key: string): string {
  return '$.' + JSON.stringify(key);
}
