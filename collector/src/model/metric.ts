/** Label set of a Prometheus series, `__name__` included. */
export type Labels = Record<string, string>;

/** One sample of one series, in the Prometheus data model. */
export interface MetricSample {
  labels: Labels;
  /** Unix milliseconds. */
  timestampMs: number;
  value: number;
}

/** Prometheus metric types, as `/api/v1/metadata` reports them. */
export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'unknown';

/** Type, help and unit of a metric family. */
export interface MetricMetadata {
  metric: string;
  type: MetricType;
  help: string;
  unit: string;
}
