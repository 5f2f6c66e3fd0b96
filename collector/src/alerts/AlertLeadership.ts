import type { CollectorLog } from '../telemetry/log.ts';
import type { AlertStateStore } from './AlertStateFile.ts';
import type { RuleManager } from './RuleManager.ts';

/** A lease that one holder at a time may have, expiring unless renewed. */
export interface Lease {
  /** Takes the lease, or renews it when `holder` has it; false when another holder's lease has not expired. */
  tryHold(holder: string, ttlMs: number): Promise<boolean>;
  /** Gives the lease up (only when `holder` has it), so another replica takes over at once. */
  release(holder: string): Promise<void>;
}

export interface AlertLeadershipOptions {
  lease: Lease;
  /** This replica's name in the lease. */
  holder: string;
  /** The lease lasts this long unless renewed; renewed, and sought by the others, every third of it. */
  ttlMs: number;
  manager: RuleManager;
  /** The state the evaluating replica saves and a new one takes over. */
  stateStore: AlertStateStore;
  log: CollectorLog;
  /** Reports whether this replica evaluates, for the collector's own metrics. */
  leading?: (leading: boolean) => void;
}

/**
 * Alert evaluation on exactly one replica of a scaled-out collector: the
 * replica holding the lease evaluates and notifies, saving the alert state
 * (active alerts, what each notifier sent) where all replicas read it; the
 * others try for the lease every third of its time to live and, meanwhile,
 * adopt the saved state so their rule and alert APIs answer the same. When
 * the holder dies its lease expires, and the next replica to take it adopts
 * the saved state first: its alerts keep their active time and nothing
 * already sent is sent again. A holder that cannot renew steps down before
 * its lease can have expired, so two replicas never evaluate at once.
 */
export class AlertLeadership {
  private readonly options: AlertLeadershipOptions;
  private timer: NodeJS.Timeout | null = null;
  private leading = false;
  private lastHeldAt = 0;
  private round: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(options: AlertLeadershipOptions) {
    this.options = options;
  }

  get isLeading(): boolean {
    return this.leading;
  }

  /** Starts seeking the lease (at once, then every third of its time to live). */
  start(): void {
    const every = Math.max(100, Math.floor(this.options.ttlMs / 3));
    const run = () => {
      this.round = this.round.then(() => this.step());
    };
    run();
    this.timer = setInterval(run, every);
    this.timer.unref();
  }

  /** Stops evaluating (saving the state) and releases the lease, so another replica takes over without waiting for it to expire. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearInterval(this.timer);
    await this.round;
    if (!this.leading) return;
    await this.options.manager.stop();
    this.leading = false;
    this.options.leading?.(false);
    await this.options.lease.release(this.options.holder).catch((error: unknown) => this.options.log.warn('releasing the alerting lease failed; it expires by itself', { error }));
  }

  private async step(): Promise<void> {
    if (this.stopped) return;
    const { lease, holder, ttlMs, manager, stateStore, log } = this.options;
    let held = false;
    try {
      held = await lease.tryHold(holder, ttlMs);
      if (held) this.lastHeldAt = Date.now();
    } catch (error) {
      // Unreachable: still the holder until the lease could have expired (less a third, for clocks and delays).
      held = this.leading && Date.now() - this.lastHeldAt < (ttlMs * 2) / 3;
      log.warn('the alerting lease could not be renewed', { error: (error as Error).message, stillLeading: held });
    }
    if (this.stopped) return;
    try {
      if (held && !this.leading) {
        const { state, problem } = await stateStore.load();
        if (problem !== null) log.warn('alert state not taken over', { problem });
        await manager.adopt(state);
        manager.start();
        this.leading = true;
        this.options.leading?.(true);
        log.info('this replica now evaluates the alert rules', { holder });
      } else if (!held && this.leading) {
        await manager.pause();
        this.leading = false;
        this.options.leading?.(false);
        log.warn('another replica evaluates the alert rules now', { holder });
      } else if (!held) {
        const { state } = await stateStore.load();
        await manager.adopt(state);
      }
    } catch (error) {
      log.warn('taking over the alert state failed; tried again', { error: (error as Error).message });
    }
  }
}
