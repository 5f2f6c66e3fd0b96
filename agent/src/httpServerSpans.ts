import type * as Http from 'node:http';
import type * as Net from 'node:net';
import { ROOT_CONTEXT, TraceFlags, context, propagation, trace, type Context, type Span } from '@opentelemetry/api';
import { ServerSpan, type ServerSpans } from './serverSpan.ts';

// Builtins through getBuiltinModule, not `import`: an ES-module import of node:http
// builds its namespace by reading every export, which loads undici and http2
// (about 3 MiB) into services that use neither.
const http = process.getBuiltinModule('node:http');
const net = process.getBuiltinModule('node:net');
const { AsyncResource } = process.getBuiltinModule('node:async_hooks');

/** What the agent learns of each request served, when its response is done. */
export interface ServedRequest {
  method: string;
  /** The Express route template (`/orders/:id`), or '' when no route matched or the server is not Express. */
  route: string;
  statusCode: number;
  /** From the request's arrival to its response's end: its server span's duration, when it has a recording span. */
  durationSeconds: number;
  /** The trace id, when the trace is sampled (kept); '' when it is not, so no exemplar points at a trace that was never stored. */
  traceId: string;
  /** When the response was done, in milliseconds since the epoch, as its span has it (the time of its exemplar); 0 for a request with no recording span. */
  endEpochMs: number;
}

/** Set on a server (to true) whose requests get no spans, such as the agent's own /metrics server. */
export const UNTRACED = Symbol.for('mirador.untraced');

/**
 * A Context (the OpenTelemetry API's interface) as an immutable chain of
 * entries, one per value set, for the contexts made on every request served.
 *
 * The API's own context (`ROOT_CONTEXT.setValue`) copies a Map and makes three
 * closures for each value set. Made once per request, those objects measured
 * as surviving the young-generation collections (V8 scavenges) at about 50 KB
 * a scavenge on a hello-world Express app, where the same request with this
 * chain leaves nothing behind (bench/agent.bench.ts; `--trace-gc-nvp`, one-off
 * runs). V8 grows the young generation with what survives it, from 8 to 32
 * MiB there: more memory for the service and longer pauses. Values set on this
 * chain (by `trace.setSpan`, `propagation.extract` and instrumentations below)
 * stay in the chain; lookups walk it, which is a few links for a request.
 *
 * Node keeps a request's context alive after the response, as long as the
 * connection's keep-alive timer made under it lives: one per open connection.
 * Holding the ended server span (the SDK's, about 1.5 KB with its attributes)
 * that long made it survive scavenges too, so once the span has ended the
 * entry keeps only its ids (`settleSpan`): what a span started later in the
 * same context needs for its parent, and what an ended span offers anyway
 * (it records nothing more).
 */
class ContextEntry implements Context {
  private readonly parent: Context;
  private readonly key: symbol | undefined;
  private value: unknown;

  constructor(parent: Context, key: symbol | undefined, value: unknown) {
    this.parent = parent;
    this.key = key;
    this.value = value;
  }

  getValue(key: symbol): unknown {
    return key === this.key ? this.value : this.parent.getValue(key);
  }

  setValue(key: symbol, value: unknown): Context {
    return new ContextEntry(this, key, value);
  }

  deleteValue(key: symbol): Context {
    // An entry holding undefined hides the parent's value of that key.
    return this.getValue(key) === undefined ? this : new ContextEntry(this, key, undefined);
  }

  /** Replaces the ended span this entry holds by a non-recording span with the same ids. */
  settleSpan(span: Span): void {
    if (this.value === span) this.value = trace.wrapSpanContext(span.spanContext());
  }
}

/** Where each request's context chain starts: the empty context. */
const REQUEST_ROOT: Context = new ContextEntry(ROOT_CONTEXT, undefined, undefined);

type ExpressRequest = Http.IncomingMessage & { route?: { path?: unknown }; baseUrl?: string };

/**
 * Server spans for every HTTP request a Node `http.Server` or `https.Server`
 * (and so Express) serves, made by patching `emit` for the `request` event.
 *
 * The OpenTelemetry HTTP instrumentation does the same job with a wider
 * brief, and on a hello-world Express app it costs about 55 µs of CPU per
 * request here (bench/agent.bench.ts): it binds both request and response
 * emitters, builds about fifteen attributes and records its own metrics. This
 * keeps the span to what the dashboard and a Jaeger user read (method, path,
 * route, status; `error.type` on failures), binds the request emitter only when a body will arrive,
 * and takes the route from Express's own `req.route` when the response is
 * done, so no span per Express layer is needed to name the span
 * `GET /orders/:id`. Outgoing HTTP stays with the OpenTelemetry instrumentations.
 */
