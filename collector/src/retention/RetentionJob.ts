import type { Stores } from '../store/types.ts';
import type { SelfMetrics } from '../telemetry/SelfMetrics.ts';
import type { CollectorLog } from '../telemetry/log.ts';

/** How often retention runs. */
export const RETENTION_INTERVAL_MS = 5 * 60_000;

/** Deletes spans, logs and samples older than the retention age, in the background. */
export class RetentionJob {
  private readonly stores: Stores;
  private readonly retentionMs: number;
  private readonly metrics: SelfMetrics;
  private readonly log: CollectorLog;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(stores: Stores, retentionMs: number, metrics: SelfMetrics, log: CollectorLog) {
    this.stores = stores;
    this.retentionMs = retentionMs;
    this.metrics = metrics;
    this.log = log;
  }

  /** Runs once now and then every interval, reading the time from `now`. */
  start(now: () => number, intervalMs = RETENTION_INTERVAL_MS): void {
    const tick = () => {
      if (this.running === null) this.running = this.runOnce(now()).finally(() => (this.running = null));
    };
    tick();
    this.timer = setInterval(tick, intervalMs);
    this.timer.unref();
  }

  /** Deletes everything older than `nowMs - retention`; failures are logged and counted, never thrown. */
  async runOnce(nowMs: number): Promise<void> {
    const cutoffMs = nowMs - this.retentionMs;
    const cutoffNs = BigInt(Math.max(0, cutoffMs)) * 1_000_000n;
    const jobs: Array<[string, () => Promise<number>]> = [
      ['traces', () => this.stores.spans.deleteBefore(cutoffNs)],
      ['logs', () => this.stores.logs.deleteBefore(cutoffNs)],
      ['metrics', () => this.stores.metrics.deleteBefore(cutoffMs)],
    ];
    for (const [signal, job] of jobs) {
      try {
        const deleted = await job();
        this.metrics.retentionDeleted.inc({ signal }, deleted);
        if (deleted > 0) this.log.info('retention deleted old data', { signal, items: deleted, before: new Date(cutoffMs).toISOString() });
      } catch (error) {
        this.log.error('retention failed', { signal, error });
      }
    }
  }

  /** Stops the schedule and waits for a running pass. */
  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}
