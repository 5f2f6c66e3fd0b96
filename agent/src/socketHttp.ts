import type * as Net from 'node:net';

/*
 * The agent's HTTP client for its own exports (spans, log records, metric
 * pushes): HTTP/1.1 POSTs written on a net.Socket (a TLS socket for https),
 * with keep-alive, and the answer read here.
 *
 * Why not Node's http client: its objects (ClientRequest, the response's
 * IncomingMessage, their sockets) go through the same functions of Node's
 * http and stream code as the service's own requests and responses. With the
 * agent's span exports on, V8 deoptimized about 70 more of those functions
 * under load ("wrong map"), and the exports cost the agent 5–13% of its CPU
 * per request, far more than their own work; over this client, the http
 * functions are no longer among them, and the cost went (one-off A/B runs,
 * agent/README.md, 2026-12-07). `npm run bench -- agent`, the same machine
 * and day: 68% of bare throughput before, 57–77% in four runs after (the
 * machine's noise is as large as the change).
 *
 * What the client does: POST with Content-Length, one request at a time per
 * connection, idle connections kept for IDLE_MS and then closed, a deadline
 * per exchange, the answer's status, headers and body (Content-Length,
 * chunked, or up to the connection's close), bounded in size.
 */

const net = process.getBuiltinModule('node:net');

/** An idle connection is closed after this long: under Node's default server keep-alive timeout (5 s), so the server rarely closes it first. */
const IDLE_MS = 4000;
/** Largest answer header block and body read; beyond, the exchange fails. */
const MAX_HEAD_BYTES = 64 * 1024;
const MAX_BODY_BYTES = 4 * 1024 * 1024;
/** The longest wait a Retry-After header is taken at. */
const MAX_RETRY_AFTER_MS = 5 * 60_000;

/** What a TLS connection is made with, beyond the system's defaults. */
export interface TlsOptions {
  ca?: string | Buffer | Array<string | Buffer>;
  cert?: string | Buffer | Array<string | Buffer>;
  key?: string | Buffer | Array<string | Buffer>;
}

export interface HttpAnswer {
  statusCode: number;
  statusMessage: string;
  /** Header names in lowercase; repeated headers joined by ', '. */
  headers: Record<string, string>;
  body: Buffer;
}

/** An exchange that failed below HTTP: `code` is the socket's error code (ECONNREFUSED, ECONNRESET, …) or ETIMEDOUT for the deadline. */
export class HttpExchangeError extends Error {
  readonly code: string;
  constructor(message: string, code: string) {
    super(message);
    this.name = 'HttpExchangeError';
    this.code = code;
  }
}

/** Reads one HTTP/1.x answer from the bytes given to `push`. */
class AnswerReader {
  private pending: Buffer = Buffer.alloc(0);
  private state: 'head' | 'length' | 'chunk-size' | 'chunk-data' | 'trailers' | 'until-close' | 'done' = 'head';
  private remaining = 0;
  private readonly parts: Buffer[] = [];
  private bodyBytes = 0;
  statusCode = 0;
  statusMessage = '';
  headers: Record<string, string> = {};
  /** Whether the connection can carry another request once this answer is read. */
  keepAlive = false;
  /** Whether any byte of the answer arrived. */
  started = false;

