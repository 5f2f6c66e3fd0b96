import type { IncomingMessage } from 'node:http';
import zlib from 'node:zlib';
import type { ByteBudget } from './ByteBudget.ts';

/** Why a body could not be read, with the HTTP status to answer. */
export class BodyError extends Error {
  override name = 'BodyError';
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/**
 * Reads a request body, inflating gzip or deflate, and stops as soon as the
 * decompressed size passes `limit`: a gzip bomb is cut off after `limit`
 * bytes, never inflated whole. Every byte read is taken from `budget`; on
 * success the caller gives back `body.length` when done with the body, on
 * failure readBody has given back what it took.
 */
export function readBody(req: IncomingMessage, limit: number, budget: ByteBudget, options: { raw?: boolean } = {}): Promise<Buffer> {
  // `raw`: the caller decodes the body itself (remote write's snappy), so it is read as it came.
  const encoding = options.raw === true ? 'identity' : String(req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  let source: NodeJS.ReadableStream;
  if (encoding === 'identity' || encoding === '') {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      return Promise.reject(new BodyError(413, `request body of ${declared} bytes is over the limit of ${limit} bytes`));
    }
    source = req;
  } else if (encoding === 'gzip' || encoding === 'x-gzip' || encoding === 'deflate') {
    const inflater = encoding === 'deflate' ? zlib.createInflate() : zlib.createGunzip();
    req.pipe(inflater);
    req.on('error', (e) => inflater.destroy(e));
    source = inflater;
  } else {
    return Promise.reject(new BodyError(415, `Content-Encoding ${JSON.stringify(encoding)} is not supported (use gzip or none)`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const fail = (error: BodyError) => {
      if (done) return;
      done = true;
      budget.release(size);
      if (source !== req) (source as zlib.Gunzip).destroy();
      req.unpipe();
      req.resume(); // discard the rest without holding it
      reject(error);
    };
    source.on('data', (chunk: Buffer) => {
      if (done) return;
      if (size + chunk.length > limit) {
        fail(new BodyError(413, `request body is over the limit of ${limit} bytes${source === req ? '' : ' after decompression'}`));
        return;
      }
      if (!budget.tryReserve(chunk.length)) {
        fail(new BodyError(503, budget.refusal()));
        return;
      }
      size += chunk.length;
      chunks.push(chunk);
    });
    source.on('error', (e: Error) => fail(new BodyError(400, `cannot decompress the ${encoding} body: ${e.message}`)));
    source.on('end', () => {
      if (done) return;
      done = true;
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    });
    req.on('aborted', () => fail(new BodyError(400, 'the client aborted the request')));
  });
}
