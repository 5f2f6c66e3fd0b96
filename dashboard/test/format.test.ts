import { describe, expect, it } from 'vitest';
import { formatPercent, formatRate, formatSeconds } from '../src/data/format.ts';

describe('format', () => {
  it.each([
    [0.0001234, '123µs'],
    [0.1, '100ms'],
    [0.0125, '12.5ms'],
    [0.045, '45ms'],
    [1, '1s'],
    [2.5, '2.5s'],
    [120, '120s'],
    [null, '–'],
  ])('formatSeconds(%s) = %s', (s, text) => {
    expect(formatSeconds(s)).toBe(text);
  });

  it('writes rates and shares briefly', () => {
    expect([formatRate(0.2222), formatRate(123.4), formatRate(0), formatPercent(0.0512), formatPercent(0)]).toEqual(['0.22/s', '123/s', '0/s', '5.1%', '0%']);
  });
});
