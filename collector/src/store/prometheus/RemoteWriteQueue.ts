import path from 'node:path';
import snappy from 'snappy';
import type { MetricMetadata, MetricSample } from '../../model/metric.ts';
import { encodeSeries, seriesOf, type WriteSeries } from '../../metrics/remoteWriteEncode.ts';
import { QueueFullError } from '../../pipeline/BatchWriter.ts';
import { Sleeper } from '../../pipeline/Sleeper.ts';
import { ShardLog, type LogRecord } from '../ShardLog.ts';

/** How the queue reports what it does, for the collector's own metrics and log. */
export interface RemoteWriteObserver {
  sent(shard: number, bytes: number): void;
  retried(shard: number, error: string): void;
  /** A request the backend refused for good (a 4xx other than 429): counted and logged, not retried. */
  refused(shard: number, status: number, message: string): void;
  pending(bytes: number): void;
}

/** Settings of the remote-write queue. */
export interface RemoteWriteQueueOptions {
  url: string;
  dir: string;
  shards: number;
  /** On-disk buffer at most; beyond it appends are refused (the sender is answered 503 and retries). */
  maxBufferBytes: number;
  timeoutMs: number;
  headers?: Record<string, string>;
}

const MIN_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 5000;

/**
 * Remote write to a Prometheus-compatible store (Prometheus with its
 * remote-write receiver, Mimir, VictoriaMetrics, Thanos Receive), through an
 * on-disk buffer: samples are split into shards by series (so each series'
 * samples stay in order), each shard's request is appended to its log and
 * synced before the append resolves, and one sender per shard sends its log
 * in order, retrying 5xx, 429 and network errors with exponential backoff
 * (honouring Retry-After) for as long as the backend is away. An outage of
 * minutes costs disk, not data.
 */
export class RemoteWriteQueue {
  private readonly options: RemoteWriteQueueOptions;
  private readonly observer: RemoteWriteObserver;
  private readonly logs: ShardLog[];
  private readonly wakers: Array<(() => void) | null>;
  private readonly senders: Promise<void>[] = [];
  private closed = false;
  private readonly sleeper = new Sleeper();

  private constructor(options: RemoteWriteQueueOptions, observer: RemoteWriteObserver, logs: ShardLog[]) {
    this.options = options;
    this.observer = observer;
    this.logs = logs;
    this.wakers = logs.map(() => null);
    logs.forEach((_log, i) => this.senders.push(this.send(i)));
  }

  /** Opens the shards' logs (sending what an earlier run left) and starts the senders. */
  static async open(options: RemoteWriteQueueOptions, observer: RemoteWriteObserver): Promise<RemoteWriteQueue> {
    const logs = await Promise.all(Array.from({ length: options.shards }, (_, i) => ShardLog.open(path.join(options.dir, `shard-${i}`))));
    return new RemoteWriteQueue(options, observer, logs);
  }

  /** Bytes waiting on disk, all shards. */
  get bufferedBytes(): number {
    return this.logs.reduce((n, l) => n + l.bytes, 0);
  }

  /** True when every shard has sent everything appended. */
  get drained(): boolean {
    return this.logs.every((l) => l.drained);
  }

  /** Appends samples (split by series into the shards) durably; refuses with QueueFullError when the buffer is full. */
  async append(samples: readonly MetricSample[], metadata: readonly MetricMetadata[]): Promise<void> {
    if (this.closed) throw new Error('the remote-write queue is closed');
    if (this.bufferedBytes >= this.options.maxBufferBytes) {
      throw new QueueFullError(`the remote-write buffer holds ${this.bufferedBytes} bytes (limit ${this.options.maxBufferBytes}); ${this.options.url} is not taking data`);
    }
    // Grouped into series once (each sample's labels sorted once); a series goes to the shard its key hashes to.
    const shards: WriteSeries[][] = this.logs.map(() => []);
    for (const series of seriesOf(samples)) shards[shardOf(series.key, this.logs.length)]!.push(series);
    await Promise.all(
      shards.map(async (part, i) => {
        const meta = i === 0 ? metadata : [];
        if (part.length === 0 && meta.length === 0) return;
        await this.logs[i]!.append(snappy.compressSync(encodeSeries(part, meta)));
        this.wakers[i]?.();
      }),
    );
    this.observer.pending(this.bufferedBytes);
  }

  /** Stops the senders (what is not sent stays on disk for the next start). */
  async close(): Promise<void> {
    this.closed = true;
    for (const wake of this.wakers) wake?.();
    this.sleeper.wakeAll();
    await Promise.all(this.senders);
    await Promise.all(this.logs.map((l) => l.close()));
  }

  private async send(shard: number): Promise<void> {
    const log = this.logs[shard]!;
    let backoff = MIN_BACKOFF_MS;
    while (!this.closed) {
      const record = await log.peek();
      if (record === null) {
        await new Promise<void>((resolve) => (this.wakers[shard] = resolve));
        this.wakers[shard] = null;
        continue;
      }
      const outcome = await this.post(record);
      if (outcome.kind === 'retry') {
        this.observer.retried(shard, outcome.message);
        await this.sleeper.sleep(outcome.afterMs ?? backoff);
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
        continue;
      }
      backoff = MIN_BACKOFF_MS;
      if (outcome.kind === 'refused') this.observer.refused(shard, outcome.status, outcome.message);
      else this.observer.sent(shard, record.payload.length);
      await log.commit(record);
      this.observer.pending(this.bufferedBytes);
    }
  }

  private async post(record: LogRecord): Promise<{ kind: 'sent' } | { kind: 'refused'; status: number; message: string } | { kind: 'retry'; message: string; afterMs?: number }> {
    let response: Response;
    try {
      response = await fetch(this.options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy', 'x-prometheus-remote-write-version': '0.1.0', 'user-agent': 'mirador-collector', ...this.options.headers },
        body: record.payload,
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (error) {
      return { kind: 'retry', message: `${this.options.url}: ${(error as Error).message}` };
    }
    const text = await response.text().catch(() => '');
    if (response.ok) return { kind: 'sent' };
    if (response.status === 429 || response.status >= 500) {
      const retryAfter = Number(response.headers.get('retry-after'));
      return { kind: 'retry', message: `${this.options.url} answered ${response.status}: ${text.slice(0, 200)}`, ...(Number.isFinite(retryAfter) && retryAfter > 0 && { afterMs: Math.min(retryAfter * 1000, 60_000) }) };
    }
    return { kind: 'refused', status: response.status, message: text.slice(0, 500) };
  }

}

/** The shard of a series: FNV-1a of its key (its sorted label pairs), so a series always goes to the same shard. */
function shardOf(key: string, shards: number): number {
  if (shards === 1) return 0;
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % shards;
}
