import type { Labels } from '../model/metric.ts';

/** One element of an instant vector: its labels, value, and the time of the sample it came from (ms). */
export interface Sample {
  labels: Labels;
  value: number;
  /** The timestamp of the underlying sample, for `timestamp()`; the evaluation time otherwise. */
  t: number;
}

/** Numbers of a range: a plain array, or a view into a series' typed array (no copy per step). */
export type Numbers = number[] | Float64Array;

/** One series of a range vector: points oldest first. */
export interface RangeSeries {
  labels: Labels;
  t: Numbers;
  v: Numbers;
}

/** Where a range vector's window lies, for the extrapolating functions. */
export interface RangeWindow {
  startMs: number;
  endMs: number;
  rangeMs: number;
}

/** The labels without `__name__`; the same object for the same input, so later steps and keys reuse it. */
const withoutName = new WeakMap<Labels, Labels>();
export const dropName = (labels: Labels): Labels => {
  if (labels.__name__ === undefined) return labels;
  let rest = withoutName.get(labels);
  if (rest === undefined) {
    const { __name__: _name, ...others } = labels;
    rest = others;
    withoutName.set(labels, rest);
  }
  return rest;
};

/** `rate`, `increase` and `delta` as Prometheus 2.42 extrapolates them (promql/functions.go extrapolatedRate). */
export function extrapolatedRate(s: RangeSeries, w: RangeWindow, isCounter: boolean, isRate: boolean): number | null {
  return extrapolatedRateIn(s.t, s.v, 0, s.v.length - 1, w.startMs, w.endMs, isCounter, isRate);
}

/** {@link extrapolatedRate} over the points first..last (both included) of whole arrays, for windows that slide along a series. */
export function extrapolatedRateIn(t: Numbers, v: Numbers, first: number, last: number, startMs: number, endMs: number, isCounter: boolean, isRate: boolean, mayReset = true): number | null {
  const n = last - first + 1;
  if (n < 2) return null;
  let result = v[last]! - v[first]!;
  // mayReset false: the caller knows no value is below the one before it, so the correction below is 0.
  if (isCounter && mayReset) {
    let previous = 0;
    for (let i = first; i <= last; i++) {
      if (v[i]! < previous) result += previous;
      previous = v[i]!;
    }
  }
  let durationToStart = (t[first]! - startMs) / 1000;
  const durationToEnd = (endMs - t[last]!) / 1000;
  const sampledInterval = (t[last]! - t[first]!) / 1000;
  const averageDurationBetweenSamples = sampledInterval / (n - 1);
  if (isCounter && result > 0 && v[first]! >= 0) {
    const durationToZero = sampledInterval * (v[first]! / result);
    if (durationToZero < durationToStart) durationToStart = durationToZero;
  }
  const threshold = averageDurationBetweenSamples * 1.1;
  let extrapolateTo = sampledInterval;
  extrapolateTo += durationToStart < threshold ? durationToStart : averageDurationBetweenSamples / 2;
  extrapolateTo += durationToEnd < threshold ? durationToEnd : averageDurationBetweenSamples / 2;
  result *= extrapolateTo / sampledInterval;
  if (isRate) result /= (endMs - startMs) / 1000;
  return result;
}

/** `irate` and `idelta`: from the last two points. */
export function instantValue(s: RangeSeries, isRate: boolean): number | null {
  const n = s.v.length;
  if (n < 2) return null;
  const last = s.v[n - 1]!;
  const previous = s.v[n - 2]!;
  let result = isRate && last < previous ? last : last - previous;
  if (!isRate) return result;
  const interval = s.t[n - 1]! - s.t[n - 2]!;
  if (interval === 0) return null;
  result /= interval / 1000;
  return result;
}

/** Least-squares slope and intercept of the points, x in seconds from `interceptMs`. */
export function linearRegression(s: RangeSeries, interceptMs: number): [number, number] {
  let n = 0;
  let sumX = 0;
  let sumY = 0;
  let sumXY = 0;
  let sumX2 = 0;
  const initY = s.v[0]!;
  let constY = true;
  for (let i = 0; i < s.v.length; i++) {
    const y = s.v[i]!;
    if (constY && i > 0 && y !== initY) constY = false;
    n++;
    const x = (s.t[i]! - interceptMs) / 1000;
    sumX += x;
    sumY += y;
    sumXY += x * y;
    sumX2 += x * x;
  }
  if (constY) return Number.isFinite(initY) ? [0, initY] : [NaN, NaN];
  const covXY = sumXY - (sumX * sumY) / n;
  const varX = sumX2 - (sumX * sumX) / n;
  const slope = covXY / varX;
  return [slope, sumY / n - (slope * sumX) / n];
}

