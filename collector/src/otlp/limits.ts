import type { Redaction } from './redaction.ts';

/** Limits applied to every decoded item; over-limit data is truncated and counted, never silently dropped. */
export interface ItemLimits {
  /** Sensitive values replaced before anything is stored; absent for none. */
  redaction?: Redaction;
  /** Attributes kept per span, log record, event, link, resource or scope (extra ones count as dropped). */
  maxAttributes: number;
  /** UTF-8 bytes kept per string value; longer values are cut at a character boundary. */
  maxValueBytes: number;
  /** Nesting levels kept in array and map values; deeper levels are replaced by a marker string. */
  maxDepth: number;
}

/** Defaults from the collector's configuration. */
export const DEFAULT_ITEM_LIMITS: ItemLimits = { maxAttributes: 128, maxValueBytes: 16 * 1024, maxDepth: 64 };

/** What one request's decoding cut short, for partial-success messages and the collector's metrics. */
export class LimitStats {
  truncatedValues = 0;
  droppedAttributes = 0;
  truncatedDepth = 0;
  /** Values replaced by redaction (not a truncation: counted apart). */
  redacted = 0;

  /** Total number of truncations of any kind. */
  get total(): number {
    return this.truncatedValues + this.droppedAttributes + this.truncatedDepth;
  }
}
