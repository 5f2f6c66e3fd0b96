/**
 * An attribute value as OTLP carries it. OTLP's int64 is a bigint and its
 * double a number, so the two stay distinct (the int 2 and the double 2.0)
 * through storage and back out of the query API.
 */
export type AttributeValue =
  | string
  | number
  | boolean
  | bigint
  | Uint8Array
  | null
  | AttributeValue[]
  | { [key: string]: AttributeValue };

/** Attributes of a span, log record, event, link, resource or scope. */
export type Attributes = Record<string, AttributeValue>;

/**
 * Serialises attributes (or any value built of attribute values) to JSON that
 * {@link attributesFromJson} reads back with int/double types intact: ints are
 * written as bare digits, whole doubles with a trailing `.0`, bytes as
 * `{"$bytes": base64}`, non-finite doubles as `{"$double": "NaN"}`. Written by
 * hand rather than with a JSON.stringify replacer: this runs for every stored
 * span and log record, and the replacer's per-value callback costs more than
 * the serialising.
 */
export function attributesToJson(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'bigint':
      return value.toString();
    case 'number':
      if (!Number.isFinite(value)) return `{"$double":"${value}"}`;
      return Number.isInteger(value) ? value.toFixed(1) : String(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      if (value instanceof Uint8Array) return `{"$bytes":"${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64')}"}`;
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) out += (i === 0 ? '' : ',') + attributesToJson(value[i]);
        return out + ']';
      }
      let out = '{';
      let first = true;
      for (const key in value) {
        const v = (value as Record<string, unknown>)[key];
        if (v === undefined) continue;
        out += (first ? '' : ',') + JSON.stringify(storedKey(key)) + ':' + attributesToJson(v);
        first = false;
      }
      return out + '}';
    }
    default:
      return 'null';
  }
}

/**
 * The key under which an attribute is stored: keys starting with `$` get one
 * more, so `{"$bytes": ...}` from a sender can never be taken for the marker
 * of a bytes value. Queries on stored JSON must look keys up by this name.
 */
export function storedKey(key: string): string {
  return key.charCodeAt(0) === 36 /* $ */ ? '$' + key : key;
}

/** Reads what {@link attributesToJson} wrote. */
export function attributesFromJson<T = Attributes>(json: string | null): T {
  if (json === null || json === '') return {} as T;
  return JSON.parse(json, reviver) as T;
}

function reviver(_key: string, value: unknown, context?: { source?: string }): unknown {
  if (typeof value === 'number' && context?.source !== undefined && /^-?\d+$/.test(context.source)) {
    return BigInt(context.source);
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const v = value as Record<string, unknown>;
    const keys = Object.keys(v);
    if (keys.length === 1 && keys[0] === '$bytes' && typeof v.$bytes === 'string') return Buffer.from(v.$bytes, 'base64');
    if (keys.length === 1 && keys[0] === '$double' && typeof v.$double === 'string') return Number(v.$double);
    if (keys.some((k) => k.charCodeAt(0) === 36)) {
      // Undo storedKey: every stored key starting with $ had one $ added.
      const out: Record<string, unknown> = {};
      for (const k of keys) Object.defineProperty(out, k.charCodeAt(0) === 36 ? k.slice(1) : k, { value: v[k], enumerable: true, writable: true, configurable: true });
      return out;
    }
  }
  return value;
}