  /** Takes the next bytes; returns true once the answer is complete. Throws on a malformed or oversized answer. */
  push(chunk: Buffer): boolean {
    this.started = true;
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    for (;;) {
      switch (this.state) {
        case 'head': {
          const head = this.takeUntil('\r\n\r\n', MAX_HEAD_BYTES, 'answer headers');
          if (head === null) return false;
          this.readHead(head);
          break;
        }
        case 'length':
          if (!this.takeSegment(0)) return false;
          this.state = 'done';
          break;
        case 'chunk-size': {
          const line = this.takeUntil('\r\n', 1024, 'a chunk size line');
          if (line === null) return false;
          const size = Number.parseInt(line.split(';')[0]!.trim(), 16);
          if (!Number.isSafeInteger(size) || size < 0) throw new Error('malformed chunk size');
          this.state = size === 0 ? 'trailers' : 'chunk-data';
          this.remaining = size + 2; // the chunk and its CRLF
          break;
        }
        case 'chunk-data':
          if (!this.takeSegment(2)) return false;
          this.state = 'chunk-size';
          break;
        case 'trailers': {
          // Trailer fields, if any, up to an empty line; not kept.
          const line = this.takeUntil('\r\n', MAX_HEAD_BYTES, 'a trailer line');
          if (line === null) return false;
          if (line === '') this.state = 'done';
          break;
        }
        case 'until-close':
          if (this.pending.length > 0) this.body(this.pending);
          this.pending = Buffer.alloc(0);
          return false;
        case 'done':
          return true;
      }
    }
  }

  /** The connection ended: completes an answer read up to the close, fails any other. */
  end(): boolean {
    if (this.state !== 'until-close') return false;
    this.state = 'done';
    return true;
  }

  get bodyBuffer(): Buffer {
    return this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts);
  }

  /** The pending bytes before `delimiter`, as text, taken with it; null until it arrives, an error once `limit` bytes came without it. */
  private takeUntil(delimiter: string, limit: number, what: string): string | null {
    const at = this.pending.indexOf(delimiter);
    if (at === -1) {
      if (this.pending.length > limit) throw new Error(`${what} longer than ${limit} bytes`);
      return null;
    }
    const text = this.pending.toString('latin1', 0, at);
    this.pending = this.pending.subarray(at + delimiter.length);
    return text;
  }

  /**
   * Takes up to `remaining` of the pending bytes, all of them body but the
   * last `framing` (a chunk's closing CRLF); true once the whole segment has
   * arrived.
   */
  private takeSegment(framing: number): boolean {
    const n = Math.min(this.remaining, this.pending.length);
    const data = Math.min(n, this.remaining - framing);
    if (data > 0) this.body(this.pending.subarray(0, data));
    this.pending = this.pending.subarray(n);
    this.remaining -= n;
    return this.remaining === 0;
  }

  private body(bytes: Buffer): void {
    this.bodyBytes += bytes.length;
    if (this.bodyBytes > MAX_BODY_BYTES) throw new Error(`answer body larger than ${MAX_BODY_BYTES} bytes`);
    this.parts.push(Buffer.from(bytes)); // a copy: the socket's chunk may be reused
  }

  private readHead(head: string): void {
    const lines = head.split('\r\n');
    const status = /^HTTP\/1\.([01]) (\d{3})(?: (.*))?$/.exec(lines[0]!);
    if (status === null) throw new Error(`not an HTTP/1.x status line: ${JSON.stringify(lines[0]!.slice(0, 80))}`);
    const code = Number(status[2]);
    if (code >= 100 && code < 200) return; // an interim answer (100 Continue): the final one follows
    const headers: Record<string, string> = {};
    for (let i = 1; i < lines.length; i++) {
      const colon = lines[i]!.indexOf(':');
      if (colon <= 0) throw new Error(`malformed header line: ${JSON.stringify(lines[i]!.slice(0, 80))}`);
      const name = lines[i]!.slice(0, colon).trim().toLowerCase();
      const value = lines[i]!.slice(colon + 1).trim();
      headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
    }
    this.statusCode = code;
    this.statusMessage = status[3] ?? '';
    this.headers = headers;
    const connection = (headers.connection ?? '').toLowerCase();
    this.keepAlive = status[1] === '1' ? !connection.includes('close') : connection.includes('keep-alive');
    const transferEncoding = (headers['transfer-encoding'] ?? '').toLowerCase();
    if (code === 204 || code === 304) this.state = 'done';
    else if (transferEncoding.includes('chunked')) this.state = 'chunk-size';
    else if (headers['content-length'] !== undefined) {
      const length = Number(headers['content-length']);
      if (!Number.isSafeInteger(length) || length < 0) throw new Error(`malformed Content-Length: ${headers['content-length']}`);
      if (length > MAX_BODY_BYTES) throw new Error(`answer body larger than ${MAX_BODY_BYTES} bytes`);
      this.remaining = length;
      this.state = length === 0 ? 'done' : 'length';
    } else {
      this.state = 'until-close';
      this.keepAlive = false;
    }
  }
}

