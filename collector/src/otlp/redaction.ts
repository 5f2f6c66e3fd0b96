import type { AttributeValue } from '../model/attributes.ts';
import type { LimitStats } from './limits.ts';

/** What a redacted value is stored as. */
export const REDACTED = '[REDACTED]';

/**
 * Attribute keys whose values are never stored, by default: credentials in
 * HTTP headers as the OpenTelemetry conventions name them
 * (`http.request.header.authorization`), plain header names, and the usual
 * secret-bearing keys.
 */
export const DEFAULT_REDACTED_KEYS = String.raw`(^|[._-])(authorization|proxy-authorization|cookie|set-cookie|x-api-key|api[-_]?key|password|passwd|secret|access[-_]?token|refresh[-_]?token)$`;

/** Attribute keys whose verdict is remembered. */
const MAX_REMEMBERED_KEYS = 10_000;

/** Value patterns that can be named in `--redact-values`. */
export const VALUE_DETECTORS = ['card', 'email'] as const;
export type ValueDetector = (typeof VALUE_DETECTORS)[number];

// 13 to 19 digits, optionally grouped by spaces or dashes: card-number-like, confirmed by
// the issuer's range and the Luhn check.
const CARD_LIKE = /\b\d(?:[ -]?\d){12,18}\b/g;
// Payment cards' first digits (ISO/IEC 7812 major industry identifiers 3 to 6, and the
// Mastercard 2-series 22-27). Without it, one Unix time in ten in milliseconds (13 digits)
// or nanoseconds (19) passes the Luhn check; those begin with 1 (nanoseconds until 2033, then 20).
// Not detected: airline UATP cards, which begin with 1.
const CARD_ISSUER = /^(?:[3-6]|2[2-7])/;
const EMAIL = /[\w.%+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}/g;

function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return sum % 10 === 0;
}

/**
 * Redaction before anything is stored: values of attributes whose key
 * matches (at any nesting), and card numbers or e-mail addresses inside
 * string values and log bodies, are replaced. Counts what it replaced.
 */
export class Redaction {
  private readonly keys: RegExp | null;
  private readonly cards: boolean;
  private readonly emails: boolean;
  private readonly verdicts = new Map<string, boolean>();

  constructor(options: { keys: string; values: readonly ValueDetector[] }) {
    this.keys = options.keys === '' ? null : new RegExp(options.keys, 'i');
    this.cards = options.values.includes('card');
    this.emails = options.values.includes('email');
  }

  /** True when the key's value must not be stored. Keys repeat on every item, so each is tested once. */
  redactsKey(key: string): boolean {
    if (this.keys === null) return false;
    let verdict = this.verdicts.get(key);
    if (verdict === undefined) {
      verdict = this.keys.test(key);
      // Bounded: a stream of distinct keys (an attack, or ids as keys) is tested each time instead.
      if (this.verdicts.size < MAX_REMEMBERED_KEYS) this.verdicts.set(key, verdict);
    }
    return verdict;
  }

  /** A string with card numbers and e-mail addresses replaced (as configured). */
  text(s: string, stats: LimitStats): string {
    let out = s;
    // Cheap tests first: most strings have neither a run of digits nor an @.
    if (this.cards && /\d{4}/.test(out)) {
      out = out.replace(CARD_LIKE, (m) => {
        const digits = m.replace(/[ -]/g, '');
        if (!CARD_ISSUER.test(digits) || !luhn(digits)) return m;
        stats.redacted++;
        return REDACTED;
      });
    }
    if (this.emails && out.includes('@')) {
      out = out.replace(EMAIL, () => {
        stats.redacted++;
        return REDACTED;
      });
    }
    return out;
  }

  /** An attribute value under `key`, redacted as the rules say (recursively for arrays; maps are redacted key by key when read). */
  value(key: string, value: AttributeValue, stats: LimitStats): AttributeValue {
    if (this.redactsKey(key)) {
      stats.redacted++;
      return REDACTED;
    }
    return this.inValue(value, stats);
  }

  /** Card numbers and e-mail addresses inside a value (a log body, an array). */
  inValue(value: AttributeValue, stats: LimitStats): AttributeValue {
    if (typeof value === 'string') return this.text(value, stats);
    if (Array.isArray(value)) return value.map((v) => this.inValue(v, stats));
    return value;
  }
}

/** Parses `--redact-values`: a comma-separated list of detectors, or `none`. */
export function parseValueDetectors(text: string): ValueDetector[] | { error: string } {
  if (text.trim() === '' || text.trim() === 'none') return [];
  const names = text.split(',').map((s) => s.trim());
  const unknown = names.filter((n) => !(VALUE_DETECTORS as readonly string[]).includes(n));
  return unknown.length > 0 ? { error: `expected ${VALUE_DETECTORS.join(', ')} or none, comma-separated; got ${JSON.stringify(unknown.join(','))}` } : (names as ValueDetector[]);
}
