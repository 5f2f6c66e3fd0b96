import snappy from 'snappy';
import { writeRequestType } from './remoteWriteSchema.ts';

const STALE_BYTES = Buffer.from([0x02, 0, 0, 0, 0, 0, 0xf0, 0x7f]);
const QUIETED_STALE = Buffer.from([0x02, 0, 0, 0, 0, 0, 0xf8, 0x7f]);

/**
 * A remote-write 1.0 body (snappy-compressed `prometheus.WriteRequest`) of
 * the request object. V8 sets the quiet bit of the stale-marker NaN on its
 * way through the encoder; Prometheus knows the marker by its exact bits
 * (0x7ff0000000000002), so the encoded bytes get them back.
 */
export function remoteWriteBody(request: object): Buffer {
  const raw = Buffer.from(writeRequestType.encode(writeRequestType.fromObject(request)).finish());
  for (let at = raw.indexOf(QUIETED_STALE); at !== -1; at = raw.indexOf(QUIETED_STALE, at + 8)) STALE_BYTES.copy(raw, at);
  return snappy.compressSync(raw);
}
