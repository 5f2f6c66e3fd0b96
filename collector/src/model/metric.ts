/** A valid Prometheus label name. */
export const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** A valid Prometheus metric name. */
export const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** Label set of a Prometheus series, `__name__` included. */
export type Labels = Record<string, string>;

/** One sample of one series, in the Prometheus data model. */
export interface MetricSample {
  labels: Labels;
  /** Unix milliseconds. */
  timestampMs: number;
  value: number;
  /** An exemplar recorded with this sample (a trace id that produced a latency, say). */
  exemplar?: Exemplar;
  /**
   * A stale marker (the value is then STALE_NAN). Set it wherever a marker is
   * made: V8 may replace the marker's NaN with its canonical NaN when the value
   * is stored in an array, and then only this flag says what it was.
   */
  stale?: true;
}

/** An exemplar: labels of its own (typically `trace_id`), a value and a time, attached to a series. */
export interface Exemplar {
  labels: Labels;
  value: number;
  /** Unix milliseconds. */
  timestampMs: number;
}

/** Prometheus metric types, as `/api/v1/metadata` reports them. */
export type MetricType = 'counter' | 'gauge' | 'histogram' | 'gaugehistogram' | 'summary' | 'info' | 'stateset' | 'unknown';

/** Type, help and unit of a metric family. */
export interface MetricMetadata {
  metric: string;
  type: MetricType;
  help: string;
  unit: string;
}

/**
 * Prometheus' stale marker, the NaN with bits 0x7ff0000000000002. V8 sets the
 * quiet bit (→ 0x7ff8000000000002) when it stores this NaN in a double array
 * or a Map, so compare with {@link isStaleNaN}, never by bits, and write these
 * exact bits when sending to Prometheus.
 */
export const STALE_NAN: number = bitsToFloat(0x7ff00000, 2);

const bitsView = new DataView(new ArrayBuffer(8));

/** True for Prometheus' stale marker, with or without the quiet bit V8 may have set on it (see {@link MetricSample.stale}). */
export function isStaleNaN(value: number): boolean {
  if (value === value) return false;
  bitsView.setFloat64(0, value);
  return (bitsView.getUint32(0) & 0xfff7ffff) === 0x7ff00000 && bitsView.getUint32(4) === 2;
}

function bitsToFloat(high: number, low: number): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setUint32(0, high);
  view.setUint32(4, low);
  return view.getFloat64(0);
}
