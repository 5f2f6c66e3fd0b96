import type { Labels, MetricSample } from '../model/metric.ts';

/** How many series the collector keeps: per metric name and in all. */
export interface SeriesLimits {
  maxSeries: number;
  maxSeriesPerMetric: number;
}

/** What a batch of samples came to: the samples of known or admitted series, and what was refused. */
export interface Admission {
  admitted: MetricSample[];
  refused: number;
  /** Empty when nothing was refused; otherwise names the limit and the metric. */
  reason: string;
}

/**
 * Keeps the number of series within limits: a sample of a series already
 * known always passes; a new series is admitted while its metric and the
 * total are under their limits, and refused (counted, with the reason)
 * beyond them, so a cardinality explosion in one metric cannot grow the
 * store without bound and the series that exist keep working.
 */
export class SeriesLimiter {
  private readonly limits: SeriesLimits;
  private readonly byMetric = new Map<string, Set<string>>();
  private total = 0;

  constructor(limits: SeriesLimits, existing: Iterable<Labels> = []) {
    this.limits = limits;
    for (const labels of existing) this.remember(labels.__name__ ?? '', seriesKey(labels));
  }

  admit(samples: readonly MetricSample[]): Admission {
    const admitted: MetricSample[] = [];
    let refused = 0;
    let reason = '';
    for (const sample of samples) {
      const name = sample.labels.__name__ ?? '';
      const key = seriesKey(sample.labels);
      const known = this.byMetric.get(name);
      if (known?.has(key) === true) {
        admitted.push(sample);
        continue;
      }
      if ((known?.size ?? 0) >= this.limits.maxSeriesPerMetric) {
        refused++;
        reason ||= `series limit reached for metric ${JSON.stringify(name)}: ${this.limits.maxSeriesPerMetric} series (metrics.maxSeriesPerMetric); new series of it are refused`;
        continue;
      }
      if (this.total >= this.limits.maxSeries) {
        refused++;
        reason ||= `series limit reached: ${this.limits.maxSeries} series in all (metrics.maxSeries); new series are refused`;
        continue;
      }
      this.remember(name, key);
      admitted.push(sample);
    }
    return { admitted, refused, reason };
  }

  /** Forgets series the store no longer holds (after retention), so they count no more. */
  forget(labels: Iterable<Labels>): void {
    for (const l of labels) {
      const set = this.byMetric.get(l.__name__ ?? '');
      if (set?.delete(seriesKey(l)) === true) this.total--;
    }
  }

  private remember(name: string, key: string): void {
    let set = this.byMetric.get(name);
    if (set === undefined) this.byMetric.set(name, (set = new Set()));
    if (!set.has(key)) {
      set.add(key);
      this.total++;
    }
  }
}

/** A series' identity: its labels but empty ones, in name order. */
function seriesKey(labels: Labels): string {
  return Object.keys(labels)
    .filter((k) => labels[k] !== '')
    .sort()
    .map((k) => `${k}\u0000${labels[k]}`)
    .join('\u0001');
}
