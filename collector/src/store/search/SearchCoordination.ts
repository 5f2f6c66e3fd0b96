import type { Lease } from '../../alerts/AlertLeadership.ts';
import { parseAlertState, type AlertStateStore, type SavedAlertState } from '../../alerts/AlertStateFile.ts';
import { createHash } from 'node:crypto';
import type { HistoryEntry, HistoryQuery, SharedAlertHistory } from '../../alerts/AlertHistory.ts';
import type { SharedRuleEdits, SharedRuleStore } from '../../alerts/RuleEditor.ts';
import type { BulkSpool } from './BulkSpool.ts';
import { dayOf, type IndexNames } from './documents.ts';
import { dayEndsBefore } from './SearchSpanStore.ts';
import type { SearchEngine } from './SearchEngine.ts';

// The lease is taken by a scripted upsert judged by the engine's own clock
// (`ctx._now`), so replicas whose clocks disagree still agree on expiry.
const LEASE_SCRIPT = `
if (ctx._source.holder == null || ctx._source.holder == params.holder || ctx._source.expires < ctx._now) {
  ctx._source.holder = params.holder; ctx._source.expires = ctx._now + params.ttl; ctx._source.renewed = ctx._now;
} else { ctx.op = 'noop'; }`;

const RELEASE_SCRIPT = `
if (ctx._source.holder == params.holder) { ctx._source.expires = 0; } else { ctx.op = 'noop'; }`;

/**
 * A lease in the search cluster (`<prefix>-alerting`, document `lease-<name>`):
 * how replicas of a scaled-out collector agree which one evaluates alerts.
 */
export class SearchLease implements Lease {
  private readonly engine: SearchEngine;
  private readonly index: string;
  private readonly id: string;
  private readonly ready: () => Promise<void>;

  constructor(engine: SearchEngine, index: string, name: string, ready: () => Promise<void>) {
    this.engine = engine;
    this.index = index;
    this.id = `lease-${name}`;
    this.ready = ready;
  }

  async tryHold(holder: string, ttlMs: number): Promise<boolean> {
    await this.ready();
    const result = await this.engine.updateDocument(this.index, this.id, {
      scripted_upsert: true,
      upsert: {},
      script: { lang: 'painless', source: LEASE_SCRIPT, params: { holder, ttl: ttlMs } },
    });
    return result !== 'noop';
  }

  async release(holder: string): Promise<void> {
    await this.engine.updateDocument(this.index, this.id, { script: { lang: 'painless', source: RELEASE_SCRIPT, params: { holder } } });
  }
}

/** A document of the alerting index: the engine, the index, and the templates' readiness it waits for. */
abstract class AlertingDocument {
  protected readonly engine: SearchEngine;
  protected readonly index: string;
  protected readonly ready: () => Promise<void>;

  constructor(engine: SearchEngine, index: string, ready: () => Promise<void>) {
    this.engine = engine;
    this.index = index;
    this.ready = ready;
  }
}

/** The alert state as one document every replica reads (`<prefix>-alerting`, document `alert-state`). */
export class SearchAlertStateStore extends AlertingDocument implements AlertStateStore {
  get where(): string {
    return `${this.index}/alert-state`;
  }

  async load(): Promise<{ state: SavedAlertState | null; problem: string | null }> {
    await this.ready();
    const doc = await this.engine.getSource<{ state?: string }>(this.index, 'alert-state');
    if (doc === null || typeof doc.state !== 'string') return { state: null, problem: null };
    return parseAlertState(doc.state, this.where);
  }

  async save(state: SavedAlertState): Promise<void> {
    await this.ready();
    await this.engine.putDocument(this.index, 'alert-state', { state: JSON.stringify(state), saved_at: state.savedAtMs });
  }
}

// Saved only over the version the saver last read: two replicas editing at once cannot both win.
const RULES_SCRIPT = `
long current = ctx._source.version == null ? 0 : ctx._source.version;
if (current != params.expected) { ctx.op = 'noop'; } else { ctx._source.version = params.expected + 1; ctx._source.files = params.files; }`;

/** The rule edits replicas share (`<prefix>-alerting`, document `rule-edits`). */
export class SearchSharedRules extends AlertingDocument implements SharedRuleStore {
  async load(): Promise<SharedRuleEdits | null> {
    await this.ready();
    const doc = await this.engine.getSource<{ version?: number; files?: string }>(this.index, 'rule-edits');
    if (doc === null || typeof doc.version !== 'number' || typeof doc.files !== 'string') return null;
    return { version: doc.version, files: JSON.parse(doc.files) as SharedRuleEdits['files'] };
  }

  async save(next: SharedRuleEdits, expectedVersion: number): Promise<boolean> {
    await this.ready();
    const result = await this.engine.updateDocument(this.index, 'rule-edits', {
      scripted_upsert: true,
      upsert: {},
      script: { lang: 'painless', source: RULES_SCRIPT, params: { expected: expectedVersion, files: JSON.stringify(next.files) } },
    });
    return result !== 'noop';
  }
}

/**
 * The alert history replicas share, in daily indices
 * (`<prefix>-alerthistory-YYYY.MM.DD`), written through the spool (so an
 * entry recorded while the cluster is away arrives later) with ids from the
 * entry itself (so it is stored once).
 */
export class SearchAlertHistory implements SharedAlertHistory {
  private readonly engine: SearchEngine;
  private readonly spool: BulkSpool;
  private readonly names: IndexNames;

  constructor(engine: SearchEngine, spool: BulkSpool, names: IndexNames) {
    this.engine = engine;
    this.spool = spool;
    this.names = names;
  }

  append(entries: readonly HistoryEntry[]): Promise<void> {
    return this.spool.append(
      entries.map((e) => {
        const entry = JSON.stringify(e);
        const doc = { '@timestamp': new Date(e.timeMs).toISOString(), time_ms: e.timeMs, kind: e.kind, group: e.group, rule: e.rule, entry };
        const index = this.names.alertHistory(dayOf(BigInt(e.timeMs) * 1_000_000n));
        return [{ index: { _index: index, _id: createHash('sha256').update(entry).digest('hex').slice(0, 32) } }, JSON.stringify(doc)];
      }),
    );
  }

  async query(q: HistoryQuery): Promise<HistoryEntry[]> {
    const filter: Array<Record<string, unknown>> = [{ range: { time_ms: { gte: q.startMs, lte: q.endMs } } }];
    if (q.rule !== undefined) filter.push({ term: { rule: q.rule } });
    if (q.kind !== undefined) filter.push({ term: { kind: q.kind } });
    const answer = await this.engine.search<{ entry: string }>(this.names.all('alerthistory'), {
      size: q.limit,
      _source: ['entry'],
      query: { bool: { filter } },
      sort: [{ time_ms: 'desc' }, { _id: 'desc' }],
    });
    return answer.hits.map((h) => JSON.parse(h._source.entry) as HistoryEntry);
  }

  async deleteBefore(timeMs: number): Promise<void> {
    const cutoff = BigInt(timeMs) * 1_000_000n;
    const old = (await this.engine.indices(this.names.all('alerthistory'))).filter((i) => dayEndsBefore(i.name, cutoff));
    await this.engine.deleteIndices(old.map((i) => i.name));
  }
}
