import type { AttributeValue, Attributes } from '../model/attributes.ts';
import type { ItemLimits, LimitStats } from './limits.ts';
import { OtlpDecodeError, readBytes, readDouble, readInt64, readList } from './wire.ts';

/** The marker stored in place of a value nested deeper than the configured limit. */
export const TOO_DEEP_MARKER = '[mirador: value nested too deeply, truncated]';

interface KeyValueLike {
  key?: string;
  value?: AnyValueLike | null;
}
interface AnyValueLike {
  value?: string;
  stringValue?: string;
  boolValue?: boolean;
  intValue?: unknown;
  doubleValue?: unknown;
  arrayValue?: { values?: AnyValueLike[] } | null;
  kvlistValue?: { values?: KeyValueLike[] } | null;
  bytesValue?: unknown;
}

/**
 * Converts repeated KeyValue to attributes, keeping at most `maxAttributes`
 * (the rest are counted in the returned dropped count and in `stats`).
 */
export function readAttributes(list: unknown, limits: ItemLimits, stats: LimitStats, depth = 0): { attributes: Attributes; dropped: number } {
  const kvs = readList<KeyValueLike>(list, 'attributes');
  const attributes: Attributes = {};
  let kept = 0;
  let dropped = 0;
  for (const kv of kvs) {
    if (kv === null || typeof kv !== 'object') throw new OtlpDecodeError('attributes: expected KeyValue objects');
    if (kept >= limits.maxAttributes) {
      dropped++;
      continue;
    }
    const key = typeof kv.key === 'string' ? kv.key : '';
    const read = readAnyValue(kv.value, limits, stats, depth);
    const value = limits.redaction === undefined ? read : limits.redaction.value(key, read, stats);
    // A key named __proto__ must become an own attribute, not the object's prototype.
    if (key === '__proto__') Object.defineProperty(attributes, key, { value, enumerable: true, writable: true, configurable: true });
    else attributes[key] = value;
    kept++;
  }
  if (dropped > 0) stats.droppedAttributes += dropped;
  return { attributes, dropped };
}

/** Converts one AnyValue, applying the value-size and depth limits. */
export function readAnyValue(v: AnyValueLike | null | undefined, limits: ItemLimits, stats: LimitStats, depth = 0): AttributeValue {
  if (v === null || v === undefined) return null;
  if (typeof v !== 'object') throw new OtlpDecodeError(`value: expected an AnyValue object`);
  // protobufjs names the set member of a oneof in `value`; OTLP/JSON has just that one key.
  const which = typeof v.value === 'string' ? v.value : Object.keys(v)[0];
  switch (which) {
    case undefined:
      return null;
    case 'stringValue':
      return limitString(typeof v.stringValue === 'string' ? v.stringValue : String(v.stringValue), limits, stats);
    case 'boolValue':
      return v.boolValue === true;
    case 'intValue':
      return readInt64(v.intValue as string, 'intValue');
    case 'doubleValue':
      return readDouble(v.doubleValue, 'doubleValue');
    case 'bytesValue':
      return readBytes(v.bytesValue, 'bytesValue');
    case 'arrayValue': {
      if (depth >= limits.maxDepth) return tooDeep(stats);
      const values = readList<AnyValueLike>(v.arrayValue?.values, 'arrayValue.values');
      return values.map((item) => readAnyValue(item, limits, stats, depth + 1));
    }
    case 'kvlistValue': {
      if (depth >= limits.maxDepth) return tooDeep(stats);
      return readAttributes(v.kvlistValue?.values, limits, stats, depth + 1).attributes;
    }
    default:
      throw new OtlpDecodeError(`value: unknown AnyValue field ${JSON.stringify(which)}`);
  }
}

function tooDeep(stats: LimitStats): string {
  stats.truncatedDepth++;
  return TOO_DEEP_MARKER;
}

/** Cuts a string to `maxValueBytes` UTF-8 bytes at a character boundary. */
export function limitString(s: string, limits: ItemLimits, stats: LimitStats): string {
  // A UTF-16 unit is at most 3 UTF-8 bytes, so short strings need no measuring.
  if (s.length * 3 <= limits.maxValueBytes || Buffer.byteLength(s) <= limits.maxValueBytes) return s;
  stats.truncatedValues++;
  return Buffer.from(s).subarray(0, limits.maxValueBytes).toString().replace(/\uFFFD$/, '');
}
