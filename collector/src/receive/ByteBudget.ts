/**
 * Bytes of request bodies held in memory across all requests being read or
 * decoded. Each body is bounded by the body limit, but many at once are not:
 * this budget bounds them together, so a burst of large or compressed bodies
 * is answered 503 (retry later) instead of growing the heap. With a resident
 * memory bound, it also refuses every body while the process is over it
 * (sampled every 250 ms, until it is back under 90% of the bound).
 */
export class ByteBudget {
  readonly limit: number;
  /** Resident memory at most, in bytes; 0 for no bound. */
  readonly maxRss: number;
  private used = 0;
  private overMemory = false;
  private readonly sampler: NodeJS.Timeout | null = null;

  constructor(limit: number, maxRss = 0) {
    this.limit = limit;
    this.maxRss = maxRss;
    if (maxRss > 0) {
      this.sampler = setInterval(() => this.sample(), 250);
      this.sampler.unref();
    }
  }

  /** True while resident memory is over the bound. */
  get overloaded(): boolean {
    return this.overMemory;
  }

  /** Why a reservation is refused now, for the 503's message. */
  refusal(): string {
    return this.overMemory
      ? `the collector is over its memory bound of ${Math.round(this.maxRss / 2 ** 20)} MiB (limits.maxRss); retry later`
      : `the collector holds ${this.limit} bytes of request bodies already (limits.maxInFlightBytes); retry later`;
  }

  /** Reads resident memory now (the timer does so every 250 ms). */
  sample(): void {
    const rss = process.memoryUsage.rss();
    if (rss >= this.maxRss) this.overMemory = true;
    else if (rss < this.maxRss * 0.9) this.overMemory = false;
  }

  stop(): void {
    if (this.sampler !== null) clearInterval(this.sampler);
  }

  /** Bytes held now. */
  get inUse(): number {
    return this.used;
  }

  /** Takes `bytes` from the budget; false (taking nothing) when that would pass the limit. */
  tryReserve(bytes: number): boolean {
    if (this.overMemory || this.used + bytes > this.limit) return false;
    this.used += bytes;
    return true;
  }

  /** Gives back bytes taken with tryReserve. */
  release(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
  }
}
