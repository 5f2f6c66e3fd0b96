import { QueueFullError } from '../../pipeline/BatchWriter.ts';
import { SerialQueue } from '../../pipeline/SerialQueue.ts';
import { Sleeper } from '../../pipeline/Sleeper.ts';
import { ShardLog, type LogRecord } from '../ShardLog.ts';
import type { BulkOperation, DroppedDocument, SearchEngine } from './SearchEngine.ts';

/** How the spool reports what it does, for the collector's own metrics and log. */
export interface BulkSpoolObserver {
  indexed(documents: number): void;
  /** The cluster could not take a batch (down, 429, 5xx): it is kept and sent again. */
  retried(error: string): void;
  /** A document refused for good (a mapping conflict, say): counted and logged, the rest of its batch stands. */
  rejected(document: DroppedDocument): void;
  pending(bytes: number): void;
}

export interface BulkSpoolOptions {
  dir: string;
  /** Run (and retried with backoff until it succeeds) before the first write: installs the index templates. */
  prepare: () => Promise<void>;
  /** On-disk spool at most; beyond it appends are refused (ingest answers 503 and the sender retries). */
  maxBytes: number;
}

const MIN_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 5000;

/**
 * Bulk writes to the search cluster through an on-disk spool: a batch of
 * operations is appended and synced before the spans or logs in it are
 * acknowledged, and one sender writes the spool in order through the
 * client's bulk helper. A batch the cluster cannot take (unreachable, 429,
 * 5xx) stays in the spool and is sent again with backoff, so an outage of
 * minutes costs disk, not data; documents have deterministic ids, so a batch
 * sent twice leaves one copy of each.
 */
export class BulkSpool {
  private readonly engine: SearchEngine;
  private readonly log: ShardLog;
  private readonly options: BulkSpoolOptions;
  private readonly observer: BulkSpoolObserver;
  private readonly appends = new SerialQueue();
  private readonly sender: Promise<void>;
  private wake: (() => void) | null = null;
  private readonly sleeper = new Sleeper();
  private readonly drainWaiters = new Set<() => void>();
  private closed = false;

  private constructor(engine: SearchEngine, log: ShardLog, options: BulkSpoolOptions, observer: BulkSpoolObserver) {
    this.engine = engine;
    this.log = log;
    this.options = options;
    this.observer = observer;
    this.sender = this.send();
  }

  /** Opens the spool (sending what an earlier run left) and starts the sender. */
  static async open(engine: SearchEngine, options: BulkSpoolOptions, observer: BulkSpoolObserver): Promise<BulkSpool> {
    return new BulkSpool(engine, await ShardLog.open(options.dir), options, observer);
  }

  get bufferedBytes(): number {
    return this.log.bytes;
  }

  /** Appends a batch durably; refuses with QueueFullError when the spool is full. */
  append(operations: readonly BulkOperation[]): Promise<void> {
    if (operations.length === 0) return Promise.resolve();
    if (this.closed) return Promise.reject(new Error('the search spool is closed'));
    if (this.log.bytes >= this.options.maxBytes) {
      return Promise.reject(new QueueFullError(`the search spool holds ${this.log.bytes} bytes (limit ${this.options.maxBytes}); the cluster is not taking data`));
    }
    const payload = Buffer.from(toNdjson(operations));
    return this.appends.run(async () => {
      await this.log.append(payload);
      this.observer.pending(this.log.bytes);
      this.wake?.();
    });
  }

  /** Resolves once everything appended so far has been sent (or refused for good). */
  async drained(): Promise<void> {
    await this.appends.run(async () => undefined);
    if (this.log.drained) return;
    await new Promise<void>((resolve) => this.drainWaiters.add(resolve));
  }

  /** Sends what it can within `drainMs`, then stops; what is left stays on disk for the next start. */
  async close(drainMs: number): Promise<void> {
    if (this.closed) return;
    await Promise.race([this.drained(), new Promise((resolve) => setTimeout(resolve, drainMs).unref())]);
    this.closed = true;
    this.wake?.();
    this.sleeper.wakeAll();
    await this.sender;
    await this.log.close();
  }

  private async send(): Promise<void> {
    let backoff = MIN_BACKOFF_MS;
    for (;;) {
      if (this.closed) return;
      try {
        await this.options.prepare();
        break;
      } catch (error) {
        this.observer.retried(`preparing the cluster: ${describe(error)}`);
        await this.sleeper.sleep(backoff);
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      }
    }
    while (!this.closed) {
      const record = await this.log.peek();
      if (record === null) {
        for (const resolve of this.drainWaiters) resolve();
        this.drainWaiters.clear();
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = null;
        continue;
      }
      if (await this.write(record)) {
        await this.log.commit(record);
        this.observer.pending(this.log.bytes);
      }
    }
  }

  /** Writes one spooled batch until every document is in or refused for good; false when closed first. */
  private async write(record: LogRecord): Promise<boolean> {
    let operations = fromNdjson(record.payload.toString('utf8'));
    let backoff = MIN_BACKOFF_MS;
    while (!this.closed) {
      let dropped: DroppedDocument[];
      try {
        dropped = await this.engine.bulk(operations);
      } catch (error) {
        const status = (error as { meta?: { statusCode?: number } }).meta?.statusCode ?? 0;
        if (status >= 400 && status < 500 && ![401, 403, 408, 429].includes(status)) {
          // The cluster refused the request itself: sending it again would block the spool for good.
          for (const [action] of operations) {
            const target = Object.values(action)[0]!;
            this.observer.rejected({ status, reason: describe(error), index: String(target._index), id: String(target._id) });
          }
          return true;
        }
        this.observer.retried(describe(error));
        await this.sleeper.sleep(backoff);
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
        continue;
      }
      const again = new Set<string>();
      for (const d of dropped) {
        if (d.status === 429 || d.status >= 500 || d.status === 0) again.add(`${d.index}\0${d.id}`);
        else this.observer.rejected(d);
      }
      this.observer.indexed(operations.length - dropped.length);
      if (again.size === 0) return true;
      this.observer.retried(`${again.size} documents answered 429 or 5xx`);
      operations = operations.filter(([action]) => {
        const target = Object.values(action)[0]!;
        return again.has(`${String(target._index)}\0${String(target._id)}`);
      });
      await this.sleeper.sleep(backoff);
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    }
    return false;
  }

}

/**
 * A batch as the spool keeps it: the bulk API's own NDJSON, an action line
 * and a body line per operation. Document bodies, already JSON, are written
 * as they are rather than escaped into a string of a JSON array, and read
 * back without parsing: only actions and update bodies are parsed again.
 */
function toNdjson(operations: readonly BulkOperation[]): string {
  let out = '';
  for (const [action, body] of operations) out += `${JSON.stringify(action)}\n${typeof body === 'string' ? body : JSON.stringify(body)}\n`;
  return out;
}

function fromNdjson(text: string): BulkOperation[] {
  const lines = text.split('\n');
  const operations: BulkOperation[] = [];
  for (let i = 0; i + 1 < lines.length; i += 2) {
    const action = JSON.parse(lines[i]!) as BulkOperation[0];
    operations.push([action, 'update' in action ? (JSON.parse(lines[i + 1]!) as Record<string, unknown>) : lines[i + 1]!]);
  }
  return operations;
}

function describe(error: unknown): string {
  const e = error as { name?: string; message?: string; meta?: { statusCode?: number } };
  return [e.name, e.meta?.statusCode, e.message].filter((p) => p !== undefined && p !== '').join(': ');
}
