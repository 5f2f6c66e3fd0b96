import type { Labels } from '../model/metric.ts';
import { isStaleAt, type MetricStore, type SeriesSamples } from '../store/types.ts';
import { evalAggregate } from './aggregate.ts';
import { evalCall } from './calls.ts';
import { dropName, type RangeSeries, type Sample } from './functions.ts';
import { PromQLError, type At, type BinaryExpr, type Expr, type VectorSelector } from './ast.ts';
import { stepEval, type StepSeries } from './stepEval.ts';

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
export function keyWithout(labels: Labels, excluded: readonly string[]): string {
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
    return this.stepByStep(expr, await this.load(expr, startMs, endMs), startMs, endMs, stepMs, deadline);
  }

  /**
   * A range query: a whole series at a time where {@link stepEval} takes the
   * expression (the shapes dashboards use), step by step otherwise.
   */
  async evaluateRange(expr: Expr, startMs: number, endMs: number, stepMs: number): Promise<{ kind: 'series'; series: StepSeries[]; steps: Float64Array } | { kind: 'values'; values: Value[] }> {
    const deadline = Date.now() + this.limits.timeoutMs;
    const data = await this.load(expr, startMs, endMs);
    const steps = new Float64Array(Math.floor((endMs - startMs) / stepMs) + 1).map((_, k) => startMs + k * stepMs);
    const series = stepEval(expr, { data, steps, lookbackMs: this.limits.lookbackMs });
    if (series !== null) return { kind: 'series', series, steps };
    return { kind: 'values', values: this.stepByStep(expr, data, startMs, endMs, stepMs, deadline) };
  }

  private stepByStep(expr: Expr, data: Map<VectorSelector, SeriesSamples[]>, startMs: number, endMs: number, stepMs: number, deadline: number): Value[] {
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
    const windows = selectorWindows(expr, startMs, endMs, this.limits.lookbackMs);
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

/** The time window each selector of an expression needs, for an evaluation from startMs to endMs. */
export function selectorWindows(expr: Expr, startMs: number, endMs: number, lookbackMs: number): Map<VectorSelector, [number, number]> {
  const windows = new Map<VectorSelector, [number, number]>();
  const visit = (e: Expr, extraRange: number, shift: number) => {
    switch (e.kind) {
      case 'vector':
      case 'matrix': {
        const vs = e.kind === 'vector' ? e : e.vector;
        const range = e.kind === 'matrix' ? e.rangeMs : lookbackMs;
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
  return windows;
}

export function atTime(at: At, startMs: number, endMs: number, t: number): number {
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
export class Run {
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
        return { type: 'vector', samples: evalAggregate(this, e, t) };
      case 'call':
        return evalCall(this, e, t);
    }
  }

  /** The instant vector an expression gives at t (empty for other types). */
  vector(e: Expr, t: number): Sample[] {
    const v = this.eval(e, t);
    return v.type === 'vector' ? v.samples : [];
  }

  /** The scalar an expression gives at t (NaN for other types). */
  scalar(e: Expr, t: number): number {
    const v = this.eval(e, t);
    return v.type === 'scalar' ? v.value : NaN;
  }

  /** A range vector at t with its window, for the range functions. */
  matrix(e: Expr, t: number): { series: RangeSeries[]; startMs: number; endMs: number; rangeMs: number } {
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
      if (i < 0 || s.timestampsMs[i]! < ref - this.lookbackMs || isStaleAt(s, i)) continue;
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
        let stale: Uint8Array | null = s.stale ?? null;
        if (s.stale === undefined) {
          for (let i = 0; i < s.values.length; i++) {
            if (!isStaleAt(s, i)) continue;
            stale ??= new Uint8Array(s.values.length);
            stale[i] = 1;
          }
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

