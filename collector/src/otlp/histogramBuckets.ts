/**
 * Bucket layouts of OTLP histogram points as classic Prometheus buckets.
 * https://opentelemetry.io/docs/specs/otel/metrics/data-model/#histogram
 */
import type { BucketCounts } from './DeltaState.ts';
import { OtlpDecodeError, readDouble, readInt, readList, readMessage, readUint64 } from './wire.ts';

type Msg = Record<string, unknown>;

// Buckets per sign an exponential histogram keeps (the SDKs' default maximum); finer ones are downscaled.
const MAX_EXP_BUCKETS = 160;

/** Whether a field is set: protobufjs keeps field defaults on the prototype, so an own property means "set" in both encodings. */
export function hasField(m: Msg, field: string): boolean {
  return Object.hasOwn(m, field) && m[field] !== null && m[field] !== undefined;
}

/** Buckets of a HistogramDataPoint; a stale point without counts keeps its bounds so that each `_bucket` series can be marked. */
export function readExplicitBuckets(p: Msg, stale: boolean): BucketCounts {
  const bounds = readList<unknown>(p.explicitBounds, 'explicitBounds').map((b, i) => readDouble(b, `explicitBounds[${i}]`));
  const counts = readList<unknown>(p.bucketCounts, 'bucketCounts').map((c, i) => Number(readUint64(c as string, `bucketCounts[${i}]`)));
  const count = Number(readUint64(p.count as string, 'count'));
  for (let i = 0; i < bounds.length; i++) {
    if (Number.isNaN(bounds[i]) || (i > 0 && !(bounds[i]! > bounds[i - 1]!))) throw new OtlpDecodeError(`explicitBounds[${i}]: bounds must be numbers in strictly increasing order`);
  }
  if (counts.length === 0) {
    // Only count and sum were recorded: one +Inf bucket holds them all (a stale point keeps its bounds to mark).
    if (stale) return { bounds, counts: new Array<number>(bounds.length + 1).fill(0), count, sum: 0, hasSum: true };
    return { bounds: [], counts: [count], count, sum: readSum(p), hasSum: hasField(p, 'sum') };
  }
  if (counts.length !== bounds.length + 1) {
    throw new OtlpDecodeError(`bucketCounts: expected ${bounds.length + 1} counts for ${bounds.length} explicitBounds, got ${counts.length}`);
  }
  if (bounds.at(-1) === Infinity) {
    // A trailing +Inf bound duplicates the implicit +Inf bucket.
    bounds.pop();
    counts[counts.length - 2]! += counts.pop()!;
  }
  return { bounds, counts, count, sum: readSum(p), hasSum: hasField(p, 'sum') };
}

function readSum(p: Msg): number {
  return hasField(p, 'sum') ? readDouble(p.sum, 'sum') : 0;
}

interface ExpSide {
  offset: number;
  counts: number[];
}

function readExpSide(value: unknown, path: string): ExpSide {
  const m = readMessage<Msg>(value, path);
  if (m === null) return { offset: 0, counts: [] };
  const counts = readList<unknown>(m.bucketCounts, `${path}.bucketCounts`).map((c, i) => Number(readUint64(c as string, `${path}.bucketCounts[${i}]`)));
  return { offset: readInt(m.offset, `${path}.offset`), counts };
}

function downscale(side: ExpSide, shift: number): ExpSide {
  if (shift === 0 || side.counts.length === 0) return side;
  const offset = side.offset >> shift;
  const counts: number[] = [];
  for (let k = 0; k < side.counts.length; k++) {
    const at = ((side.offset + k) >> shift) - offset;
    counts[at] = (counts[at] ?? 0) + side.counts[k]!;
  }
  return { offset, counts };
}

function span(side: ExpSide, shift: number): number {
  if (side.counts.length === 0) return 0;
  return ((side.offset + side.counts.length - 1) >> shift) - (side.offset >> shift) + 1;
}

/**
 * Classic buckets for an exponential histogram point: bucket `index` of scale
 * `s` holds (base^index, base^(index+1)] with base = 2^(2^-s), so its upper
 * bound is base^(index+1) (negative buckets mirror that); the zero bucket is
 * folded into the lowest positive bound.
 * https://opentelemetry.io/docs/specs/otel/metrics/data-model/#exponentialhistogram
 */
export function readExponentialBuckets(p: Msg): BucketCounts {
  let scale = readInt(p.scale, 'scale');
  let positive = readExpSide(p.positive, 'positive');
  let negative = readExpSide(p.negative, 'negative');
  let shift = 0;
  while (span(positive, shift) > MAX_EXP_BUCKETS || span(negative, shift) > MAX_EXP_BUCKETS) shift++;
  positive = downscale(positive, shift);
  negative = downscale(negative, shift);
  scale -= shift;
  const zeroCount = Number(readUint64(p.zeroCount as string, 'zeroCount'));
  const count = Number(readUint64(p.count as string, 'count'));
  const step = Math.pow(2, -scale);
  const bounds: number[] = [];
  const counts: number[] = [];
  let carry = 0;
  for (let k = negative.counts.length - 1; k >= 0; k--) {
    const bound = -Math.pow(2, (negative.offset + k) * step);
    carry += negative.counts[k] ?? 0;
    if (bound === -Infinity) continue;
    bounds.push(bound);
    counts.push(carry);
    carry = 0;
  }
  carry += zeroCount;
  if (positive.counts.length === 0 && carry > 0) {
    bounds.push(Math.max(0, readDouble(p.zeroThreshold, 'zeroThreshold')));
    counts.push(carry);
    carry = 0;
  }
  for (let k = 0; k < positive.counts.length; k++) {
    const bound = Math.pow(2, (positive.offset + k + 1) * step);
    carry += positive.counts[k] ?? 0;
    if (bound === Infinity) continue;
    bounds.push(bound);
    counts.push(carry);
    carry = 0;
  }
  const inBuckets = counts.reduce((a, b) => a + b, 0) + carry;
  counts.push(carry + Math.max(0, count - inBuckets));
  return { bounds, counts, count, sum: readSum(p), hasSum: hasField(p, 'sum') };
}

