import snappy from 'snappy';
import type { MetricMetadata, MetricSample } from '../model/metric.ts';
import { writeRequestType } from './remoteWriteSchema.ts';

const STALE_BYTES = Buffer.from([0x02, 0, 0, 0, 0, 0, 0xf0, 0x7f]);
const QUIETED_STALE = Buffer.from([0x02, 0, 0, 0, 0, 0, 0xf8, 0x7f]);
/**
 * A finite double (bits 0x00000000deadbee1, subnormal) that stands in for a
 * flagged stale marker while encoding, then has its bytes replaced by the
 * marker's: the marker's NaN may reach the encoder as V8's canonical NaN.
 * Found as the `Sample.value` field (tag 0x09) followed by these 8 bytes.
 */
const PLACEHOLDER = (() => {
  const b = Buffer.from([0xe1, 0xbe, 0xad, 0xde, 0, 0, 0, 0]);
  return { value: b.readDoubleLE(0), field: Buffer.concat([Buffer.from([0x09]), b]) };
})();
/** Remote-write MetricMetadata.MetricType numbers by type name. */
const METADATA_TYPES: Record<string, number> = { unknown: 0, counter: 1, gauge: 2, histogram: 3, gaugehistogram: 4, summary: 5, info: 6, stateset: 7 };

/**
 * A remote-write 1.0 body (snappy-compressed `prometheus.WriteRequest`) of
 * the request object. V8 sets the quiet bit of the stale-marker NaN on its
 * way through the encoder; Prometheus knows the marker by its exact bits
 * (0x7ff0000000000002), so the encoded bytes get them back.
 */
export function remoteWriteBody(request: object): Buffer {
  return snappy.compressSync(restoreStaleBits(Buffer.from(writeRequestType.encode(writeRequestType.fromObject(request)).finish())));
}

/** One time series of a WriteRequest being built: its labels (sorted by name) and samples. */
export interface WriteSeries {
  /** The label set's identity, from the sorted names and values. */
  key: string;
  labels: Array<{ name: string; value: string }>;
  samples: Array<{ value: number; timestamp: number; stale: boolean }>;
}

/** Samples grouped into one series per label set, samples in the order given; each sample's labels sorted once. */
export function seriesOf(samples: readonly MetricSample[]): WriteSeries[] {
  const bySeries = new Map<string, WriteSeries>();
  for (const s of samples) {
    const names = Object.keys(s.labels).sort();
    const key = names.map((n) => `${n}\xff${s.labels[n]}`).join('\xfe');
    let series = bySeries.get(key);
    if (series === undefined) bySeries.set(key, (series = { key, labels: names.map((name) => ({ name, value: s.labels[name]! })), samples: [] }));
    series.samples.push({ value: s.value, timestamp: Math.trunc(s.timestampMs), stale: s.stale === true });
  }
  return [...bySeries.values()];
}

/** The uncompressed WriteRequest of samples and metadata; stale markers, by their flag or their bits, get the exact bits Prometheus looks for. */
export function encodeWriteRequest(samples: readonly MetricSample[], metadata: readonly MetricMetadata[] = []): Buffer {
  return encodeSeries(seriesOf(samples), metadata);
}

/** The uncompressed WriteRequest of series already grouped (see {@link seriesOf}). */
export function encodeSeries(series: readonly WriteSeries[], metadata: readonly MetricMetadata[] = []): Buffer {
  let placeholders = false;
  const request = {
    timeseries: series.map((s) => ({
      labels: s.labels,
      samples: s.samples.map((x) => {
        placeholders ||= x.stale;
        return { value: x.stale ? PLACEHOLDER.value : x.value, timestamp: x.timestamp };
      }),
    })),
    metadata: metadata.map((m) => ({ type: METADATA_TYPES[m.type] ?? 0, metricFamilyName: m.metric, help: m.help, unit: m.unit })),
  };
  const raw = Buffer.from(writeRequestType.encode(writeRequestType.fromObject(request)).finish());
  if (placeholders) for (let at = raw.indexOf(PLACEHOLDER.field); at !== -1; at = raw.indexOf(PLACEHOLDER.field, at + 9)) STALE_BYTES.copy(raw, at + 1);
  return restoreStaleBits(raw);
}

function restoreStaleBits(raw: Buffer): Buffer {
  for (let at = raw.indexOf(QUIETED_STALE); at !== -1; at = raw.indexOf(QUIETED_STALE, at + 8)) STALE_BYTES.copy(raw, at);
  return raw;
}
