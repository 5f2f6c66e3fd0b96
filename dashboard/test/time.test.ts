import { describe, expect, it } from 'vitest';
import { parseTimeRange, stepFor } from '../src/time.ts';

const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);

describe('parseTimeRange', () => {
  it('reads a relative range up to now, 1h by default and for an unknown name', () => {
    expect(parseTimeRange(new URLSearchParams('range=6h'), NOW)).toEqual({ startMs: NOW - 21_600_000, endMs: NOW, relative: '6h' });
    expect(parseTimeRange(new URLSearchParams(''), NOW)).toEqual({ startMs: NOW - 3_600_000, endMs: NOW, relative: '1h' });
    expect(parseTimeRange(new URLSearchParams('range=7y'), NOW).relative).toBe('1h');
  });

  it('reads an absolute range in Unix ms, and ignores one that ends before it starts', () => {
    expect(parseTimeRange(new URLSearchParams(`from=${NOW - 600_000}&to=${NOW - 60_000}`), NOW)).toEqual({ startMs: NOW - 600_000, endMs: NOW - 60_000, relative: null });
    expect(parseTimeRange(new URLSearchParams(`from=${NOW}&to=${NOW - 60_000}`), NOW).relative).toBe('1h');
  });
});

describe('stepFor', () => {
  it('gives whole seconds, at least 15 s, for about the points asked', () => {
    expect(stepFor({ startMs: 0, endMs: 3_600_000, relative: '1h' }, 60)).toBe(60_000);
    expect(stepFor({ startMs: 0, endMs: 300_000, relative: '5m' }, 60)).toBe(15_000);
  });
});
