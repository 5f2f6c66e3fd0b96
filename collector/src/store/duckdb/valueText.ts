import type { AttributeValue } from '../../model/attributes.ts';

/**
 * An attribute value as the text a tag search compares with, the same text
 * DuckDB's json_extract_string gives for the stored JSON: strings as they
 * are, ints as digits, whole doubles with ".0", others as JSON.
 */
export function valueText(value: AttributeValue): string {
  switch (typeof value) {
    case 'string':
      return value;
    case 'bigint':
    case 'boolean':
      return String(value);
    case 'number':
      return Number.isInteger(value) ? value.toFixed(1) : String(value);
    default:
      return JSON.stringify(value);
  }
}
