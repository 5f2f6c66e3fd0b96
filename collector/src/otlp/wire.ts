/**
 * Readers for the field values of a decoded OTLP message, which come in two
 * shapes: protobufjs output (Long for 64-bit ints, Uint8Array for bytes) and
 * OTLP/JSON (int64 as strings or numbers, ids as hex, other bytes as base64).
 * https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding
 */
import Long from 'long';

/** A request body that cannot be read as OTLP: answered 400 naming the field. */
export class OtlpDecodeError extends Error {
  override name = 'OtlpDecodeError';
}

type Int64Input = Long | string | number | bigint | null | undefined;

/** An unsigned 64-bit field (nanosecond times, counts) as a bigint; 0n when absent. */
export function readUint64(value: Int64Input, path: string): bigint {
  if (value === null || value === undefined) return 0n;
  if (value instanceof Long) {
    return (BigInt(value.high >>> 0) << 32n) | BigInt(value.low >>> 0);
  }
  return readDecimal(value, path, false);
}

/** A signed 64-bit field (int attribute values, asInt points) as a bigint. */
export function readInt64(value: Int64Input, path: string): bigint {
  if (value === null || value === undefined) return 0n;
  if (value instanceof Long) {
    if (value.high === 0 && value.low >= 0) return BigInt(value.low);
    return (BigInt(value.high) << 32n) | BigInt(value.low >>> 0);
  }
  return readDecimal(value, path, true);
}

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);
const UINT64_MAX = 2n ** 64n - 1n;

function readDecimal(value: string | number | bigint, path: string, signed: boolean): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new OtlpDecodeError(`${path}: expected an integer, got ${value}`);
    if (!signed && value < 0) throw new OtlpDecodeError(`${path}: expected a non-negative integer, got ${value}`);
    const n = BigInt(Math.trunc(value));
    if (n > (signed ? INT64_MAX : UINT64_MAX) || n < (signed ? INT64_MIN : 0n)) throw new OtlpDecodeError(`${path}: ${value} is out of the ${signed ? 'int64' : 'uint64'} range`);
    return n;
  }
  if (typeof value === 'string' && (signed ? /^-?\d{1,20}$/ : /^\d{1,20}$/).test(value)) {
    const n = BigInt(value);
    if (n > (signed ? INT64_MAX : UINT64_MAX) || n < (signed ? INT64_MIN : 0n)) throw new OtlpDecodeError(`${path}: ${value} is out of the ${signed ? 'int64' : 'uint64'} range`);
    return n;
  }
  throw new OtlpDecodeError(`${path}: expected ${signed ? 'an' : 'a non-negative'} integer as a number or decimal string, got ${JSON.stringify(value)}`);
}

/** A 32-bit or smaller integer field (flags, counts, enums given as numbers). */
export function readInt(value: unknown, path: string): number {
  if (value === null || value === undefined) return 0;
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return Number(value);
  throw new OtlpDecodeError(`${path}: expected an integer, got ${JSON.stringify(value)}`);
}

/** An enum field: the integer the specification mandates, or (leniently) its name in JSON. */
export function readEnum(value: unknown, names: Record<string, number>, path: string): number {
  if (typeof value === 'string' && value in names) return names[value]!;
  return readInt(value, path);
}

/** An enum stored in one byte (span kind, severity number): 0-255, or a decode error. */
export function readByteEnum(value: unknown, names: Record<string, number>, path: string): number {
  const n = readEnum(value, names, path);
  if (n < 0 || n > 255) throw new OtlpDecodeError(`${path}: expected a value from 0 to 255, got ${n}`);
  return n;
}

/** A double field; OTLP/JSON may carry NaN and infinities as strings. */
export function readDouble(value: unknown, path: string): number {
  if (value === null || value === undefined) return 0;
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value))) return Number(value);
  if (value === 'NaN') return NaN;
  throw new OtlpDecodeError(`${path}: expected a number, got ${JSON.stringify(value)}`);
}

/** A string field. */
export function readString(value: unknown, path: string): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  throw new OtlpDecodeError(`${path}: expected a string, got ${typeof value}`);
}

/**
 * A trace or span id of exactly `bytes` bytes (hex in JSON). Returns null when
 * absent or empty and `optional`; an id of the wrong length, or all zeros, is
 * a decode error, as the OTLP specification defines such ids as invalid.
 */
export function readId(value: unknown, bytes: number, path: string, optional: boolean): Uint8Array | null {
  let id: Uint8Array;
  if (value === null || value === undefined || (value as { length?: number }).length === 0) {
    if (optional) return null;
    throw new OtlpDecodeError(`${path}: required, expected ${bytes} bytes`);
  }
  if (typeof value === 'string') {
    if (value.length !== bytes * 2 || !/^[0-9a-fA-F]+$/.test(value)) {
      throw new OtlpDecodeError(`${path}: expected ${bytes * 2} hex digits, got ${JSON.stringify(value.slice(0, 80))}`);
    }
    id = Buffer.from(value, 'hex');
  } else if (value instanceof Uint8Array) {
    if (value.length !== bytes) throw new OtlpDecodeError(`${path}: expected ${bytes} bytes, got ${value.length}`);
    id = value;
  } else {
    throw new OtlpDecodeError(`${path}: expected a hex string`);
  }
  for (let i = 0; i < id.length; i++) if (id[i] !== 0) return id;
  if (optional) return null;
  throw new OtlpDecodeError(`${path}: an all-zero id is invalid`);
}

/** A bytes field that is not an id: base64 in JSON. Copied, so a kept value does not pin the whole request body. */
export function readBytes(value: unknown, path: string): Uint8Array {
  if (value instanceof Uint8Array) return Buffer.from(value);
  if (typeof value === 'string') return Buffer.from(value, 'base64');
  throw new OtlpDecodeError(`${path}: expected base64 bytes`);
}

/** A repeated field: an array in both encodings, absent means empty. */
export function readList<T>(value: unknown, path: string): readonly T[] {
  if (value === null || value === undefined) return [];
  if (Array.isArray(value)) return value as T[];
  throw new OtlpDecodeError(`${path}: expected an array`);
}

/** A message field: an object in both encodings, or null when absent. */
export function readMessage<T extends object>(value: unknown, path: string): T | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'object' && !Array.isArray(value)) return value as T;
  throw new OtlpDecodeError(`${path}: expected an object`);
}

/** Rethrows a decode error with the path of the item it happened in. */
export function rethrowAt(error: unknown, path: string): never {
  if (error instanceof OtlpDecodeError) throw new OtlpDecodeError(`${path}.${error.message}`);
  if (error instanceof RangeError) throw new OtlpDecodeError(`${path}: nested too deeply to decode`);
  throw error;
}
