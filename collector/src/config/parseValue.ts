import type { OptionType } from './options.ts';

const DURATION_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const BYTE_UNITS: Record<string, number> = { '': 1, b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };

/**
 * Parses a duration such as `250ms`, `1.5s`, `1h30m` or `7d` (Go and Prometheus
 * spellings) to milliseconds; returns null when the text is not one.
 */
export function parseDurationMs(text: string): number | null {
  const s = text.trim();
  if (s === '' ) return null;
  if (s === '0') return 0;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d|w)/gy;
  let total = 0;
  let end = 0;
  for (let m = re.exec(s); m !== null; m = re.exec(s)) {
    total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
    end = re.lastIndex;
  }
  return end === s.length && end > 0 ? total : null;
}

/** Parses a size such as `16MiB`, `512kb` or `1048576` to bytes; null when it is not one. */
export function parseBytes(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)\s*([a-zA-Z]*)$/.exec(text.trim());
  if (m === null) return null;
  const unit = BYTE_UNITS[m[2]!.toLowerCase()];
  return unit === undefined ? null : Math.round(Number(m[1]) * unit);
}

/** The value of one option, or an error message saying what was expected. */
export function parseOptionValue(type: OptionType, raw: unknown): { value: string | number | boolean } | { error: string } {
  const text = typeof raw === 'string' ? raw : typeof raw === 'number' || typeof raw === 'boolean' ? String(raw) : null;
  if (text === null) return { error: `expected a ${type}, got ${raw === null ? 'null' : typeof raw}` };
  switch (type) {
    case 'string':
      return { value: text };
    case 'boolean':
      if (/^(true|1|yes)$/i.test(text)) return { value: true };
      if (/^(false|0|no)$/i.test(text)) return { value: false };
      return { error: `expected true or false, got ${JSON.stringify(text)}` };
    case 'port': {
      if (text === 'off') return { value: -1 };
      const n = Number(text);
      return Number.isInteger(n) && n >= 0 && n <= 65535 ? { value: n } : { error: `expected a port number 0-65535 or off, got ${JSON.stringify(text)}` };
    }
    case 'int': {
      const n = Number(text);
      return Number.isInteger(n) && n > 0 ? { value: n } : { error: `expected a positive integer, got ${JSON.stringify(text)}` };
    }
    case 'count': {
      const n = Number(text);
      return text.trim() !== '' && Number.isInteger(n) && n >= 0 ? { value: n } : { error: `expected 0 or a positive integer, got ${JSON.stringify(text)}` };
    }
    case 'bytes': {
      const n = parseBytes(text);
      return n !== null && n > 0 ? { value: n } : { error: `expected a size such as 16MiB or 1048576, got ${JSON.stringify(text)}` };
    }
    case 'duration': {
      const n = parseDurationMs(text);
      return n !== null ? { value: n } : { error: `expected a duration such as 250ms, 30s or 7d, got ${JSON.stringify(text)}` };
    }
  }
}
