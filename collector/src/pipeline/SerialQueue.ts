/**
 * Runs work one piece at a time, in the order given: a store's appends and
 * the retention deletes that would otherwise interleave on one connection
 * (DuckDB runs one statement or transaction per connection at a time), rule
 * evaluations and reloads, rule-file edits.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  /** Runs `work` after everything queued before it has settled; settles as `work` does. */
  run<T>(work: () => Promise<T>): Promise<T> {
    const result = this.tail.then(work, work);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
