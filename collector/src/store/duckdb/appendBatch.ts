import type { DuckDBAppender, DuckDBConnection } from '@duckdb/node-api';
import { closeAll, discardAll } from './closeAll.ts';
import type { ResourceCatalog, ResourceEntry } from './ResourceCatalog.ts';
import type { TraceTimeIndex } from './TraceTimeIndex.ts';

/** The tables one batch of spans or log records is written to. */
export interface BatchTables {
  /** The table of the rows themselves. */
  main: string;
  resources: ResourceCatalog;
  traceIndex: TraceTimeIndex;
  /** Side tables the rows need (written before them), e.g. span_operations. */
  side: readonly string[];
}

/**
 * Writes one batch: `fill` appends the rows (registering their resources and
 * trace-index ranges as it goes), then resources, index ranges, side tables
 * and finally the rows are flushed.
 *
 * Every await comes first, so from `fill` to the last flush nothing else runs
 * and what `fill` registered is written with the rows. Each flush commits on
 * its own (an explicit transaction measured slower: its BEGIN and COMMIT round
 * trips stall the single writer, 47k vs 61k spans/s), so the order is one that
 * is safe to stop between: what the rows need comes first, and an index range
 * whose rows never arrived finds nothing. On failure the appenders are cleared
 * before they close (closing flushes), nothing registered is lost for later
 * batches, and `undo` reverts the caller's own bookkeeping.
 */
export async function appendBatch(
  write: DuckDBConnection,
  tables: BatchTables,
  fill: (main: DuckDBAppender, side: DuckDBAppender[]) => void,
  undo: () => void = () => {},
): Promise<void> {
  const main = await write.createAppender(tables.main);
  const resources = await write.createAppender('resources');
  const index = await write.createAppender(tables.traceIndex.table);
  const side: DuckDBAppender[] = [];
  for (const name of tables.side) side.push(await write.createAppender(name));
  const all = [main, resources, index, ...side];
  let newResources: ResourceEntry[] = [];
  try {
    fill(main, side);
    newResources = tables.resources.appendPending(resources);
    tables.traceIndex.appendPending(index);
    resources.flushSync();
    index.flushSync();
    for (const a of side) a.flushSync();
    main.flushSync();
    closeAll(...all);
  } catch (error) {
    discardAll(...all);
    tables.traceIndex.discardPending();
    // A later batch writes them (again, at worst: readers ignore duplicates).
    tables.resources.restorePending(newResources);
    undo();
    throw error;
  }
}