/** One exchange in flight on a connection. */
interface Exchange {
  reader: AnswerReader;
  resolve: (answer: HttpAnswer) => void;
  reject: (error: Error) => void;
  deadline: NodeJS.Timeout;
}

/** A socket to one origin, carrying one exchange at a time. */
class Connection {
  readonly socket: Net.Socket;
  exchange: Exchange | null = null;
  idleTimer: NodeJS.Timeout | null = null;
  /** Set once it has carried an exchange: a reused connection the server may have closed meanwhile. */
  reused = false;
  closed = false;

  constructor(socket: Net.Socket, onIdleClose: (c: Connection) => void) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => this.fail(new HttpExchangeError(error.message, error.code ?? 'ECONNRESET')));
    socket.on('close', () => {
      this.closed = true;
      if (this.idleTimer !== null) clearTimeout(this.idleTimer);
      const exchange = this.exchange;
      if (exchange !== null && exchange.reader.end()) this.complete();
      else this.fail(new HttpExchangeError('the connection closed before the answer was complete', 'ECONNRESET'));
      onIdleClose(this);
    });
  }

  private onData(chunk: Buffer): void {
    const exchange = this.exchange;
    if (exchange === null) {
      // Bytes nobody asked for: the connection is out of step; drop it.
      this.socket.destroy();
      return;
    }
    let complete: boolean;
    try {
      complete = exchange.reader.push(chunk);
    } catch (error) {
      this.socket.destroy();
      this.fail(new HttpExchangeError(`malformed answer: ${(error as Error).message}`, 'EPROTO'));
      return;
    }
    if (complete) this.complete();
  }

  private complete(): void {
    const exchange = this.exchange!;
    this.exchange = null;
    clearTimeout(exchange.deadline);
    const r = exchange.reader;
    if (!r.keepAlive) this.socket.destroy();
    exchange.resolve({ statusCode: r.statusCode, statusMessage: r.statusMessage, headers: r.headers, body: r.bodyBuffer });
  }

  fail(error: Error): void {
    const exchange = this.exchange;
    if (exchange === null) return;
    this.exchange = null;
    clearTimeout(exchange.deadline);
    this.socket.destroy();
    exchange.reject(error);
  }
}

/**
 * POSTs over keep-alive connections, per origin (scheme, host, port). Idle
 * connections do not keep the process alive, and close after IDLE_MS.
 */
export class SocketHttpClient {
  private readonly idle = new Map<string, Connection[]>();

  /**
   * POSTs `body` to `url`; the whole exchange (connecting included) must end
   * within `timeoutMs`. `tls` (root certificates, a client certificate and
   * key) applies to a new connection to an https URL.
   */
  async post(url: URL, headers: Record<string, string>, body: Uint8Array | string, timeoutMs: number, tls?: TlsOptions): Promise<HttpAnswer> {
    const bytes = typeof body === 'string' ? Buffer.from(body) : body;
    return await this.exchange(url, headers, bytes, timeoutMs, tls, true);
  }

  /** Closes the idle connections. */
  close(): void {
    for (const list of this.idle.values()) for (const c of list) c.socket.destroy();
    this.idle.clear();
  }

