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

/**
 * Drops what the appenders hold and closes them: a failed batch must leave
 * nothing behind, and closing an appender would otherwise flush (commit) the
 * rows it holds.
 */
export function discardAll(...appenders: DuckDBAppender[]): void {
  for (const a of appenders) {
    try {
      a.clear();
    } catch {
      // already closed: it holds nothing
    }
  }
  closeAll(...appenders);
}
