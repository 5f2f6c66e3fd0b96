import type { LabelMatcher, MetricStore, SeriesExemplars, SeriesSamples } from '../store/types.ts';
import type { Labels, MetricMetadata, MetricSample } from '../model/metric.ts';

/** A metric's series over a window, loaded once, with label indexes built as rules ask for them. */
interface Loaded {
  fromMs: number;
  toMs: number;
  series: SeriesSamples[];
  /** label name → value → series with that value (built the first time a rule matches on that label). */
  indexes: Map<string, Map<string, SeriesSamples[]>>;
}

/**
 * Regexes made of this syntax mean the same to JavaScript (with the `u` flag)
 * as to RE2 (Prometheus, DuckDB): no POSIX classes (`[[:alpha:]]`), no group
 * flags or lookarounds (`(?`), no empty classes.
 */
const PORTABLE_REGEX = /^(?:[\w\s/:@,=<>'"-]|\\[.\\^$|?*+()[\]{}/]|[.*+?|()[\]^])*$/;
const UNPORTABLE = /\[\[|\(\?|\[\]|\[\^\]/;
const portable = (pattern: string) => PORTABLE_REGEX.test(pattern) && !UNPORTABLE.test(pattern);

/**
 * A read-through view of a metric store for one rule-evaluation round: the
 * series of each metric the rules read are loaded from the store once, over
 * the widest window any rule needs, and every selector is then answered
 * from memory — one store query per metric instead of one per rule.
 * Selectors it cannot answer from memory (no metric name, a regex outside
 * the syntax JavaScript and RE2 share) go to the store. Metrics written
 * during the round are dropped from the view so later rules read them anew.
 */
export class SnapshotStore implements MetricStore {
  private readonly store: MetricStore;
  private readonly maxSamples: number;
  private loaded = new Map<string, Loaded>();
  private samples = 0;

  constructor(store: MetricStore, maxSamples: number) {
    this.store = store;
    this.maxSamples = maxSamples;
  }

  /** Loads each metric over its window (widening a window already loaded); metrics past the sample budget stay unloaded. */
  async load(windows: Map<string, [number, number]>): Promise<void> {
    for (const [name, [from, to]] of windows) {
      const have = this.loaded.get(name);
      if (have !== undefined && have.fromMs <= from && have.toMs >= to) continue;
      const [fromMs, toMs] = have === undefined ? [from, to] : [Math.min(from, have.fromMs), Math.max(to, have.toMs)];
      const series = await this.store.selectSeries([{ name: '__name__', type: '=', value: name }], fromMs, toMs);
      const count = series.reduce((n, s) => n + s.values.length, 0);
      if (have !== undefined) this.forget(name);
      if (this.samples + count > this.maxSamples) continue;
      this.samples += count;
      this.loaded.set(name, { fromMs, toMs, series, indexes: new Map() });
    }
  }

  /** Drops metrics that were written to, and everything when asked (a new round). */
  forget(name?: string): void {
    if (name === undefined) {
      this.loaded = new Map();
      this.samples = 0;
      return;
    }
    const have = this.loaded.get(name);
    if (have === undefined) return;
    this.samples -= have.series.reduce((n, s) => n + s.values.length, 0);
    this.loaded.delete(name);
  }

  async selectSeries(matchers: readonly LabelMatcher[], startMs: number, endMs: number): Promise<SeriesSamples[]> {
    const name = matchers.find((m) => m.name === '__name__' && m.type === '=')?.value;
    let have = name === undefined ? undefined : this.loaded.get(name);
    const rest = matchers.filter((m) => !(m.name === '__name__' && m.type === '='));
    let tests: Array<(labels: Labels) => boolean>;
    try {
      tests = rest.map((m) => matcherTest(m));
    } catch {
      tests = [];
      have = undefined; // a pattern JavaScript cannot compile: the store says what it means
    }
    if (have === undefined || have.fromMs > startMs || have.toMs < endMs || !rest.every((m) => m.type === '=' || m.type === '!=' || portable(m.value))) {
      return this.store.selectSeries(matchers, startMs, endMs);
    }
    // The narrowest '=' matcher's index gives the candidates; the other matchers filter them.
    let candidates = have.series;
    for (const m of rest) {
      if (m.type !== '=') continue;
      const list = this.index(have, m.name).get(m.value) ?? [];
      if (list.length < candidates.length) candidates = list;
    }
    const out: SeriesSamples[] = [];
    for (const s of candidates) {
      if (!tests.every((test) => test(s.labels))) continue;
      const first = lowerBound(s.timestampsMs, startMs);
      const end = lowerBound(s.timestampsMs, endMs + 1);
      if (first >= end) continue;
      if (first === 0 && end === s.timestampsMs.length) out.push(s);
      else out.push({ labels: s.labels, timestampsMs: s.timestampsMs.slice(first, end), values: s.values.slice(first, end), ...(s.stale !== undefined && { stale: s.stale.slice(first, end) }) });
    }
    return out;
  }

  private index(have: Loaded, label: string): Map<string, SeriesSamples[]> {
    let index = have.indexes.get(label);
    if (index === undefined) {
      index = new Map();
      for (const s of have.series) {
        const v = s.labels[label] ?? '';
        let list = index.get(v);
        if (list === undefined) index.set(v, (list = []));
        list.push(s);
      }
      have.indexes.set(label, index);
    }
    return index;
  }

  appendSamples(samples: readonly MetricSample[], metadata?: readonly MetricMetadata[]): Promise<void> {
    return this.store.appendSamples(samples, metadata);
  }

  selectExemplars(matchers: readonly LabelMatcher[], startMs: number, endMs: number): Promise<SeriesExemplars[]> {
    return this.store.selectExemplars(matchers, startMs, endMs);
  }

  seriesLabels(): Promise<Labels[]> {
    return this.store.seriesLabels();
  }

  labelNames(matchers: readonly LabelMatcher[]): Promise<string[]> {
    return this.store.labelNames(matchers);
  }

  labelValues(name: string, matchers: readonly LabelMatcher[]): Promise<string[]> {
    return this.store.labelValues(name, matchers);
  }

  metadata(): Promise<MetricMetadata[]> {
    return this.store.metadata();
  }

  deleteBefore(timeMs: number): Promise<number> {
    return this.store.deleteBefore(timeMs);
  }
}

/** A label matcher as a test on a label set; a missing label is the empty string, as in Prometheus. */
function matcherTest(m: LabelMatcher): (labels: Labels) => boolean {
  switch (m.type) {
    case '=':
      return (l) => (l[m.name] ?? '') === m.value;
    case '!=':
      return (l) => (l[m.name] ?? '') !== m.value;
    default: {
      // `u`: `.` is one code point, as in RE2, not one UTF-16 unit.
      const re = new RegExp(`^(?:${m.value})$`, 'su');
      return m.type === '=~' ? (l) => re.test(l[m.name] ?? '') : (l) => !re.test(l[m.name] ?? '');
    }
  }
}

function lowerBound(values: readonly number[], target: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid]! < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
