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
