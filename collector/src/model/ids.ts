/** Lower-case hex of a trace or span id. */
export function idToHex(id: Uint8Array): string {
  return Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('hex');
}

/**
 * Parses a hex trace or span id of `bytes` bytes. Shorter ids are left-padded
 * with zeros, as Jaeger accepts 64-bit trace ids; returns null when the text
 * is not hex or too long.
 */
export function hexToId(hex: string, bytes: number): Buffer | null {
  if (hex.length === 0 || hex.length > bytes * 2 || !/^[0-9a-fA-F]+$/.test(hex)) return null;
  return Buffer.from(hex.padStart(bytes * 2, '0'), 'hex');
}

/**
 * The first 8 bytes of a trace id as a signed 64-bit integer. Stored beside the
 * full id so that lookups compare one BIGINT column instead of blobs.
 */
export function traceKey(traceId: Uint8Array): bigint {
  return Buffer.from(traceId.buffer, traceId.byteOffset, traceId.byteLength).readBigInt64BE(0);
}
