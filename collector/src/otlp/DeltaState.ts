/**
 * Running totals that turn delta-temporality sums and histograms into the
 * cumulative values Prometheus counters need, as the compatibility
 * specification recommends ("SHOULD be converted to a cumulative temporality").
 * https://opentelemetry.io/docs/specs/otel/compatibility/prometheus_and_openmetrics/#sums
 */

/** Buckets of one histogram point; `counts[i]` is the count of bucket i (not cumulative), the last one is the `+Inf` bucket. */
export interface BucketCounts {
  /** Ascending finite upper bounds; `counts` has one more entry. */
  bounds: number[];
  counts: number[];
  count: number;
  sum: number;
  hasSum: boolean;
}

/** The default bound on series accumulated at once. */
export const DEFAULT_MAX_DELTA_SERIES = 100_000;

/** A series' running total and the end of the last point added to it. */
interface Entry<V> {
  timeUnixNano: bigint;
  value: V;
}

/**
 * Cumulative totals per delta series, bounded: once `maxSeries` series are held,
 * points of new series are refused (and counted) until `evictBefore` frees room.
 * A point must start no earlier than the previous one of its series ended.
 */
export class DeltaState {
  readonly maxSeries: number;
  /** Points refused because the series limit was reached. */
  refusedForLimit = 0;
  #sums = new Map<string, Entry<number>>();
  #histograms = new Map<string, Entry<BucketCounts>>();

  constructor(maxSeries: number = DEFAULT_MAX_DELTA_SERIES) {
    if (!Number.isInteger(maxSeries) || maxSeries < 0) throw new RangeError(`maxSeries: expected a non-negative integer, got ${maxSeries}`);
    this.maxSeries = maxSeries;
  }

  /** Number of series held. */
  get size(): number {
    return this.#sums.size + this.#histograms.size;
  }

  /** Adds a delta to its series; returns the running total, or why the point is refused. */
  addSum(key: string, startUnixNano: bigint, timeUnixNano: bigint, delta: number): number | string {
    return this.#add(this.#sums, key, startUnixNano, timeUnixNano, delta, (total, d) => total + d);
  }

  /** Adds a delta histogram to its series; returns the running totals (owned by the state: read, do not keep), or why the point is refused. */
  addHistogram(key: string, startUnixNano: bigint, timeUnixNano: bigint, delta: BucketCounts): BucketCounts | string {
    return this.#add(this.#histograms, key, startUnixNano, timeUnixNano, delta, mergeBuckets);
  }

  #add<V>(series: Map<string, Entry<V>>, key: string, startUnixNano: bigint, timeUnixNano: bigint, delta: V, merge: (total: V, delta: V) => V): V | string {
    const entry = series.get(key);
    if (entry === undefined) {
      const full = this.#refuseNew();
      if (full !== null) return full;
      series.set(key, { timeUnixNano, value: delta });
      return delta;
    }
    const order = checkOrder(entry.timeUnixNano, startUnixNano, timeUnixNano);
    if (order !== null) return order;
    entry.timeUnixNano = timeUnixNano;
    entry.value = merge(entry.value, delta);
    return entry.value;
  }

  /** Bucket bounds accumulated for a histogram series, to mark all its `_bucket` series stale. */
  histogramBounds(key: string): readonly number[] {
    return this.#histograms.get(key)?.value.bounds ?? [];
  }

  /** Forgets series whose last point is older than the time; returns how many. Time is the caller's. */
  evictBefore(timeUnixNano: bigint): number {
    let evicted = 0;
    for (const map of [this.#sums, this.#histograms] as Array<Map<string, { timeUnixNano: bigint }>>) {
      for (const [key, entry] of map) {
        if (entry.timeUnixNano < timeUnixNano) {
          map.delete(key);
          evicted++;
        }
      }
    }
    return evicted;
  }

  #refuseNew(): string | null {
    if (this.size < this.maxSeries) return null;
    this.refusedForLimit++;
    return `delta series limit of ${this.maxSeries} reached, new delta series are refused`;
  }
}

function checkOrder(lastUnixNano: bigint, startUnixNano: bigint, timeUnixNano: bigint): string | null {
  if (timeUnixNano <= lastUnixNano) return 'delta data point is not newer than the previous one of its series';
  if (startUnixNano !== 0n && startUnixNano < lastUnixNano) return 'delta data point overlaps the previous one of its series';
  return null;
}

/**
 * Adds two bucket layouts. Equal bounds (the usual case) add bucket by bucket;
 * different bounds (an exponential histogram that moved or changed scale) add
 * over the union of bounds, so every cumulative `le` count still only grows.
 */
export function mergeBuckets(a: BucketCounts, b: BucketCounts): BucketCounts {
  const count = a.count + b.count;
  const sum = a.sum + b.sum;
  const hasSum = a.hasSum || b.hasSum;
  if (sameBounds(a.bounds, b.bounds)) {
    return { bounds: a.bounds, counts: a.counts.map((c, i) => c + b.counts[i]!), count, sum, hasSum };
  }
  const bounds: number[] = [];
  const counts: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.bounds.length || j < b.bounds.length) {
    const x = i < a.bounds.length ? a.bounds[i]! : Infinity;
    const y = j < b.bounds.length ? b.bounds[j]! : Infinity;
    const bound = Math.min(x, y);
    let c = 0;
    if (x === bound) c += a.counts[i++]!;
    if (y === bound) c += b.counts[j++]!;
    bounds.push(bound);
    counts.push(c);
  }
  counts.push(a.counts[a.bounds.length]! + b.counts[b.bounds.length]!);
  return { bounds, counts, count, sum, hasSum };
}

function sameBounds(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
