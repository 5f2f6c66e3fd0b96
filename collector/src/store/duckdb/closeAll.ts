import type { DuckDBAppender } from '@duckdb/node-api';

/** Closes appenders, ignoring ones already closed. */
export function closeAll(...appenders: DuckDBAppender[]): void {
  for (const a of appenders) {
    try {
      a.closeSync();
    } catch {
      // already closed, or its connection failed: nothing left to release
    }
  }
}
