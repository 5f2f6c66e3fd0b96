import type { PromMatrix, PromVector } from '../api/types.ts';

/** One row of the services overview: RED figures now, and the request rate over the range. */
export interface ServiceRow {
  service: string;
  /** Requests per second (server and consumer spans), null when no span metric has it. */
  rate: number | null;
  /** Failed share of the requests (0..1). */
  errorRate: number | null;
  /** Latency quantiles, seconds. */
  p50: number | null;
  p95: number | null;
  p99: number | null;
  /** Requests per second at each step of the range. */
  spark: Array<{ t: number; v: number }>;
}

/** The answers the overview is built from, each by `service_name`. */
export interface ServicesAnswers {
  services: string[];
  rate: PromVector;
  errors: PromVector;
  p50: PromVector;
  p95: PromVector;
  p99: PromVector;
  rateOverTime: PromMatrix;
}

const byService = (v: PromVector) => new Map(v.map((s) => [s.metric.service_name ?? '', Number(s.value[1])]));
const finite = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? null : n);

/** Every service that sent spans or has span metrics, sorted by name, with its figures. */
export function buildServicesData(a: ServicesAnswers): ServiceRow[] {
  const [rate, errors, p50, p95, p99] = [byService(a.rate), byService(a.errors), byService(a.p50), byService(a.p95), byService(a.p99)];
  const spark = new Map(a.rateOverTime.map((s) => [s.metric.service_name ?? '', s.values.map(([t, v]) => ({ t: t * 1000, v: Number(v) }))]));
  const names = new Set([...a.services, ...rate.keys(), ...spark.keys()]);
  names.delete('');
  return [...names].sort().map((service) => {
    const r = finite(rate.get(service));
    const e = finite(errors.get(service)) ?? (r === null ? null : 0);
    return {
      service,
      rate: r,
      errorRate: r === null || r === 0 || e === null ? (r === 0 ? 0 : null) : e / r,
      p50: finite(p50.get(service)),
      p95: finite(p95.get(service)),
      p99: finite(p99.get(service)),
      spark: spark.get(service) ?? [],
    };
  });
}

/** Sorts rows by a column; services without the figure go last either way. */
export function sortServiceRows(rows: ServiceRow[], column: keyof Omit<ServiceRow, 'spark'>, descending: boolean): ServiceRow[] {
  return [...rows].sort((a, b) => {
    const [x, y] = [a[column], b[column]];
    if (x === y) return a.service.localeCompare(b.service);
    if (x === null) return 1;
    if (y === null) return -1;
    const order = typeof x === 'string' ? x.localeCompare(y as string) : (x as number) - (y as number);
    return descending ? -order : order;
  });
}

/** The PromQL of the overview, from the span metrics the collector derives (server and consumer spans are a service's requests). */
export const SERVICE_QUERIES = {
  rate: 'sum by (service_name) (rate(traces_span_metrics_calls_total{span_kind=~"SPAN_KIND_SERVER|SPAN_KIND_CONSUMER"}[5m]))',
  errors: 'sum by (service_name) (rate(traces_span_metrics_calls_total{span_kind=~"SPAN_KIND_SERVER|SPAN_KIND_CONSUMER", status_code="STATUS_CODE_ERROR"}[5m]))',
  quantile: (q: number) => `histogram_quantile(${q}, sum by (service_name, le) (rate(traces_span_metrics_duration_seconds_bucket{span_kind=~"SPAN_KIND_SERVER|SPAN_KIND_CONSUMER"}[5m])))`,
};
