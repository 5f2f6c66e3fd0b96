import { describe, expect, it } from 'vitest';
import { buildChartData } from '../src/data/buildChartData.ts';

describe('buildChartData', () => {
  it('merges series into rows by time, names them by their labels, and adds the day-before series dashed', () => {
    const data = buildChartData(
      [
        { metric: { status: 'created' }, values: [[100, '6'], [115, '7.5']] },
        { metric: { status: 'rejected' }, values: [[115, '1']] },
      ],
      'Orders',
      [{ metric: { status: 'created' }, values: [[100, '5']] }],
    );
    expect(data.series).toEqual(['created', 'rejected', 'created (day before)']);
    expect(data.rows).toEqual([
      { t: 100_000, created: 6, 'created (day before)': 5 },
      { t: 115_000, created: 7.5, rejected: 1 },
    ]);
  });

  it('names a series without labels after the chart, scales values and leaves out NaN', () => {
    const data = buildChartData([{ metric: {}, values: [[100, '0.97'], [115, 'NaN']] }], 'Payment success', [], 100);
    expect(data.series).toEqual(['Payment success']);
    expect(data.rows).toEqual([{ t: 100_000, 'Payment success': 97 }, { t: 115_000 }]);
  });
});
