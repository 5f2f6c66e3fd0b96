import { describe, expect, it } from 'vitest';
import { SeriesLimiter } from '../../src/pipeline/SeriesLimiter.ts';

const sample = (name: string, id: string, extra: Record<string, string> = {}) => ({ labels: { __name__: name, id, ...extra }, timestampMs: 0, value: 1 });

describe('SeriesLimiter', () => {
  it('admits new series up to the per-metric limit, refuses the next with the reason, and keeps the known ones working', () => {
    const limiter = new SeriesLimiter({ maxSeries: 100, maxSeriesPerMetric: 2 });
    const first = limiter.admit([sample('a', '1'), sample('a', '2'), sample('a', '3'), sample('b', '1')]);
    expect(first.admitted.map((s) => `${s.labels.__name__}${s.labels.id}`)).toEqual(['a1', 'a2', 'b1']);
    expect(first.refused).toBe(1);
    expect(first.reason).toBe('series limit reached for metric "a": 2 series (metrics.maxSeriesPerMetric); new series of it are refused');
    const later = limiter.admit([sample('a', '2'), sample('a', '1'), sample('a', '4')]);
    expect(later.admitted).toHaveLength(2);
    expect(later.refused).toBe(1);
  });

  it('limits the total, counting the series that already exist, and counts forgotten ones no more', () => {
    const limiter = new SeriesLimiter({ maxSeries: 3, maxSeriesPerMetric: 10 }, [{ __name__: 'x', id: '1' }, { __name__: 'y', id: '1' }]);
    const admission = limiter.admit([sample('x', '1'), sample('z', '1'), sample('z', '2')]);
    expect(admission.admitted.map((s) => `${s.labels.__name__}${s.labels.id}`)).toEqual(['x1', 'z1']);
    expect(admission.reason).toBe('series limit reached: 3 series in all (metrics.maxSeries); new series are refused');
    limiter.forget([{ __name__: 'y', id: '1' }]);
    expect(limiter.admit([sample('z', '2')]).refused).toBe(0);
  });

  it('takes an empty label as an absent one', () => {
    const limiter = new SeriesLimiter({ maxSeries: 1, maxSeriesPerMetric: 1 });
    expect(limiter.admit([sample('a', '1', { env: '' }), sample('a', '1')]).refused).toBe(0);
  });
});