  private exchange(url: URL, headers: Record<string, string>, body: Uint8Array, timeoutMs: number, tls: TlsOptions | undefined, mayRetryStale: boolean): Promise<HttpAnswer> {
    const head = requestHead(url, headers, body.length);
    const origin = `${url.protocol}//${url.host}`;
    const connection = this.takeIdle(origin) ?? this.connect(url, origin, tls);
    const reused = connection.reused;
    connection.reused = true;
    const promise = new Promise<HttpAnswer>((resolve, reject) => {
      const deadline = setTimeout(() => connection.fail(new HttpExchangeError(`no answer within ${timeoutMs} ms`, 'ETIMEDOUT')), timeoutMs);
      connection.exchange = {
        reader: new AnswerReader(),
        resolve: (answer) => {
          if (!connection.closed && connection.socket.writable) this.putIdle(origin, connection);
          resolve(answer);
        },
        reject,
        deadline,
      };
    });
    connection.socket.ref();
    const s = connection.socket;
    s.cork();
    s.write(head);
    s.write(body);
    s.uncork();
    if (!reused || !mayRetryStale) return promise;
    // A kept-alive connection the server closed just before this request fails
    // without a byte of answer: that one is sent again, once, on a new connection.
    const reader = connection.exchange!.reader;
    return promise.catch((error: unknown) => {
      if (error instanceof HttpExchangeError && error.code !== 'ETIMEDOUT' && !reader.started) return this.exchange(url, headers, body, timeoutMs, tls, false);
      throw error;
    });
  }

  private connect(url: URL, origin: string, tls: TlsOptions | undefined): Connection {
    const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
    const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    const socket =
      url.protocol === 'https:'
        ? process.getBuiltinModule('node:tls').connect({ ...tls, host, port, servername: net.isIP(host) === 0 ? host : undefined, ALPNProtocols: ['http/1.1'] })
        : net.connect({ host, port });
    return new Connection(socket, (c) => this.dropIdle(origin, c));
  }

  private takeIdle(origin: string): Connection | undefined {
    const list = this.idle.get(origin);
    for (let c = list?.pop(); c !== undefined; c = list!.pop()) {
      if (c.idleTimer !== null) clearTimeout(c.idleTimer);
      c.idleTimer = null;
      if (!c.closed && c.socket.writable) return c;
    }
    return undefined;
  }

  private putIdle(origin: string, c: Connection): void {
    c.socket.unref();
    c.idleTimer = setTimeout(() => c.socket.destroy(), IDLE_MS).unref();
    const list = this.idle.get(origin);
    if (list === undefined) this.idle.set(origin, [c]);
    else list.push(c);
  }

  private dropIdle(origin: string, c: Connection): void {
    const list = this.idle.get(origin);
    const i = list?.indexOf(c) ?? -1;
    if (i !== -1) list!.splice(i, 1);
  }
}

/** The request line and headers of a POST; Host and Content-Length are the client's own. */
function requestHead(url: URL, headers: Record<string, string>, length: number): string {
  let head = `POST ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\n`;
  for (const name of Object.keys(headers)) {
    const lower = name.toLowerCase();
    if (lower === 'host' || lower === 'content-length' || lower === 'connection' || lower === 'transfer-encoding') continue;
    const value = headers[name]!;
    if (/[\r\n]/.test(name) || /[\r\n]/.test(value)) throw new TypeError(`header ${JSON.stringify(name)} holds a line break`);
    head += `${name}: ${value}\r\n`;
  }
  return `${head}Content-Length: ${length}\r\n\r\n`;
}

/** A Retry-After header (seconds, or an HTTP date) as milliseconds from now, at most five minutes; undefined when absent, unreadable or past. */
export function retryAfterMillis(header: string | undefined, now = Date.now()): number | undefined {
  if (header === undefined || header.trim() === '') return undefined;
  const seconds = Number(header);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - now;
  return Number.isFinite(ms) && ms > 0 ? Math.min(ms, MAX_RETRY_AFTER_MS) : undefined;
}

/** The one client the agent's exporters share. */
export const agentHttpClient = new SocketHttpClient();
