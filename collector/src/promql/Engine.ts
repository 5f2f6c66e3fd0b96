import type { Labels } from '../model/metric.ts';
import { isStaleNaN } from '../model/metric.ts';
import type { MetricStore, SeriesSamples } from '../store/types.ts';
import { DATE, MATH, OVER_TIME, bucketQuantile, dropName, expandTemplate, extrapolatedRate, formatFloat, instantValue, linearRegression, quantile, welford, type RangeSeries, type Sample } from './functions.ts';
import { PromQLError, type At, type BinaryExpr, type Expr, type VectorSelector } from './ast.ts';

/** The result of evaluating an expression at one time. */
export type Value = { type: 'scalar'; value: number } | { type: 'string'; value: string } | { type: 'vector'; samples: Sample[] } | { type: 'matrix'; series: RangeSeries[] };

/** Limits of one query; each refusal names its limit. */
export interface QueryLimits {
  /** Longest evaluation, ms. */
  timeoutMs: number;
  /** Samples loaded from the store at most, all selectors together. */
  maxSamples: number;
  /** PromQL's lookback for instant selectors, ms. */
  lookbackMs: number;
}

export const DEFAULT_QUERY_LIMITS: QueryLimits = { timeoutMs: 120_000, maxSamples: 50_000_000, lookbackMs: 300_000 };

/** A query that ran past a limit: Prometheus' `timeout` or `execution` error types. */
export class QueryLimitError extends Error {
  readonly errorType: 'timeout' | 'execution';
  constructor(errorType: 'timeout' | 'execution', message: string) {
    super(message);
    this.errorType = errorType;
  }
}

