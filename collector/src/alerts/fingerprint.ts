import type { Labels } from '../model/metric.ts';

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK = 0xffffffffffffffffn;
const encoder = new TextEncoder();

/**
 * Prometheus' fingerprint of a label set (model.LabelsToSignature: FNV-1a
 * 64 over the sorted names and values, each followed by the 0xff separator),
 * as 16 hex digits: the identity of an alert, equal to the one Prometheus
 * and Alertmanager compute for the same labels.
 */
export function labelsFingerprint(labels: Labels): string {
  let hash = FNV_OFFSET;
  const mix = (text: string) => {
    for (const byte of encoder.encode(text)) hash = ((hash ^ BigInt(byte)) * FNV_PRIME) & MASK;
    hash = ((hash ^ 0xffn) * FNV_PRIME) & MASK;
  };
  for (const name of Object.keys(labels).sort()) {
    mix(name);
    mix(labels[name]!);
  }
  return hash.toString(16).padStart(16, '0');
}
