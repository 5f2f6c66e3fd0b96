import { describe, expect, it } from 'vitest';
import { attributesFromJson, attributesToJson } from '../../src/model/attributes.ts';

describe('attributes JSON', () => {
  it('keeps ints, whole doubles, large int64s, bytes and nesting apart through a round trip', () => {
    const attributes = { int: 2n, double: 2, fraction: 0.5, big: 9_007_199_254_740_993n, negative: -7n, bytes: Buffer.from([0, 255]), list: [1n, 1.0, 'a', true], map: { inner: { deep: null } }, inf: Infinity, nan: NaN };
    const back = attributesFromJson(attributesToJson(attributes));
    expect(back).toEqual({ ...attributes, bytes: Buffer.from([0, 255]) });
    expect(typeof back.int).toBe('bigint');
    expect(typeof back.double).toBe('number');
  });

  it('reads empty or missing JSON as no attributes', () => {
    expect(attributesFromJson(null)).toEqual({});
    expect(attributesFromJson('')).toEqual({});
  });
});

describe('attributes JSON with keys a sender chose', () => {
  it('keeps maps whose keys look like its own markers, and a key named __proto__', () => {
    const attributes: Record<string, unknown> = { m1: { $bytes: 'aGVsbG8=' }, m2: { $double: 'Infinity' }, $top: 'x', $$two: 'y' };
    Object.defineProperty(attributes, '__proto__', { value: { injected: 'no' }, enumerable: true, writable: true, configurable: true });
    const back = attributesFromJson(attributesToJson(attributes));
    expect(back.m1).toEqual({ $bytes: 'aGVsbG8=' });
    expect(back.m2).toEqual({ $double: 'Infinity' });
    expect(back.$top).toBe('x');
    expect(back.$$two).toBe('y');
    expect(Object.getOwnPropertyDescriptor(back, '__proto__')?.value).toEqual({ injected: 'no' });
    expect((back as Record<string, unknown>).injected).toBeUndefined();
  });
});
