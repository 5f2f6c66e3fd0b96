import { monitorEventLoopDelay, type ELDHistogram } from 'node:perf_hooks';

/**
 * Bytes of request bodies held in memory across all requests being read or
 * decoded. Each body is bounded by the body limit, but many at once are not:
 * this budget bounds them together, so a burst of large or compressed bodies
 * is answered 503 (retry later) instead of growing the heap. With a resident
 * memory bound, it also refuses every body while the process is over it
 * (sampled every 250 ms, until it is back under 90% of the bound); with an
 * event-loop delay bound, while the loop has been that far behind within the
 * last 250 ms (decoding more than the CPU can), until a window stays under
 * half of it, so health checks and queries keep answering under an ingest
 * overload.
 */
/** How often the event loop's delay is measured; a measurement includes this interval itself. */
const LOOP_DELAY_RESOLUTION_MS = 10;
const SAMPLE_INTERVAL_MS = 250;

export class ByteBudget {
  readonly limit: number;
  /** Resident memory at most, in bytes; 0 for no bound. */
  readonly maxRss: number;
  private used = 0;
  /** Mean event-loop delay allowed, in ms; 0 for no bound. */
  readonly maxLoopDelayMs: number;
  private overMemory = false;
  private behind = false;
  private lastDelayMs = 0;
  private readonly sampler: NodeJS.Timeout | null = null;
  private readonly loopDelay: ELDHistogram | null = null;

  constructor(limit: number, maxRss = 0, maxLoopDelayMs = 0) {
    this.limit = limit;
    this.maxRss = maxRss;
    this.maxLoopDelayMs = maxLoopDelayMs;
    if (maxLoopDelayMs > 0) {
      this.loopDelay = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS });
      this.loopDelay.enable();
    }
    if (maxRss > 0 || maxLoopDelayMs > 0) {
      let lastTick = performance.now();
      this.sampler = setInterval(() => {
        // How late this timer fires is itself the loop's delay: the first sample after a stall sees it,
        // even when the delay histogram's own timer has not yet recorded it.
        const now = performance.now();
        const lateMs = now - lastTick - SAMPLE_INTERVAL_MS;
        lastTick = now;
        this.sample(lateMs);
      }, SAMPLE_INTERVAL_MS);
      this.sampler.unref();
    }
  }

  /** True while resident memory or event-loop delay is over its bound. */
  get overloaded(): boolean {
    return this.overMemory || this.behind;
  }

  /** Why a reservation is refused now, for the 503's message. */
  refusal(): string {
    if (this.overMemory) return `the collector is over its memory bound of ${Math.round(this.maxRss / 2 ** 20)} MiB (limits.maxRss); retry later`;
    if (this.behind) return `the collector is busy: its event loop is ${Math.round(this.lastDelayMs)} ms behind (limits.maxEventLoopDelay ${this.maxLoopDelayMs} ms); retry later`;
    return `the collector holds ${this.limit} bytes of request bodies already (limits.maxInFlightBytes); retry later`;
  }

  /** Reads resident memory and the event-loop delay since the last sample (the timer does so every 250 ms). */
  sample(timerLateMs = 0): void {
    if (this.maxRss > 0) {
      const rss = process.memoryUsage.rss();
      if (rss >= this.maxRss) this.overMemory = true;
      else if (rss < this.maxRss * 0.9) this.overMemory = false;
    }
    if (this.loopDelay !== null) {
      // The longest delay of the window (nanoseconds; 0 when nothing was measured yet). Timers that
      // fall due together run in any order, so a stall can land in the window after the one it happened in.
      const longest = Math.max(0, this.loopDelay.max / 1e6 - LOOP_DELAY_RESOLUTION_MS, timerLateMs);
      this.loopDelay.reset();
      this.lastDelayMs = longest;
      if (longest >= this.maxLoopDelayMs) this.behind = true;
      else if (longest < this.maxLoopDelayMs / 2) this.behind = false;
    }
  }

  stop(): void {
    if (this.sampler !== null) clearInterval(this.sampler);
    this.loopDelay?.disable();
  }

  /** Bytes held now. */
  get inUse(): number {
    return this.used;
  }

  /** Takes `bytes` from the budget; false (taking nothing) when that would pass the limit. */
  tryReserve(bytes: number): boolean {
    if (this.overMemory || this.behind || this.used + bytes > this.limit) return false;
    this.used += bytes;
    return true;
  }

  /** Gives back bytes taken with tryReserve. */
  release(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
  }
}
