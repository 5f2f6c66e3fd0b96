import { hexToId } from '../model/ids.ts';
import { parseDurationMs } from '../config/parseValue.ts';

/** A query parameter that cannot be used: answered 400 with the parameter's name. */
export class ParamError extends Error {
  override name = 'ParamError';
  readonly param: string;
  constructor(param: string, message: string) {
    super(`${param}: ${message}`);
    this.param = param;
  }
}

/** A resource that does not exist: answered 404. */
export class NotFoundError extends Error {
  override name = 'NotFoundError';
}

/** The HTTP status for an error thrown by a query handler. */
export function statusOf(error: unknown): number {
  return error instanceof ParamError ? 400 : error instanceof NotFoundError ? 404 : 500;
}

/** The first value of a query parameter, or undefined when absent or empty. */
export function param(query: Record<string, unknown>, name: string): string | undefined {
  const v = query[name];
  const first = Array.isArray(v) ? v[0] : v;
  return typeof first === 'string' && first !== '' ? first : undefined;
}

/** A Unix-microseconds timestamp (Jaeger's `start`/`end`) as nanoseconds. */
export function parseMicros(name: string, text: string): bigint {
  if (!/^\d{1,19}$/.test(text)) throw new ParamError(name, `expected Unix microseconds (digits), got ${JSON.stringify(text)}`);
  return BigInt(text) * 1000n;
}

/** A Unix-milliseconds integer (Jaeger's `endTs`) as nanoseconds. */
export function parseMillis(name: string, text: string): bigint {
  if (!/^\d{1,16}$/.test(text)) throw new ParamError(name, `expected Unix milliseconds (digits), got ${JSON.stringify(text)}`);
  return BigInt(text) * 1_000_000n;
}

/** A time as RFC 3339 (`2026-11-21T10:00:00Z`, fractions to nanoseconds) or Unix milliseconds, as nanoseconds. */
export function parseTime(name: string, text: string): bigint {
  if (/^\d{1,16}$/.test(text)) return BigInt(text) * 1_000_000n;
  const m = /^(\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$/.exec(text);
  const ms = m === null ? NaN : Date.parse(`${m[1]}${m[3]}`);
  if (m === null || Number.isNaN(ms)) {
    throw new ParamError(name, `expected an RFC 3339 time (2026-11-21T10:00:00Z) or Unix milliseconds, got ${JSON.stringify(text)}`);
  }
  return BigInt(ms) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}

/** A duration such as `250ms` or `1.5s` (Go's spelling, as Jaeger takes it) as nanoseconds. */
export function parseDuration(name: string, text: string): bigint {
  const ms = parseDurationMs(text);
  if (ms === null) throw new ParamError(name, `expected a duration such as 250ms, 1.5s or 2m, got ${JSON.stringify(text)}`);
  return BigInt(Math.round(ms * 1e6));
}

/** A positive integer no larger than `max`. */
export function parseLimit(name: string, text: string | undefined, fallback: number, max: number): number {
  if (text === undefined) return Math.min(fallback, max);
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1) throw new ParamError(name, `expected a positive integer, got ${JSON.stringify(text)}`);
  if (n > max) throw new ParamError(name, `at most ${max} (the configured maximum), got ${n}`);
  return n;
}

/** A hex trace id (16 bytes; shorter ids are left-padded as Jaeger does). */
export function parseTraceId(name: string, text: string): Buffer {
  const id = hexToId(text, 16);
  if (id === null) throw new ParamError(name, `expected a trace id of up to 32 hex digits, got ${JSON.stringify(text.slice(0, 64))}`);
  return id;
}

/** A hex span id (8 bytes). */
export function parseSpanId(name: string, text: string): Buffer {
  const id = text.length === 16 ? hexToId(text, 8) : null;
  if (id === null) throw new ParamError(name, `expected a span id of 16 hex digits, got ${JSON.stringify(text.slice(0, 64))}`);
  return id;
}

/** Unix nanoseconds as RFC 3339 with nanoseconds. */
export function formatNanos(ns: bigint): string {
  const ms = ns / 1_000_000n;
  const iso = new Date(Number(ms)).toISOString(); // 2026-11-21T10:00:00.123Z
  const frac = (ns % 1_000_000_000n).toString().padStart(9, '0');
  return `${iso.slice(0, 19)}.${frac}Z`;
}