/** The φ-quantile of values, interpolating linearly as Prometheus' `quantile` does. */
export function quantile(q: number, values: Numbers): number {
  if (values.length === 0 || Number.isNaN(q)) return NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  const rank = q * (n - 1);
  const lower = Math.max(0, Math.floor(rank));
  const upper = Math.min(n - 1, lower + 1);
  const weight = rank - Math.floor(rank);
  return sorted[lower]! * (1 - weight) + sorted[upper]! * weight;
}

/** A classic-histogram bucket's upper bound and the labels (and key) of its histogram; null for a series without a usable `le`. */
export function bucketOf(labels: Labels): { le: number; histogram: Labels; key: string } | null {
  const le = Number(labels.le === '+Inf' ? Infinity : labels.le);
  if (labels.le === undefined || Number.isNaN(le)) return null;
  const { le: _le, ...histogram } = dropName(labels);
  return { le, histogram, key: JSON.stringify(Object.entries(histogram).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) };
}

/** Prometheus' classic-histogram quantile over `le` buckets (promql/quantile.go bucketQuantile, 2.42). */
export function bucketQuantile(q: number, buckets: Array<{ upperBound: number; count: number }>): number {
  if (Number.isNaN(q)) return NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  buckets.sort((a, b) => a.upperBound - b.upperBound);
  if (buckets.length === 0 || buckets.at(-1)!.upperBound !== Infinity) return NaN;
  // Coalesce buckets with the same bound, then make the counts monotonic.
  const merged: Array<{ upperBound: number; count: number }> = [];
  for (const b of buckets) {
    const last = merged.at(-1);
    if (last !== undefined && last.upperBound === b.upperBound) last.count += b.count;
    else merged.push({ ...b });
  }
  let max = -Infinity;
  for (const b of merged) {
    if (b.count > max) max = b.count;
    else if (b.count < max) b.count = max;
  }
  if (merged.length < 2) return NaN;
  const observations = merged.at(-1)!.count;
  if (observations === 0) return NaN;
  let rank = q * observations;
  let b = 0;
  while (b < merged.length - 1 && merged[b]!.count < rank) b++;
  if (b === merged.length - 1) return merged[merged.length - 2]!.upperBound;
  if (b === 0 && merged[0]!.upperBound <= 0) return merged[0]!.upperBound;
  let bucketStart = 0;
  const bucketEnd = merged[b]!.upperBound;
  let count = merged[b]!.count;
  if (b > 0) {
    bucketStart = merged[b - 1]!.upperBound;
    count -= merged[b - 1]!.count;
    rank -= merged[b - 1]!.count;
  }
  return bucketStart + (bucketEnd - bucketStart) * (rank / count);
}

/** Functions of one range vector to one value per series (`*_over_time`, `changes`, `resets`, ...). */
export const OVER_TIME: Record<string, (s: RangeSeries) => number | null> = {
  sum_over_time: (s) => sum(s.v),
  count_over_time: (s) => s.v.length,
  avg_over_time: (s) => {
    let mean = 0;
    let count = 0;
    for (const v of s.v) {
      count++;
      if (Number.isFinite(mean) || Number.isNaN(mean)) {
        mean += v / count - mean / count;
        continue;
      }
      // An infinite mean stays as it is for finite values and for infinities of its sign.
      if ((Number.isFinite(v) && !Number.isNaN(v)) || (v > 0) === (mean > 0)) continue;
      mean += v / count - mean / count;
    }
    return mean;
  },
  min_over_time: (s) => extreme(s.v, (v, m) => v < m),
  max_over_time: (s) => extreme(s.v, (v, m) => v > m),
  last_over_time: (s) => s.v[s.v.length - 1]!,
  present_over_time: () => 1,
  stdvar_over_time: (s) => welford(s.v)[1],
  stddev_over_time: (s) => Math.sqrt(welford(s.v)[1]),
  changes: (s) => {
    let changes = 0;
    for (let i = 1; i < s.v.length; i++) if (s.v[i] !== s.v[i - 1] && !(Number.isNaN(s.v[i]!) && Number.isNaN(s.v[i - 1]!))) changes++;
    return changes;
  },
  resets: (s) => {
    let resets = 0;
    for (let i = 1; i < s.v.length; i++) if (s.v[i]! < s.v[i - 1]!) resets++;
    return resets;
  },
};

