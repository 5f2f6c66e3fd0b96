import type { PromVector } from '../api/types.ts';
import { formatSeconds } from './format.ts';

/** One bar of a latency distribution: the requests that took up to `le` seconds (and more than the bar before). */
export interface LatencyBar {
  label: string;
  le: number;
  count: number;
}

/** Per-bucket counts from cumulative `le` buckets (`sum by (le) (increase(..._bucket[range]))`), smallest first. */
export function buildLatencyHistogram(buckets: PromVector): LatencyBar[] {
  const sorted = buckets
    .map((s) => ({ le: s.metric.le === '+Inf' ? Infinity : Number(s.metric.le), cumulative: Number(s.value[1]) }))
    .filter((b) => !Number.isNaN(b.le) && Number.isFinite(b.cumulative))
    .sort((a, b) => a.le - b.le);
  let previous = 0;
  return sorted.map((b, i) => {
    const count = Math.max(0, b.cumulative - previous);
    previous = Math.max(previous, b.cumulative);
    const lower = i === 0 ? 0 : sorted[i - 1]!.le;
    return { label: b.le === Infinity ? `> ${formatSeconds(lower)}` : `≤ ${formatSeconds(b.le)}`, le: b.le, count: Math.round(count) };
  });
}