export function traceHttpServers(spans: ServerSpans, onServed: (request: ServedRequest) => void): () => void {
  // http.Server and https.Server (a tls.Server) are both net.Servers, and neither has an emit of its own:
  // patching net.Server's reaches both without loading https (and with it TLS) into a service that has none.
  const proto = net.Server.prototype as { emit: (event: string | symbol, ...args: unknown[]) => boolean };
  const originalEmit = proto.emit;
  /**
   * The async context of no request, made at start. When a response is done,
   * Node sets the connection's keep-alive timer, and a timer keeps the async
   * context it was set in (Node 24's AsyncContextFrame): the request's, with its
   * context chain and the span's ids, until the next request on that
   * connection. Under load, one such frame per open connection, about 400
   * bytes each, was alive at every young-generation collection: half the bytes
   * that survived them (40 → 19 B a request, `--trace-gc-nvp`), and V8 grows
   * the young generation by what survives it. So, once the span has ended,
   * the timer is set again, with the same duration, outside any request; a
   * connection left idle times out as before, and timers the application
   * sets keep the request's context.
   */
  const outside = new AsyncResource('mirador.keepalive');

  /** Ends the span of a response once it is done (or aborted), naming it by its Express route. */
  function finish(span: Span, active: Context, req: ExpressRequest, res: Http.ServerResponse, started: number | undefined): void {
    const method = req.method ?? 'GET';
    const routePath = req.route?.path;
    const route = typeof routePath === 'string' ? (req.baseUrl ?? '') + routePath : '';
    const statusCode = res.statusCode;
    // The request's duration is its span's, when it has one: an exemplar's value is then the duration of the
    // span it leads to (taken after the span's end and encoding, it was 157 µs longer on a cold first request).
    let durationMs: number;
    let endEpochMs = 0;
    // An unsampled request's span records nothing: it only carries the ids.
    if (span instanceof ServerSpan) {
      span.endResponse({ method, route, statusCode, complete: res.writableFinished });
      if (active instanceof ContextEntry) active.settleSpan(span);
      durationMs = span.durationMs;
      endEpochMs = span.startEpochMs + durationMs;
    } else durationMs = performance.now() - started!;
    const socket = req.socket as Net.Socket | null;
    if (socket !== null && !socket.destroyed && (socket.timeout ?? 0) > 0) outside.runInAsyncScope(socket.setTimeout, socket, socket.timeout);
    const ids = span.spanContext();
    // A sampled span is always a ServerSpan (spans.start makes any other kind only for requests it does not record).
    const traceId = (ids.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED ? ids.traceId : '';
    onServed({ method, route, statusCode, durationSeconds: durationMs / 1000, traceId, endEpochMs });
  }

  function tracedEmit(this: Net.Server, event: string | symbol, ...args: unknown[]): boolean {
    const res = args[1];
    // Every other event passes through untouched; so does http2's compatibility
    // API, which also emits 'request', with a response of its own kind.
    if (event !== 'request' || !(res instanceof http.ServerResponse) || (this as unknown as Record<symbol, unknown>)[UNTRACED] === true) {
      return originalEmit.apply(this, [event, ...args]);
    }
    return traceRequest(this, args[0] as ExpressRequest, res);
  }

  function traceRequest(server: Net.Server, req: ExpressRequest, res: Http.ServerResponse): boolean {
    const headers = req.headers;
    const parent = headers.traceparent === undefined ? REQUEST_ROOT : propagation.extract(REQUEST_ROOT, headers);
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    const method = req.method ?? 'GET';
    // What the trace view and the span metrics read; each attribute more is paid on every request,
    // in the span, its export and the collector's storage.
    const span = spans.start(parent, method, query === -1 ? url : url.slice(0, query));
    const active: Context = trace.setSpan(parent, span);
    // A recording span times the request itself; only a request without one is timed here.
    const started = span instanceof ServerSpan ? undefined : performance.now();
    // 'close' comes once, after 'finish' or on an abort. The span travels in this
    // closure rather than on `res`: a property added to every response changes its
    // hidden class and slows down all code that reads responses.
    res.on('close', () => finish(span, active, req, res, started));
    // A body arrives in 'data' events the socket emits outside this request's
    // context; bind the request emitter so body parsers continue inside it.
    if (headers['content-length'] !== undefined || headers['transfer-encoding'] !== undefined) context.bind(active, req);
    // No `this` for context.with: given one, the context manager binds the function anew for every call.
    return context.with(active, emitRequest, undefined, server, req, res);
  }

  function emitRequest(server: Net.Server, req: ExpressRequest, res: Http.ServerResponse): boolean {
    return originalEmit.call(server, 'request', req, res);
  }

  proto.emit = tracedEmit;
  return () => {
    if (proto.emit === tracedEmit) proto.emit = originalEmit;
  };
}
