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
 * `{"$bytes": base64}`.
 */
export function attributesToJson(value: unknown): string {
  return JSON.stringify(value, replacer);
}

/** Reads what {@link attributesToJson} wrote. */
export function attributesFromJson<T = Attributes>(json: string | null): T {
  if (json === null || json === '') return {} as T;
  return JSON.parse(json, reviver) as T;
}

// JSON.rawJSON (Node 21+, ES2026) writes number text as given; TypeScript's lib does not declare it yet.
const rawJSON = (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON;

function replacer(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const raw = this[key];
  if (typeof raw === 'bigint') return rawJSON(raw.toString());
  if (typeof raw === 'number') {
    if (!Number.isFinite(raw)) return { $double: String(raw) };
    return Number.isInteger(raw) ? rawJSON(raw.toFixed(1)) : raw;
  }
  if (raw instanceof Uint8Array) return { $bytes: Buffer.from(raw).toString('base64') };
  return value;
}

function reviver(_key: string, value: unknown, context?: { source?: string }): unknown {
  if (typeof value === 'number' && context?.source !== undefined && /^-?\d+$/.test(context.source)) {
    return BigInt(context.source);
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const v = value as Record<string, unknown>;
    if (typeof v.$bytes === 'string' && Object.keys(v).length === 1) return Buffer.from(v.$bytes, 'base64');
    if (typeof v.$double === 'string' && Object.keys(v).length === 1) return Number(v.$double);
  }
  return value;
}
