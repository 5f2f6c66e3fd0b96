import type { Registry, RegistryContentType } from 'prom-client';
import type { ServedRequest } from './httpServerSpans.ts';

/** Bucket bounds of the request-duration histogram, in seconds. */
export const REQUEST_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const NAME = 'http_server_request_duration_seconds';
const HELP = 'Duration of HTTP requests served, by route, method and status code.';

/** The latest observation of a bucket, kept as its exemplar. */
interface Exemplar {
  traceId: string;
  value: number;
  timestampMs: number;
}

/** One line of the histogram, as prom-client's registry formats it. */
interface HistogramValue {
  metricName: string;
  labels: Record<string, string | number>;
  value: number;
  exemplar?: { labelSet: Record<string, string>; value: number; timestamp: number };
}

/** One series: cumulative counts are derived from per-bucket counts when read. */
interface Series {
  labels: { route: string; method: string; status_code: string };
  statusCode: number;
  /** Observations per bucket, the last slot for +Inf. */
  counts: Float64Array;
  exemplars: Array<Exemplar | undefined>;
  sum: number;
  count: number;
}

/**
 * `http_server_request_duration_seconds{route,method,status_code}`: every
 * request served, recorded when its server span ends, with the trace id as
 * an exemplar on the bucket it fell in, so a latency point leads to its trace.
 *
 * A prom-client metric in all but its hot path: it sits in the service's
 * registry, is exposed and pushed with it, and reads like a prom-client
 * Histogram (`get()`, `reset()`). Recording is a comparison with the last
 * request's series (or, on a change, a map lookup) and three increments;
 * prom-client's own `Histogram.observe` with an exemplar hashes the label
 * set twice and validates both label sets on every call, which measured
 * about 10 µs of CPU per request in the agent benchmark.
 */
export class RequestDurationHistogram {
  readonly name = NAME;
  readonly help = HELP;
  readonly type = 'histogram' as const;
  readonly aggregator = 'sum' as const;
  /** Series by route, then method, then status: lookups by the strings and number at hand, no key string built per request. */
  private readonly series = new Map<string, Map<string, Map<number, Series>>>();
  /** The series the last request was recorded in: a service under load mostly serves runs of the same route, method and status. */
  private last: Series | undefined;

  constructor(registry: Registry<RegistryContentType>) {
    registry.registerMetric(this as unknown as Parameters<typeof registry.registerMetric>[0]);
  }

  /** Records one request served. */
  readonly record = (request: ServedRequest): void => {
    const last = this.last;
    const series = last !== undefined && last.statusCode === request.statusCode && last.labels.route === request.route && last.labels.method === request.method ? last : this.seriesOf(request);
    this.last = series;
    const value = request.durationSeconds;
    let bucket = 0;
    while (bucket < REQUEST_DURATION_BUCKETS.length && value > REQUEST_DURATION_BUCKETS[bucket]!) bucket++;
    series.counts[bucket]!++;
    series.sum += value;
    series.count++;
    if (request.traceId === '') return;
    const exemplar = series.exemplars[bucket];
    if (exemplar === undefined) series.exemplars[bucket] = { traceId: request.traceId, value, timestampMs: request.endEpochMs };
    else {
      exemplar.traceId = request.traceId;
      exemplar.value = value;
      exemplar.timestampMs = request.endEpochMs;
    }
  };

  /** The series of a request's route, method and status, made at its first request. */
  private seriesOf(request: ServedRequest): Series {
    const status = request.statusCode;
    let byMethod = this.series.get(request.route);
    if (byMethod === undefined) this.series.set(request.route, (byMethod = new Map()));
    let byStatus = byMethod.get(request.method);
    if (byStatus === undefined) byMethod.set(request.method, (byStatus = new Map()));
    let series = byStatus.get(status);
    if (series === undefined) {
      series = {
        labels: { route: request.route, method: request.method, status_code: String(status) },
        statusCode: status,
        counts: new Float64Array(REQUEST_DURATION_BUCKETS.length + 1),
        exemplars: new Array<Exemplar | undefined>(REQUEST_DURATION_BUCKETS.length + 1),
        sum: 0,
        count: 0,
      };
      byStatus.set(status, series);
    }
    return series;
  }

  /** The series as prom-client's Histogram reports them: cumulative `_bucket` lines with exemplars, `_sum`, `_count`. */
  get(): Promise<{ name: string; help: string; type: 'histogram'; aggregator: 'sum'; values: HistogramValue[] }> {
    const values: HistogramValue[] = [];
    for (const s of [...this.series.values()].flatMap((byMethod) => [...byMethod.values()].flatMap((byStatus) => [...byStatus.values()]))) {
      let cumulative = 0;
      for (let i = 0; i <= REQUEST_DURATION_BUCKETS.length; i++) {
        cumulative += s.counts[i]!;
        const e = s.exemplars[i];
        values.push({
          metricName: `${NAME}_bucket`,
          labels: { ...s.labels, le: i < REQUEST_DURATION_BUCKETS.length ? REQUEST_DURATION_BUCKETS[i]! : '+Inf' },
          value: cumulative,
          ...(e === undefined ? {} : { exemplar: { labelSet: { trace_id: e.traceId }, value: e.value, timestamp: e.timestampMs / 1000 } }),
        });
      }
      values.push({ metricName: `${NAME}_sum`, labels: s.labels, value: s.sum });
      values.push({ metricName: `${NAME}_count`, labels: s.labels, value: s.count });
    }
    return Promise.resolve({ name: NAME, help: HELP, type: 'histogram', aggregator: 'sum', values });
  }

  reset(): void {
    this.series.clear();
    this.last = undefined;
  }
}