// Prometheus drops the metric name for these (shouldDropMetricName): not for atan2, not for comparisons.
const DROPS_NAME = new Set(['+', '-', '*', '/', '%', '^']);
const COMPARISON = new Set(['==', '!=', '>', '<', '>=', '<=']);
/** The identity of a label set less `__name__` and the given labels, cached per label object and list. */
const withoutKeys = new WeakMap<Labels, Map<string, string>>();
function keyWithout(labels: Labels, excluded: readonly string[]): string {
  let byList = withoutKeys.get(labels);
  if (byList === undefined) withoutKeys.set(labels, (byList = new Map()));
  const list = excluded.join('\xff');
  let key = byList.get(list);
  if (key === undefined) {
    key = JSON.stringify(Object.entries(labels).filter(([k]) => k !== '__name__' && !excluded.includes(k)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    byList.set(list, key);
  }
  return key;
}

/** A label set's identity as text; cached per label object, which stay the same across the steps of a query. */
const keys = new WeakMap<Labels, string>();
export function labelsKey(labels: Labels): string {
  let key = keys.get(labels);
  if (key === undefined) {
    key = JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    keys.set(labels, key);
  }
  return key;
}

/**
 * Evaluates parsed PromQL over the metric store, as Prometheus 2.42 does:
 * instant selectors look back 5 minutes (both ends included), range
 * windows include both ends, stale markers end a series, `offset` and `@`
 * shift the selectors. A range query is the instant evaluation at every
 * step. The series each selector needs are loaded once for the whole query.
 */
export class Engine {
  private readonly store: MetricStore;
  private readonly limits: QueryLimits;

  constructor(store: MetricStore, limits: QueryLimits = DEFAULT_QUERY_LIMITS) {
    this.store = store;
    this.limits = limits;
  }

  /** Evaluates at every step from start to end (ms, both included); an instant query has start = end. */
  async evaluate(expr: Expr, startMs: number, endMs: number, stepMs: number): Promise<Value[]> {
    const deadline = Date.now() + this.limits.timeoutMs;
    const data = await this.load(expr, startMs, endMs);
    const run = new Run(data, startMs, endMs, this.limits.lookbackMs);
    const out: Value[] = [];
    for (let t = startMs; t <= endMs; t += stepMs) {
      if (Date.now() > deadline) throw new QueryLimitError('timeout', `query timed out in expression evaluation (limit query.timeout ${this.limits.timeoutMs} ms)`);
      out.push(run.eval(expr, t));
    }
    return out;
  }

  /** Fetches, for every selector, its series over the widest window any step needs. */
  private async load(expr: Expr, startMs: number, endMs: number): Promise<Map<VectorSelector, SeriesSamples[]>> {
    const windows = new Map<VectorSelector, [number, number]>();
    const visit = (e: Expr, extraRange: number, shift: number) => {
      switch (e.kind) {
        case 'vector':
        case 'matrix': {
          const vs = e.kind === 'vector' ? e : e.vector;
          const range = e.kind === 'matrix' ? e.rangeMs : this.limits.lookbackMs;
          const [from, to] = vs.at === null ? [startMs - shift, endMs] : [atTime(vs.at, startMs, endMs, 0), atTime(vs.at, startMs, endMs, 0)];
          windows.set(vs, [from - extraRange - range - vs.offsetMs, to - vs.offsetMs]);
          return;
        }
        case 'subquery':
          visit(e.expr, extraRange + e.rangeMs + (e.stepMs ?? 60_000), shift + e.offsetMs);
          return;
        case 'unary':
          visit(e.expr, extraRange, shift);
          return;
        case 'binary':
          visit(e.lhs, extraRange, shift);
          visit(e.rhs, extraRange, shift);
          return;
        case 'aggregate':
          visit(e.expr, extraRange, shift);
          if (e.param !== null) visit(e.param, extraRange, shift);
          return;
        case 'call':
          for (const a of e.args) visit(a, extraRange, shift);
          return;
        default:
      }
    };
    visit(expr, 0, 0);
    const data = new Map<VectorSelector, SeriesSamples[]>();
    let loaded = 0;
    for (const [vs, [from, to]] of windows) {
      const series = await this.store.selectSeries(vs.matchers, from, to);
      for (const s of series) loaded += s.values.length;
      if (loaded > this.limits.maxSamples) throw new QueryLimitError('execution', `query processing would load too many samples into memory in query execution (limit query.maxSamples ${this.limits.maxSamples})`);
      data.set(vs, series);
    }
    return data;
  }
}

function atTime(at: At, startMs: number, endMs: number, t: number): number {
  if (at === null) return t;
  if (at === 'start') return startMs;
  if (at === 'end') return endMs;
  return at;
}

/** A loaded series for range selectors: times and values as typed arrays, 1 where a stale marker stands. */
interface TypedSeries {
  labels: Labels;
  t: Float64Array;
  v: Float64Array;
  stale: Uint8Array | null;
}

/** Index of the last element of sorted `ts` that is ≤ t, or -1. */
function lastAtOrBefore(ts: ArrayLike<number>, t: number): number {
  let lo = 0;
  let hi = ts.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (ts[mid]! <= t) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** One query's evaluation state: the loaded series and the query's bounds (for `@ start()`/`end()`). */
class Run {
  private readonly data: Map<VectorSelector, SeriesSamples[]>;
  private readonly startMs: number;
  private readonly endMs: number;
  private readonly lookbackMs: number;
  private readonly typedData = new Map<VectorSelector, TypedSeries[]>();

  constructor(data: Map<VectorSelector, SeriesSamples[]>, startMs: number, endMs: number, lookbackMs: number) {
    this.data = data;
    this.startMs = startMs;
    this.endMs = endMs;
    this.lookbackMs = lookbackMs;
  }

  eval(e: Expr, t: number): Value {
    switch (e.kind) {
      case 'number':
        return { type: 'scalar', value: e.value };
      case 'string':
        return { type: 'string', value: e.value };
      case 'vector':
        return { type: 'vector', samples: this.instant(e, t) };
      case 'matrix':
        return { type: 'matrix', series: this.range(e.vector, e.rangeMs, t) };
      case 'subquery':
        return { type: 'matrix', series: this.subquery(e, t) };
      case 'unary': {
        const v = this.eval(e.expr, t);
        if (!e.negate) return v;
        if (v.type === 'scalar') return { type: 'scalar', value: -v.value };
        if (v.type === 'vector') return { type: 'vector', samples: v.samples.map((s) => ({ labels: dropName(s.labels), value: -s.value, t })) };
        return v;
      }
      case 'binary':
        return this.binary(e, t);
      case 'aggregate':
        return { type: 'vector', samples: this.aggregate(e, t) };
      case 'call':
        return this.call(e, t);
    }
  }

  private vector(e: Expr, t: number): Sample[] {
    const v = this.eval(e, t);
    return v.type === 'vector' ? v.samples : [];
  }

  private scalar(e: Expr, t: number): number {
    const v = this.eval(e, t);
    return v.type === 'scalar' ? v.value : NaN;
  }

  private matrix(e: Expr, t: number): { series: RangeSeries[]; startMs: number; endMs: number; rangeMs: number } {
    if (e.kind === 'matrix') {
      const ref = atTime(e.vector.at, this.startMs, this.endMs, t) - e.vector.offsetMs;
      return { series: this.range(e.vector, e.rangeMs, t), startMs: ref - e.rangeMs, endMs: ref, rangeMs: e.rangeMs };
    }
    if (e.kind === 'subquery') {
      const ref = atTime(e.at, this.startMs, this.endMs, t) - e.offsetMs;
      return { series: this.subquery(e, t), startMs: ref - e.rangeMs, endMs: ref, rangeMs: e.rangeMs };
    }
    throw new PromQLError('expected a range vector');
  }

  private instant(vs: VectorSelector, t: number): Sample[] {
    const ref = atTime(vs.at, this.startMs, this.endMs, t) - vs.offsetMs;
    const out: Sample[] = [];
    for (const s of this.data.get(vs) ?? []) {
      const i = lastAtOrBefore(s.timestampsMs, ref);
      if (i < 0 || s.timestampsMs[i]! < ref - this.lookbackMs || isStaleNaN(s.values[i]!)) continue;
      out.push({ labels: s.labels, value: s.values[i]!, t: s.timestampsMs[i]! });
    }
    return out;
  }

  private range(vs: VectorSelector, rangeMs: number, t: number): RangeSeries[] {
    const ref = atTime(vs.at, this.startMs, this.endMs, t) - vs.offsetMs;
    const out: RangeSeries[] = [];
    for (const s of this.typed(vs)) {
      const last = lastAtOrBefore(s.t, ref);
      if (last < 0) continue;
      const first = lastAtOrBefore(s.t, ref - rangeMs - 1) + 1;
      if (first > last) continue;
      if (s.stale === null) {
        // Views, not copies: a step costs two binary searches per series.
        out.push({ labels: s.labels, t: s.t.subarray(first, last + 1), v: s.v.subarray(first, last + 1) });
        continue;
      }
      // Stale markers are not samples of a range.
      const ts: number[] = [];
      const values: number[] = [];
      for (let i = first; i <= last; i++) {
        if (s.stale[i] === 1) continue;
        ts.push(s.t[i]!);
        values.push(s.v[i]!);
      }
      if (ts.length > 0) out.push({ labels: s.labels, t: ts, v: values });
    }
    return out;
  }

  /** A selector's series as typed arrays, with where their stale markers are (null when none), made once per query. */
  private typed(vs: VectorSelector): TypedSeries[] {
    let series = this.typedData.get(vs);
    if (series === undefined) {
      series = (this.data.get(vs) ?? []).map((s) => {
        let stale: Uint8Array | null = null;
        for (let i = 0; i < s.values.length; i++) {
          if (!isStaleNaN(s.values[i]!)) continue;
          stale ??= new Uint8Array(s.values.length);
          stale[i] = 1;
        }
        return { labels: s.labels, t: Float64Array.from(s.timestampsMs), v: Float64Array.from(s.values), stale };
      });
      this.typedData.set(vs, series);
    }
    return series;
  }

  private subquery(e: Extract<Expr, { kind: 'subquery' }>, t: number): RangeSeries[] {
    const ref = atTime(e.at, this.startMs, this.endMs, t) - e.offsetMs;
    const step = e.stepMs ?? 60_000;
    let first = ref - e.rangeMs;
    first = Math.ceil(first / step) * step;
    const bySeries = new Map<string, { labels: Labels; t: number[]; v: number[] }>();
    for (let at = first; at <= ref; at += step) {
      for (const s of this.vector(e.expr, at)) {
        const key = labelsKey(s.labels);
        let series = bySeries.get(key);
        if (series === undefined) bySeries.set(key, (series = { labels: s.labels, t: [], v: [] }));
        series.t.push(at);
        series.v.push(s.value);
      }
    }
    return [...bySeries.values()];
  }

  private binary(e: BinaryExpr, t: number): Value {
    const l = this.eval(e.lhs, t);
    const r = this.eval(e.rhs, t);
    if (l.type === 'scalar' && r.type === 'scalar') {
      const v = operate(e.op, l.value, r.value);
      return { type: 'scalar', value: COMPARISON.has(e.op) ? (v ? 1 : 0) : (v as number) };
    }
    if (l.type === 'vector' && r.type === 'vector') return { type: 'vector', samples: this.vectorBinary(e, l.samples, r.samples, t) };
    const vector = l.type === 'vector' ? l.samples : (r as { samples: Sample[] }).samples;
    const scalar = l.type === 'scalar' ? l.value : (r as { value: number }).value;
    const out: Sample[] = [];
    for (const s of vector) {
      const [a, b] = l.type === 'vector' ? [s.value, scalar] : [scalar, s.value];
      const result = operate(e.op, a, b);
      if (COMPARISON.has(e.op)) {
        if (e.bool) out.push({ labels: dropName(s.labels), value: result ? 1 : 0, t });
        else if (result) out.push({ labels: s.labels, value: s.value, t });
      } else out.push({ labels: DROPS_NAME.has(e.op) ? dropName(s.labels) : s.labels, value: result as number, t });
    }
    return { type: 'vector', samples: out };
  }

  private vectorBinary(e: BinaryExpr, lhs: Sample[], rhs: Sample[], t: number): Sample[] {
    const m = e.matching ?? { on: false, labels: [], card: 'one-to-one' as const, include: [] };
    const signature = (labels: Labels) => (m.on ? m.labels.map((n) => labels[n] ?? '').join('\xff') : keyWithout(labels, m.labels));
    if (e.op === 'and' || e.op === 'unless') {
      const right = new Set(rhs.map((s) => signature(s.labels)));
      return lhs.filter((s) => right.has(signature(s.labels)) === (e.op === 'and'));
    }
    if (e.op === 'or') {
      const left = new Set(lhs.map((s) => signature(s.labels)));
      return [...lhs, ...rhs.filter((s) => !left.has(signature(s.labels)))];
    }
    // One side is the "one" side; for one-to-many the sides swap, and swap back for the operation.
    const swapped = m.card === 'one-to-many';
    const [many, one] = swapped ? [rhs, lhs] : [lhs, rhs];
    const ones = new Map<string, Sample>();
    for (const s of one) {
      const sig = signature(s.labels);
      if (ones.has(sig)) {
        throw new PromQLError(`found duplicate series for the match group ${sig} on the ${swapped ? 'left' : 'right'} hand-side of the operation: many-to-many matching not allowed: matching labels must be unique on one side`);
      }
      ones.set(sig, s);
    }
    const out: Sample[] = [];
    const seen = new Set<string>();
    const manySeen = new Set<string>();
    for (const s of many) {
      const sig = signature(s.labels);
      const match = ones.get(sig);
      if (match === undefined) continue;
      if (m.card === 'one-to-one') {
        if (manySeen.has(sig)) throw new PromQLError('multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)');
        manySeen.add(sig);
      }
      const [lv, rv] = swapped ? [match.value, s.value] : [s.value, match.value];
      const result = operate(e.op, lv, rv);
      const comparison = COMPARISON.has(e.op);
      if (comparison && !e.bool && !result) continue;
      let labels: Labels = { ...s.labels };
      if (DROPS_NAME.has(e.op) || e.bool) delete labels.__name__;
      if (m.card === 'one-to-one') {
        if (m.on) labels = Object.fromEntries(Object.entries(labels).filter(([k]) => m.labels.includes(k)));
        else for (const n of m.labels) delete labels[n];
      }
      for (const n of m.include) {
        const v = match.labels[n];
        if (v !== undefined && v !== '') labels[n] = v;
        else delete labels[n];
      }
      const key = labelsKey(labels);
      if (seen.has(key)) throw new PromQLError('multiple matches for labels: grouping labels must ensure unique matches');
      seen.add(key);
      // A comparison keeps the value of the original left-hand side.
      out.push({ labels, value: comparison ? (e.bool ? (result ? 1 : 0) : lv) : (result as number), t });
    }
    return out;
  }

  private aggregate(e: Extract<Expr, { kind: 'aggregate' }>, t: number): Sample[] {
    const input = this.vector(e.expr, t);
    const groupLabels = (labels: Labels): Labels => {
      if (e.without) {
        const out: Labels = {};
        for (const [k, v] of Object.entries(labels)) if (k !== '__name__' && !e.grouping.includes(k)) out[k] = v;
        return out;
      }
      const out: Labels = {};
      for (const n of e.grouping) if (labels[n] !== undefined && labels[n] !== '') out[n] = labels[n];
      return out;
    };
    const groups = new Map<string, { labels: Labels; samples: Sample[] }>();
    for (const s of input) {
      // The group's key straight from the sample's labels; its label set is built once per group.
      const key = e.without ? keyWithout(s.labels, e.grouping) : e.grouping.map((n) => s.labels[n] ?? '').join('\xff');
      let g = groups.get(key);
      if (g === undefined) groups.set(key, (g = { labels: groupLabels(s.labels), samples: [] }));
      g.samples.push(s);
    }
    const out: Sample[] = [];
    if (e.op === 'topk' || e.op === 'bottomk') {
      const k = Math.floor(this.scalar(e.param!, t));
      if (k < 1) return [];
      for (const g of groups.values()) {
        const sorted = [...g.samples].sort((a, b) => {
          // NaN sorts last for both.
          if (Number.isNaN(a.value)) return 1;
          if (Number.isNaN(b.value)) return -1;
          return e.op === 'topk' ? b.value - a.value : a.value - b.value;
        });
        for (const s of sorted.slice(0, k)) out.push({ labels: s.labels, value: s.value, t });
      }
      return out;
    }
    if (e.op === 'count_values') {
      const label = (this.eval(e.param!, t) as { value: string }).value;
      if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(label)) throw new PromQLError(`invalid label name ${JSON.stringify(label)}`);
      const counts = new Map<string, Sample>();
      for (const s of input) {
        const labels = { ...groupLabels(s.labels), [label]: formatFloat(s.value) };
        const key = labelsKey(labels);
        const c = counts.get(key);
        if (c === undefined) counts.set(key, { labels, value: 1, t });
        else c.value++;
      }
      return [...counts.values()];
    }
    const q = e.op === 'quantile' ? this.scalar(e.param!, t) : NaN;
    for (const g of groups.values()) {
      const values = g.samples.map((s) => s.value);
      let value: number;
      switch (e.op) {
        case 'sum':
          value = values.reduce((a, b) => a + b, 0);
          break;
        case 'avg': {
          let mean = 0;
          let count = 0;
          for (const v of values) {
            count++;
            if (!Number.isFinite(mean) && !Number.isNaN(mean) && (Number.isFinite(v) || (v > 0) === (mean > 0))) continue;
            mean += v / count - mean / count;
          }
          value = mean;
          break;
        }
        case 'count':
          value = values.length;
          break;
        case 'min':
          value = values.reduce((m, v) => (v < m || Number.isNaN(m) ? v : m), values[0]!);
          break;
        case 'max':
          value = values.reduce((m, v) => (v > m || Number.isNaN(m) ? v : m), values[0]!);
          break;
        case 'group':
          value = 1;
          break;
        case 'stddev':
          value = Math.sqrt(welford(values)[1]);
          break;
        case 'stdvar':
          value = welford(values)[1];
          break;
        case 'quantile':
          value = quantile(q, values);
          break;
        default:
          throw new PromQLError(`unsupported aggregation ${JSON.stringify(e.op)}`);
      }
      out.push({ labels: g.labels, value, t });
    }
    return out;
  }

  private call(e: Extract<Expr, { kind: 'call' }>, t: number): Value {
    const name = e.name;
    const vec = (samples: Sample[]): Value => ({ type: 'vector', samples });
    const map = (f: (v: number) => number, keepName = false) => vec(this.vector(e.args[0]!, t).map((s) => ({ labels: keepName ? s.labels : dropName(s.labels), value: f(s.value), t })));
    if (MATH[name] !== undefined) return map(MATH[name]);
    if (OVER_TIME[name] !== undefined) {
      const { series } = this.matrix(e.args[0]!, t);
      const out: Sample[] = [];
      for (const s of series) {
        const v = OVER_TIME[name](s);
        if (v !== null) out.push({ labels: name === 'last_over_time' ? s.labels : dropName(s.labels), value: v, t });
      }
      return vec(out);
    }
    switch (name) {
      case 'rate':
      case 'increase':
      case 'delta': {
        const m = this.matrix(e.args[0]!, t);
        const out: Sample[] = [];
        for (const s of m.series) {
          const v = extrapolatedRate(s, m, name !== 'delta', name === 'rate');
          if (v !== null) out.push({ labels: dropName(s.labels), value: v, t });
        }
        return vec(out);
      }
      case 'irate':
      case 'idelta': {
        const out: Sample[] = [];
        for (const s of this.matrix(e.args[0]!, t).series) {
          const v = instantValue(s, name === 'irate');
          if (v !== null) out.push({ labels: dropName(s.labels), value: v, t });
        }
        return vec(out);
      }
      case 'deriv':
      case 'predict_linear': {
        const m = this.matrix(e.args[0]!, t);
        const ahead = name === 'predict_linear' ? this.scalar(e.args[1]!, t) : 0;
        const out: Sample[] = [];
        for (const s of m.series) {
          if (s.v.length < 2) continue;
          // deriv: the slope from the first point; predict_linear: the line through the evaluation time.
          const [slope, intercept] = linearRegression(s, name === 'deriv' ? s.t[0]! : t);
          out.push({ labels: dropName(s.labels), value: name === 'deriv' ? slope : slope * ahead + intercept, t });
        }
        return vec(out);
      }
      case 'quantile_over_time': {
        const q = this.scalar(e.args[0]!, t);
        return vec(this.matrix(e.args[1]!, t).series.map((s) => ({ labels: dropName(s.labels), value: quantile(q, s.v), t })));
      }
      case 'holt_winters': {
        const sf = this.scalar(e.args[1]!, t);
        const tf = this.scalar(e.args[2]!, t);
        if (sf <= 0 || sf >= 1) throw new PromQLError(`invalid smoothing factor. Expected: 0 < sf < 1, got: ${sf}`);
        if (tf <= 0 || tf >= 1) throw new PromQLError(`invalid trend factor. Expected: 0 < tf < 1, got: ${tf}`);
        const out: Sample[] = [];
        for (const s of this.matrix(e.args[0]!, t).series) {
          if (s.v.length < 2) continue;
          // Prometheus 2.42's double exponential smoothing (funcHoltWinters), step for step.
          let s0 = 0;
          let s1 = s.v[0]!;
          let trend = s.v[1]! - s.v[0]!;
          for (let i = 1; i < s.v.length; i++) {
            const x = sf * s.v[i]!;
            if (i - 1 !== 0) trend = tf * (s1 - s0) + (1 - tf) * trend;
            const y = (1 - sf) * (s1 + trend);
            s0 = s1;
            s1 = x + y;
          }
          out.push({ labels: dropName(s.labels), value: s1, t });
        }
        return vec(out);
      }
      case 'absent_over_time':
      case 'absent': {
        const present = name === 'absent' ? this.vector(e.args[0]!, t).length > 0 : this.matrix(e.args[0]!, t).series.length > 0;
        if (present) return vec([]);
        const arg = e.args[0]!;
        const selector = arg.kind === 'vector' ? arg : arg.kind === 'matrix' ? arg.vector : null;
        const labels: Labels = {};
        if (selector !== null) {
          const counts = new Map<string, number>();
          for (const m of selector.matchers) counts.set(m.name, (counts.get(m.name) ?? 0) + 1);
          for (const m of selector.matchers) if (m.type === '=' && m.name !== '__name__' && counts.get(m.name) === 1) labels[m.name] = m.value;
        }
        return vec([{ labels, value: 1, t }]);
      }
      case 'histogram_quantile': {
        const q = this.scalar(e.args[0]!, t);
        const groups = new Map<string, { labels: Labels; buckets: Array<{ upperBound: number; count: number }> }>();
        for (const s of this.vector(e.args[1]!, t)) {
          const le = Number(s.labels.le === '+Inf' ? Infinity : s.labels.le);
          if (s.labels.le === undefined || Number.isNaN(le)) continue;
          const { le: _le, ...rest } = dropName(s.labels);
          const key = labelsKey(rest);
          let g = groups.get(key);
          if (g === undefined) groups.set(key, (g = { labels: rest, buckets: [] }));
          g.buckets.push({ upperBound: le, count: s.value });
        }
        return vec([...groups.values()].map((g) => ({ labels: g.labels, value: bucketQuantile(q, g.buckets), t })));
      }
      case 'round': {
        const to = e.args[1] === undefined ? 1 : this.scalar(e.args[1], t);
        const inverse = 1 / to;
        return map((v) => Math.floor(v * inverse + 0.5) / inverse);
      }
      case 'clamp':
      case 'clamp_min':
      case 'clamp_max': {
        const lo = name === 'clamp_max' ? -Infinity : this.scalar(e.args[1]!, t);
        const hi = name === 'clamp' ? this.scalar(e.args[2]!, t) : name === 'clamp_max' ? this.scalar(e.args[1]!, t) : Infinity;
        if (name === 'clamp' && hi < lo) return vec([]);
        return map((v) => (Number.isNaN(v) ? v : Math.max(lo, Math.min(hi, v))));
      }
      case 'timestamp':
        return vec(this.vector(e.args[0]!, t).map((s) => ({ labels: dropName(s.labels), value: s.t / 1000, t })));
      case 'sort':
      case 'sort_desc': {
        const samples = [...this.vector(e.args[0]!, t)].sort((a, b) => (name === 'sort' ? a.value - b.value : b.value - a.value));
        return vec(samples);
      }
      case 'label_replace': {
        const [dst, replacement, src, regex] = e.args.slice(1).map((a) => (this.eval(a, t) as { value: string }).value) as [string, string, string, string];
        let re: RegExp;
        try {
          re = new RegExp(`^(?:${regex})$`, 's');
        } catch {
          throw new PromQLError(`invalid regular expression in label_replace(): ${regex}`);
        }
        if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(dst)) throw new PromQLError(`invalid destination label name in label_replace(): ${dst}`);
        const out = this.vector(e.args[0]!, t).map((s) => {
          const match = re.exec(s.labels[src] ?? '');
          if (match === null) return s;
          const value = expandTemplate(replacement, match);
          const labels = { ...s.labels };
          if (value === '') delete labels[dst];
          else labels[dst] = value;
          return { ...s, labels };
        });
        return vec(out);
      }
      case 'label_join': {
        const [dst, separator, ...sources] = e.args.slice(1).map((a) => (this.eval(a, t) as { value: string }).value) as [string, string, ...string[]];
        return vec(this.vector(e.args[0]!, t).map((s) => {
          const value = sources.map((n) => s.labels[n] ?? '').join(separator);
          const labels = { ...s.labels };
          if (value === '') delete labels[dst];
          else labels[dst] = value;
          return { ...s, labels };
        }));
      }
      case 'scalar': {
        const v = this.vector(e.args[0]!, t);
        return { type: 'scalar', value: v.length === 1 ? v[0]!.value : NaN };
      }
      case 'vector':
        return vec([{ labels: {}, value: this.scalar(e.args[0]!, t), t }]);
      case 'time':
        return { type: 'scalar', value: t / 1000 };
      case 'pi':
        return { type: 'scalar', value: Math.PI };
      default:
        if (DATE[name] !== undefined) {
          const samples = e.args.length === 0 ? [{ labels: {}, value: t / 1000, t }] : this.vector(e.args[0]!, t);
          return vec(samples.map((s) => ({ labels: dropName(s.labels), value: DATE[name]!(new Date(s.value * 1000)), t })));
        }
        throw new PromQLError(`unknown function ${JSON.stringify(name)}`);
    }
  }
}

function operate(op: string, a: number, b: number): number | boolean {
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      return a / b;
    case '%':
      return a % b;
    case '^':
      return a ** b;
    case 'atan2':
      return Math.atan2(a, b);
    case '==':
      return a === b;
    case '!=':
      return a !== b;
    case '>':
      return a > b;
    case '<':
      return a < b;
    case '>=':
      return a >= b;
    case '<=':
      return a <= b;
    default:
      throw new PromQLError(`unsupported operator ${JSON.stringify(op)}`);
  }
}

