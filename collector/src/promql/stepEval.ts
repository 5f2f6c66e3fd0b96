import type { Labels } from '../model/metric.ts';
import { isStaleAt, type SeriesSamples } from '../store/types.ts';
import type { Expr, VectorSelector } from './ast.ts';
import { bucketOf, bucketQuantile, dropName, extrapolatedRateIn, instantValue, OVER_TIME, type Numbers, type RangeSeries } from './functions.ts';
import { keyWithout, labelsKey } from './Engine.ts';

/** An instant vector's series over every step of a range query: its value at each step, and whether it has one. */
export interface StepSeries {
  labels: Labels;
  values: Float64Array;
  present: Uint8Array;
}

/** What a step evaluation reads: the loaded series of each selector, the step times, the lookback. */
export interface StepContext {
  data: Map<VectorSelector, SeriesSamples[]>;
  steps: Float64Array;
  lookbackMs: number;
}

const RATE_FUNCTIONS = new Set(['rate', 'increase', 'delta', 'irate', 'idelta']);
const AGGREGATIONS = new Set(['sum', 'avg', 'count', 'min', 'max', 'group']);

/**
 * Range queries evaluated a whole series at a time instead of a whole step
 * at a time, for the shapes dashboards and alert rules are made of:
 * selectors, the rate family and `*_over_time` of a range selector,
 * `sum`/`avg`/`count`/`min`/`max`/`group` by or without labels, and
 * `histogram_quantile`. A window slides along each series once (two moving
 * indexes instead of two binary searches per step), and no sample object is
 * made per step. Each computation is the per-step engine's own function,
 * applied in the same order, so the answers are the same to the bit; any
 * other expression returns null and is evaluated step by step.
 */
export function stepEval(e: Expr, ctx: StepContext): StepSeries[] | null {
  switch (e.kind) {
    case 'vector':
      return e.at === null ? selectorSteps(e, ctx) : null;
    case 'call':
      return callSteps(e, ctx);
    case 'aggregate':
      return AGGREGATIONS.has(e.op) && e.param === null ? aggregateSteps(e, ctx) : null;
    default:
      return null;
  }
}

function selectorSteps(vs: VectorSelector, ctx: StepContext): StepSeries[] {
  const { steps, lookbackMs } = ctx;
  const out: StepSeries[] = [];
  for (const s of ctx.data.get(vs) ?? []) {
    const values = new Float64Array(steps.length);
    const present = new Uint8Array(steps.length);
    const ts = s.timestampsMs;
    let i = -1;
    let any = false;
    for (let k = 0; k < steps.length; k++) {
      const ref = steps[k]! - vs.offsetMs;
      while (i + 1 < ts.length && ts[i + 1]! <= ref) i++;
      if (i < 0 || ts[i]! < ref - lookbackMs || isStaleAt(s, i)) continue;
      values[k] = s.values[i]!;
      present[k] = 1;
      any = true;
    }
    if (any) out.push({ labels: s.labels, values, present });
  }
  return out;
}

/** A series' samples without its stale markers (they are not samples of a range). */
function rangePoints(s: SeriesSamples): { t: Numbers; v: Numbers } {
  let stale = 0;
  for (let i = 0; i < s.values.length; i++) if (isStaleAt(s, i)) stale++;
  if (stale === 0) return { t: s.timestampsMs, v: s.values };
  const t = new Float64Array(s.values.length - stale);
  const v = new Float64Array(s.values.length - stale);
  let j = 0;
  for (let i = 0; i < s.values.length; i++) {
    if (isStaleAt(s, i)) continue;
    t[j] = s.timestampsMs[i]!;
    v[j++] = s.values[i]!;
  }
  return { t, v };
}

function callSteps(e: Extract<Expr, { kind: 'call' }>, ctx: StepContext): StepSeries[] | null {
  if (e.name === 'histogram_quantile') {
    const q = e.args[0]!;
    if (q.kind !== 'number') return null;
    const input = stepEval(e.args[1]!, ctx);
    return input === null ? null : quantileSteps(q.value, input, ctx.steps.length);
  }
  const over = OVER_TIME[e.name];
  if (!RATE_FUNCTIONS.has(e.name) && over === undefined) return null;
  const arg = e.args[0];
  if (arg?.kind !== 'matrix' || arg.vector.at !== null || e.args.length !== 1) return null;
  const { rangeMs } = arg;
  const { offsetMs } = arg.vector;
  const steps = ctx.steps;
  const out: StepSeries[] = [];
  const keys = new Set<string>();
  for (const s of ctx.data.get(arg.vector) ?? []) {
    const { t, v } = rangePoints(s);
    // A series without a counter reset anywhere needs no look for one in each window.
    let resets = false;
    for (let i = 1; i < v.length && !resets; i++) resets = v[i]! < v[i - 1]!;
    const labels = e.name === 'last_over_time' ? s.labels : dropName(s.labels);
    const values = new Float64Array(steps.length);
    const present = new Uint8Array(steps.length);
    let first = 0;
    let last = -1;
    let any = false;
    for (let k = 0; k < steps.length; k++) {
      const ref = steps[k]! - offsetMs;
      // The window is [ref - range, ref], both ends included (Prometheus 2.42).
      while (last + 1 < t.length && t[last + 1]! <= ref) last++;
      while (first < t.length && t[first]! < ref - rangeMs) first++;
      if (last < first) continue;
      let value: number | null;
      switch (e.name) {
        case 'rate':
        case 'increase':
        case 'delta':
          value = extrapolatedRateIn(t, v, first, last, ref - rangeMs, ref, e.name !== 'delta', e.name === 'rate', resets);
          break;
        case 'irate':
        case 'idelta':
          value = instantValue(view(labels, t, v, first, last), e.name === 'irate');
          break;
        default:
          value = over!(view(labels, t, v, first, last));
      }
      if (value === null) continue;
      values[k] = value;
      present[k] = 1;
      any = true;
    }
    if (!any) continue;
    // Two series that differ only by name would collide here; the step-by-step engine says so.
    const key = labelsKey(labels);
    if (keys.has(key)) return null;
    keys.add(key);
    out.push({ labels, values, present });
  }
  return out;
}

