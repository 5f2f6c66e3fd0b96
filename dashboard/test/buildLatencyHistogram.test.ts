import { describe, expect, it } from 'vitest';
import { buildLatencyHistogram } from '../src/data/buildLatencyHistogram.ts';

describe('buildLatencyHistogram', () => {
  it('turns cumulative buckets into counts per bucket, smallest first, the last one open-ended', () => {
    const v = (le: string, n: number) => ({ metric: { le }, value: [0, String(n)] as [number, string] });
    expect(buildLatencyHistogram([v('+Inf', 100), v('0.01', 40), v('0.1', 90.4)])).toEqual([
      { label: '≤ 10ms', le: 0.01, count: 40 },
      { label: '≤ 100ms', le: 0.1, count: 50 },
      { label: '> 100ms', le: Infinity, count: 10 },
    ]);
  });
});
