/** Sizes and timing of one signal's write path. */
export interface BatchWriterOptions {
  /** Items written in one store call at most. */
  maxBatchItems: number;
  /**
   * How long the first item of a batch waits for others before the batch is
   * written while no write runs. 0 writes on the next turn of the event loop:
   * batches still form, from what arrives while a write runs, and a waiting
   * timer would only idle the writer while every sender awaits its answer.
   */
  maxDelayMs: number;
  /** Items accepted but not yet written at most; beyond it `submit` refuses with QueueFullError. */
  maxQueuedItems: number;
}

/** Refusal of new items while the queue is full: answered 503 with Retry-After. */
export class QueueFullError extends Error {
  override name = 'QueueFullError';
}

/** Observes the writer for the collector's own metrics. */
export interface BatchWriterObserver {
  queued(items: number): void;
  written(items: number, seconds: number): void;
  failed(items: number, error: unknown): void;
}

interface Pending<T> {
  items: readonly T[];
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit: items from many requests are gathered into one store write,
 * and each request's promise settles when the write holding its items is
 * durable. One write runs at a time; the queue is bounded, and a full queue
 * refuses new work instead of growing.
 */
export class BatchWriter<T> {
  private readonly write: (items: readonly T[]) => Promise<void>;
  private readonly options: BatchWriterOptions;
  private readonly observer: BatchWriterObserver;
  private queue: Array<Pending<T>> = [];
  private queuedItems = 0;
  private timer: NodeJS.Timeout | NodeJS.Immediate | null = null;
  private writing: Promise<void> | null = null;
  private closed = false;

  constructor(write: (items: readonly T[]) => Promise<void>, options: BatchWriterOptions, observer: BatchWriterObserver) {
    this.write = write;
    this.options = options;
    this.observer = observer;
  }

  /** Items accepted but not yet durable. */
  get depth(): number {
    return this.queuedItems;
  }

  /** Queues the items; resolves once they are durable. Throws QueueFullError when over capacity. */
  submit(items: readonly T[]): Promise<void> {
    if (this.closed) return Promise.reject(new QueueFullError('the collector is shutting down'));
    if (items.length === 0) return Promise.resolve();
    if (this.queuedItems > 0 && this.queuedItems + items.length > this.options.maxQueuedItems) {
      return Promise.reject(new QueueFullError(`write queue full (${this.queuedItems} items waiting)`));
    }
    const done = new Promise<void>((resolve, reject) => this.queue.push({ items, resolve, reject }));
    this.queuedItems += items.length;
    this.observer.queued(this.queuedItems);
    this.schedule();
    return done;
  }

  /** Writes everything queued, then refuses new items. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }

  /** Writes everything queued so far. */
  async flush(): Promise<void> {
    while (this.queue.length > 0 || this.writing !== null) {
      if (this.writing === null) this.startWrite();
      await this.writing;
    }
  }

  private schedule(): void {
    if (this.writing !== null) return; // the running write starts the next one
    if (this.queuedItems >= this.options.maxBatchItems) {
      this.startWrite();
    } else if (this.timer === null) {
      const fire = () => {
        this.timer = null;
        if (this.writing === null) this.startWrite();
      };
      this.timer = this.options.maxDelayMs > 0 ? setTimeout(fire, this.options.maxDelayMs).unref() : setImmediate(fire);
    }
  }

  private startWrite(): void {
    if (this.timer !== null) {
      if (this.options.maxDelayMs > 0) clearTimeout(this.timer as NodeJS.Timeout);
      else clearImmediate(this.timer as NodeJS.Immediate);
      this.timer = null;
    }
    const batch = this.takeBatch();
    if (batch.length === 0) return;
    const items = batch.length === 1 ? batch[0]!.items : batch.flatMap((p) => p.items);
    const started = performance.now();
    this.writing = this.write(items).then(
      () => ({ ok: true as const }),
      (error: unknown) => ({ ok: false as const, error }),
    ).then((outcome) => {
      this.queuedItems -= items.length;
      this.observer.queued(this.queuedItems);
      this.writing = null;
      if (outcome.ok) {
        this.observer.written(items.length, (performance.now() - started) / 1000);
        for (const p of batch) p.resolve();
      } else {
        this.observer.failed(items.length, outcome.error);
        for (const p of batch) p.reject(outcome.error);
      }
      // What queued during this write has already waited: write it now.
      if (this.queue.length > 0) this.startWrite();
    });
  }

  /** Whole requests up to maxBatchItems (a larger request goes alone). */
  private takeBatch(): Array<Pending<T>> {
    let count = 0;
    let n = 0;
    while (n < this.queue.length) {
      const size = this.queue[n]!.items.length;
      if (n > 0 && count + size > this.options.maxBatchItems) break;
      count += size;
      n++;
    }
    return this.queue.splice(0, n);
  }
}
