import { postJson, withRetries, type NotifiedAlert, type Notifier, type NotifierObserver } from './notifier.ts';

/** Alerts held for Alertmanager at most (Prometheus' notification queue capacity); the oldest are dropped and counted beyond. */
const QUEUE_CAPACITY = 10_000;
/** Alerts per request (Prometheus' maxBatchSize). */
const BATCH = 64;

/**
 * Sends alerts to Alertmanager's v2 API (`POST /api/v2/alerts`), so its
 * routing, grouping, silences and inhibition apply. Firing alerts are sent
 * again on the resend interval by the rule manager (Alertmanager drops an
 * alert not heard of by its endsAt); a failed send is retried with backoff.
 */
export class AlertmanagerNotifier implements Notifier {
  readonly name: string;
  private readonly urls: string[];
  private readonly observer: NotifierObserver;
  private queue: NotifiedAlert[] = [];
  private draining: Promise<void> | null = null;
  private stopped = false;

  constructor(urls: string[], observer: NotifierObserver) {
    this.urls = urls.map((u) => u.replace(/\/+$/, ''));
    this.name = `alertmanager ${this.urls.join(',')}`;
    this.observer = observer;
  }

  notify(alerts: readonly NotifiedAlert[]): void {
    if (alerts.length === 0) return;
    this.queue.push(...alerts);
    if (this.queue.length > QUEUE_CAPACITY) {
      const excess = this.queue.length - QUEUE_CAPACITY;
      this.queue.splice(0, excess);
      this.observer.dropped(this.name, excess);
    }
    this.draining ??= this.drain().finally(() => (this.draining = null));
  }

  tick(): void {}

  snapshot(): unknown {
    return null;
  }

  restore(): void {}

  /** What is queued gets one more attempt each (no retries), then the notifier stops. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.draining;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, BATCH);
      const body = batch.map((a) => ({ labels: a.labels, annotations: a.annotations, startsAt: a.startsAt, endsAt: a.endsAt, generatorURL: a.generatorURL }));
      await Promise.all(
        this.urls.map(async (url) => {
          const ok = await withRetries(() => postJson(`${url}/api/v2/alerts`, body, 10_000), {
            attempts: 4,
            maxDelayMs: 8000,
            abandoned: () => this.stopped,
            onError: (error) => this.observer.failed(this.name, error),
          });
          if (ok) this.observer.sent(this.name, batch.length);
          else this.observer.dropped(this.name, batch.length);
        }),
      );
    }
  }
}
