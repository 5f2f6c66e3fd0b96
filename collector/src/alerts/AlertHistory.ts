import fs from 'node:fs';
import path from 'node:path';
import type { Labels } from '../model/metric.ts';
import { writeFileAtomically } from '../store/writeFileAtomically.ts';

/** One entry of the alert history: an alert that fired or resolved, or a rule someone changed. Times are Unix ms. */
export type HistoryEntry =
  | { kind: 'firing' | 'resolved'; timeMs: number; group: string; rule: string; labels: Labels; annotations: Record<string, string>; value: number; activeAtMs: number }
  | { kind: 'rule_created' | 'rule_updated' | 'rule_deleted'; timeMs: number; group: string; rule: string; user: string; file: string; before: unknown; after: unknown };

/** A history query: a time range, optionally one alert name or kind, newest first. */
export interface HistoryQuery {
  startMs: number;
  endMs: number;
  rule?: string;
  kind?: HistoryEntry['kind'];
  limit: number;
}

/** The history replicas of a scaled-out collector share: written by whichever replica records an entry, read by all. */
export interface SharedAlertHistory {
  /** Durable when it resolves (spooled), searchable shortly after. */
  append(entries: readonly HistoryEntry[]): Promise<void>;
  query(q: HistoryQuery): Promise<HistoryEntry[]>;
  deleteBefore(timeMs: number): Promise<void>;
}

/**
 * What fired when, and who changed which rule: appended as JSON lines to
 * `<data-dir>/alerts/history.jsonl` (each line synced, so an answered change
 * is on disk), kept in memory for queries, trimmed by age and count. Replicas
 * sharing a search cluster also write every entry there and answer queries
 * from it, so each replica shows the whole history.
 */
export class AlertHistory {
  private entries: HistoryEntry[] = [];
  private readonly file: string | null;
  private readonly retentionMs: number;
  private readonly maxEntries: number;
  private appendedSinceCompaction = 0;
  private readonly shared: SharedAlertHistory | null;
  private readonly onSharedError: (error: unknown) => void;

  constructor(options: { file: string | null; retentionMs: number; maxEntries: number; shared?: SharedAlertHistory; onSharedError?: (error: unknown) => void }) {
    this.file = options.file;
    this.shared = options.shared ?? null;
    this.onSharedError = options.onSharedError ?? (() => undefined);
    this.retentionMs = options.retentionMs;
    this.maxEntries = options.maxEntries;
    if (this.file === null) return;
    let text = '';
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      try {
        this.entries.push(JSON.parse(line) as HistoryEntry);
      } catch {
        // A line torn by a crash mid-append is the only kind that fails; the rest stands.
      }
    }
  }

  /** Records entries (in time order), on disk before it returns. */
  append(entries: readonly HistoryEntry[], nowMs: number): void {
    if (entries.length === 0) return;
    this.entries.push(...entries);
    if (this.file !== null) {
      fs.mkdirSync(path.dirname(this.file), { recursive: true });
      const fd = fs.openSync(this.file, 'a');
      try {
        fs.writeSync(fd, entries.map((e) => JSON.stringify(e) + '\n').join(''));
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
    }
    this.shared?.append(entries).catch(this.onSharedError);
    this.appendedSinceCompaction += entries.length;
    if (this.appendedSinceCompaction >= 1000 || this.entries.length > this.maxEntries) this.trim(nowMs);
  }

  /** Entries in the range, newest first: the shared history's when there is one, else this replica's. */
  query(q: HistoryQuery): Promise<HistoryEntry[]> {
    return this.shared !== null ? this.shared.query(q) : Promise.resolve(this.queryLocal(q));
  }

  private queryLocal(q: HistoryQuery): HistoryEntry[] {
    const out: HistoryEntry[] = [];
    for (let i = this.entries.length - 1; i >= 0 && out.length < q.limit; i--) {
      const e = this.entries[i]!;
      if (e.timeMs < q.startMs || e.timeMs > q.endMs) continue;
      if (q.rule !== undefined && e.rule !== q.rule) continue;
      if (q.kind !== undefined && e.kind !== q.kind) continue;
      out.push(e);
    }
    return out;
  }

  /** Drops entries past the retention or the count, and rewrites the file with the rest. */
  trim(nowMs: number): void {
    const oldest = nowMs - this.retentionMs;
    // Down to 90% of the maximum, so that a full history is not rewritten on every append.
    this.entries = this.entries.filter((e) => e.timeMs >= oldest).slice(-Math.floor(this.maxEntries * 0.9));
    this.appendedSinceCompaction = 0;
    if (this.file !== null) writeFileAtomically(this.file, this.entries.map((e) => JSON.stringify(e) + '\n').join(''));
    this.shared?.deleteBefore(oldest).catch(this.onSharedError);
  }
}
