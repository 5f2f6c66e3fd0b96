/**
 * Bytes of request bodies held in memory across all requests being read or
 * decoded. Each body is bounded by the body limit, but many at once are not:
 * this budget bounds them together, so a burst of large or compressed bodies
 * is answered 503 (retry later) instead of growing the heap.
 */
export class ByteBudget {
  readonly limit: number;
  private used = 0;

  constructor(limit: number) {
    this.limit = limit;
  }

  /** Bytes held now. */
  get inUse(): number {
    return this.used;
  }

  /** Takes `bytes` from the budget; false (taking nothing) when that would pass the limit. */
  tryReserve(bytes: number): boolean {
    if (this.used + bytes > this.limit) return false;
    this.used += bytes;
    return true;
  }

  /** Gives back bytes taken with tryReserve. */
  release(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
  }
}
