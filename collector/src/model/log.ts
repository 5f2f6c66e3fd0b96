import type { AttributeValue, Attributes } from './attributes.ts';

/** One log record with everything OTLP carries for it, its resource and scope included. */
export interface LogRecord {
  /** Event time; the observed time when the sender left it unset. */
  timeUnixNano: bigint;
  observedTimeUnixNano: bigint;
  severityNumber: number;
  severityText: string;
  body: AttributeValue;
  attributes: Attributes;
  droppedAttributesCount: number;
  flags: number;
  /** 16 bytes, or null when the record was made outside a trace. */
  traceId: Uint8Array | null;
  /** 8 bytes, or null. */
  spanId: Uint8Array | null;
  eventName: string;
  serviceName: string;
  resource: Attributes;
  scopeName: string;
  scopeVersion: string;
  scopeAttributes: Attributes;
}

/** The severity-number range of each level name of the OTel log data model (TRACE 1-4 ... FATAL 21-24). */
export const SEVERITY_LEVELS: Record<string, [number, number]> = {
  trace: [1, 4],
  debug: [5, 8],
  info: [9, 12],
  warn: [13, 16],
  error: [17, 20],
  fatal: [21, 24],
};

/** Level names and the common aliases senders use for them, lower case. */
export const SEVERITY_ALIASES: Record<string, string> = {
  warning: 'warn',
  err: 'error',
  critical: 'fatal',
  crit: 'fatal',
  emerg: 'fatal',
  alert: 'fatal',
  notice: 'info',
  verbose: 'debug',
  silly: 'trace',
};

/**
 * The level names (and their aliases) wholly inside the severity-number
 * ranges: what a record that carries only a severity text (number 0) must say
 * to match a severity search.
 */
export function levelNamesWithin(ranges: ReadonlyArray<[number, number]>): string[] {
  const names: string[] = [];
  for (const [level, [lo, hi]] of Object.entries(SEVERITY_LEVELS)) {
    if (ranges.some(([a, b]) => a <= lo && hi <= b)) names.push(level);
  }
  for (const [alias, level] of Object.entries(SEVERITY_ALIASES)) if (names.includes(level)) names.push(alias);
  return names;
}