function sum(values: Numbers): number {
  let total = 0;
  for (let i = 0; i < values.length; i++) total += values[i]!;
  return total;
}

/** The smallest or largest value as Prometheus picks it: a NaN is replaced by any later value. */
function extreme(values: Numbers, better: (v: number, current: number) => boolean): number {
  let m = values[0]!;
  for (let i = 1; i < values.length; i++) if (better(values[i]!, m) || Number.isNaN(m)) m = values[i]!;
  return m;
}

/** Mean and population variance, computed incrementally (Welford). */
export function welford(values: Numbers | readonly number[]): [number, number] {
  let count = 0;
  let mean = 0;
  let aux = 0;
  for (const v of values) {
    count++;
    const delta = v - mean;
    mean += delta / count;
    aux += delta * (v - mean);
  }
  return [mean, aux / count];
}

/** Functions of one value, by name. */
export const MATH: Record<string, (v: number) => number> = {
  abs: Math.abs,
  ceil: Math.ceil,
  floor: Math.floor,
  exp: Math.exp,
  ln: Math.log,
  log2: Math.log2,
  log10: Math.log10,
  sqrt: Math.sqrt,
  sgn: (v) => (v > 0 ? 1 : v < 0 ? -1 : v),
  acos: Math.acos,
  acosh: Math.acosh,
  asin: Math.asin,
  asinh: Math.asinh,
  atan: Math.atan,
  atanh: Math.atanh,
  cos: Math.cos,
  cosh: Math.cosh,
  sin: Math.sin,
  sinh: Math.sinh,
  tan: Math.tan,
  tanh: Math.tanh,
  deg: (v) => (v * 180) / Math.PI,
  rad: (v) => (v * Math.PI) / 180,
};

/** Date parts of a Unix time in seconds, in UTC, as PromQL's date functions give them. */
export const DATE: Record<string, (d: Date) => number> = {
  day_of_month: (d) => d.getUTCDate(),
  day_of_week: (d) => d.getUTCDay(),
  day_of_year: (d) => Math.floor((Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86_400_000) + 1,
  days_in_month: (d) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate(),
  hour: (d) => d.getUTCHours(),
  minute: (d) => d.getUTCMinutes(),
  month: (d) => d.getUTCMonth() + 1,
  year: (d) => d.getUTCFullYear(),
};

/** Go's `strconv.FormatFloat(v, 'f', -1, 64)`, which Prometheus uses for values in JSON and count_values. */
export function formatFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  const s = String(v);
  if (!s.includes('e')) return s;
  // Expand the exponent: the shortest digits that round-trip, written without one.
  const [mantissa, exponentText] = s.split('e') as [string, string];
  const exponent = Number(exponentText);
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  const pointAt = (mantissa.replace('-', '').indexOf('.') === -1 ? mantissa.replace('-', '').length : mantissa.replace('-', '').indexOf('.')) + exponent;
  let out: string;
  if (pointAt <= 0) out = `0.${'0'.repeat(-pointAt)}${digits}`;
  else if (pointAt >= digits.length) out = digits + '0'.repeat(pointAt - digits.length);
  else out = `${digits.slice(0, pointAt)}.${digits.slice(pointAt)}`;
  return negative ? `-${out}` : out;
}

/** Go regexp replacement expansion (`$1`, `${1}`, `$name`, `${name}`) over a match, as label_replace does. */
export function expandTemplate(template: string, match: RegExpExecArray): string {
  return template.replace(/\$(?:\{(\w+)\}|(\w+))/g, (_all, braced: string | undefined, bare: string | undefined) => {
    const name = braced ?? bare!;
    const value = /^\d+$/.test(name) ? match[Number(name)] : match.groups?.[name];
    return value ?? '';
  });
}
