/**
 * Runs a store's writes one at a time: appends, and the retention deletes
 * that would otherwise interleave with them on the same connection (DuckDB
 * runs one statement or transaction per connection at a time).
 */
export class WriteQueue {
  private tail: Promise<unknown> = Promise.resolve();

  /** Runs `work` after every write queued before it; settles as `work` does. */
  run<T>(work: () => Promise<T>): Promise<T> {
    const result = this.tail.then(work, work);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
