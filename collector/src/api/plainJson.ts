import type { AttributeValue } from '../model/attributes.ts';

/**
 * An attribute value as plain JSON for API responses: ints within 2^53 as
 * numbers and beyond as decimal strings, bytes as base64.
 */
export function toPlainJson(value: AttributeValue): unknown {
  if (typeof value === 'bigint') return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return value.map(toPlainJson);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = toPlainJson(v);
    return out;
  }
  return value;
}