function view(labels: Labels, t: Numbers, v: Numbers, first: number, last: number): RangeSeries {
  return { labels, t: t instanceof Float64Array ? t.subarray(first, last + 1) : t.slice(first, last + 1), v: v instanceof Float64Array ? v.subarray(first, last + 1) : v.slice(first, last + 1) };
}

function aggregateSteps(e: Extract<Expr, { kind: 'aggregate' }>, ctx: StepContext): StepSeries[] | null {
  const input = stepEval(e.expr, ctx);
  if (input === null) return null;
  const n = ctx.steps.length;
  // Each input series' group, found once (the step-by-step engine finds it at every step, with the same keys).
  const groups = new Map<string, { labels: Labels; members: StepSeries[] }>();
  for (const s of input) {
    const key = e.without ? keyWithout(s.labels, e.grouping) : e.grouping.map((g) => s.labels[g] ?? '').join('\xff');
    let g = groups.get(key);
    if (g === undefined) groups.set(key, (g = { labels: groupLabels(s.labels, e.grouping, e.without), members: [] }));
    g.members.push(s);
  }
  const out: StepSeries[] = [];
  for (const g of groups.values()) {
    const values = new Float64Array(n);
    const present = new Uint8Array(n);
    for (let k = 0; k < n; k++) {
      let count = 0;
      let acc = 0;
      for (const m of g.members) {
        if (m.present[k] === 0) continue;
        const v = m.values[k]!;
        count++;
        switch (e.op) {
          case 'sum':
            acc += v;
            break;
          case 'avg':
            // The running mean of aggregate.ts, step for step.
            if (count === 1) acc = 0;
            if (!Number.isFinite(acc) && !Number.isNaN(acc) && (Number.isFinite(v) || (v > 0) === (acc > 0))) break;
            acc += v / count - acc / count;
            break;
          case 'min':
            if (count === 1) acc = v;
            acc = v < acc || Number.isNaN(acc) ? v : acc;
            break;
          case 'max':
            if (count === 1) acc = v;
            acc = v > acc || Number.isNaN(acc) ? v : acc;
            break;
          default:
        }
      }
      if (count === 0) continue;
      values[k] = e.op === 'count' ? count : e.op === 'group' ? 1 : acc;
      present[k] = 1;
    }
    out.push({ labels: g.labels, values, present });
  }
  return out;
}

function groupLabels(labels: Labels, grouping: readonly string[], without: boolean): Labels {
  const out: Labels = {};
  if (without) {
    for (const [k, v] of Object.entries(labels)) if (k !== '__name__' && !grouping.includes(k)) out[k] = v;
    return out;
  }
  for (const name of grouping) if (labels[name] !== undefined && labels[name] !== '') out[name] = labels[name];
  return out;
}

function quantileSteps(q: number, input: StepSeries[], n: number): StepSeries[] {
  const groups = new Map<string, { labels: Labels; members: Array<{ le: number; s: StepSeries }> }>();
  for (const s of input) {
    const b = bucketOf(s.labels);
    if (b === null) continue;
    let g = groups.get(b.key);
    if (g === undefined) groups.set(b.key, (g = { labels: b.histogram, members: [] }));
    g.members.push({ le: b.le, s });
  }
  const out: StepSeries[] = [];
  for (const g of groups.values()) {
    const values = new Float64Array(n);
    const present = new Uint8Array(n);
    for (let k = 0; k < n; k++) {
      const buckets: Array<{ upperBound: number; count: number }> = [];
      for (const m of g.members) if (m.s.present[k] === 1) buckets.push({ upperBound: m.le, count: m.s.values[k]! });
      if (buckets.length === 0) continue;
      values[k] = bucketQuantile(q, buckets);
      present[k] = 1;
    }
    out.push({ labels: g.labels, values, present });
  }
  return out;
}
