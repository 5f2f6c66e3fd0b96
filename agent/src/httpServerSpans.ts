import type * as Http from 'node:http';
import type * as Net from 'node:net';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, context, propagation, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';

// Builtins through getBuiltinModule, not `import`: an ES-module import of node:http
// builds its namespace by reading every export, which loads undici and http2
// (about 3 MiB) into services that use neither.
const http = process.getBuiltinModule('node:http');
const net = process.getBuiltinModule('node:net');

/** What the agent learns of each request served, when its response is done. */
export interface ServedRequest {
  method: string;
  /** The Express route template (`/orders/:id`), or '' when no route matched or the server is not Express. */
  route: string;
  statusCode: number;
  durationSeconds: number;
  /** The trace id, when the trace is sampled (kept); '' when it is not, so no exemplar points at a trace that was never stored. */
  traceId: string;
}

/** Set on a server (to true) whose requests get no spans, such as the agent's own /metrics server. */
export const UNTRACED = Symbol.for('mirador.untraced');

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
export function traceHttpServers(tracer: Tracer, onServed: (request: ServedRequest) => void): () => void {
  // http.Server and https.Server (a tls.Server) are both net.Servers, and neither has an emit of its own:
  // patching net.Server's reaches both without loading https (and with it TLS) into a service that has none.
  const proto = net.Server.prototype as { emit: (event: string | symbol, ...args: unknown[]) => boolean };
  const originalEmit = proto.emit;

  /** Ends the span of a response once it is done (or aborted), naming it by its Express route. */
  function finish(span: Span, req: ExpressRequest, res: Http.ServerResponse, started: number): void {
    const method = req.method ?? 'GET';
    const routePath = req.route?.path;
    const route = typeof routePath === 'string' ? (req.baseUrl ?? '') + routePath : '';
    const statusCode = res.statusCode;
    if (route !== '') {
      span.setAttribute('http.route', route);
      span.updateName(`${method} ${route}`);
    }
    span.setAttribute('http.response.status_code', statusCode);
    if (!res.writableFinished) {
      // The client went away before the response was complete.
      span.setAttribute('error.type', 'aborted');
      span.setStatus({ code: SpanStatusCode.ERROR, message: 'connection closed before the response was complete' });
    } else if (statusCode >= 500) {
      span.setAttribute('error.type', String(statusCode));
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
    span.end();
    const ids = span.spanContext();
    const traceId = (ids.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED ? ids.traceId : '';
    onServed({ method, route, statusCode, durationSeconds: (performance.now() - started) / 1000, traceId });
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
    const parent = headers.traceparent === undefined ? ROOT_CONTEXT : propagation.extract(ROOT_CONTEXT, headers);
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    const method = req.method ?? 'GET';
    // Attributes go on after the start: the SDK checks attributes given to startSpan twice over (an
    // Object.entries array and a WeakSet per value each time), which the samplers here do not read.
    const span = tracer.startSpan(method, { kind: SpanKind.SERVER }, parent);
    // What the trace view and the span metrics read; each attribute more is paid on every request,
    // in the span, its export and the collector's storage.
    span.setAttribute('http.request.method', method);
    span.setAttribute('url.path', query === -1 ? url : url.slice(0, query));
    const active: Context = trace.setSpan(parent, span);
    const started = performance.now();
    // 'close' comes once, after 'finish' or on an abort. The span travels in this
    // closure rather than on `res`: a property added to every response changes its
    // hidden class and slows down all code that reads responses.
    res.on('close', () => finish(span, req, res, started));
    // A body arrives in 'data' events the socket emits outside this request's
    // context; bind the request emitter so body parsers continue inside it.
    if (headers['content-length'] !== undefined || headers['transfer-encoding'] !== undefined) context.bind(active, req);
    return context.with(active, originalEmit, server, 'request', req, res);
  }

  proto.emit = tracedEmit;
  return () => {
    if (proto.emit === tracedEmit) proto.emit = originalEmit;
  };
}
