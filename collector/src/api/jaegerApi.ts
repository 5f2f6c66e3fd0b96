import express, { type Request, type Response, type Router } from 'express';
import type { SpanStore, TraceQuery } from '../store/types.ts';
import { SPAN_KIND_NAMES } from '../model/span.ts';
import { toJaegerTrace } from './jaegerModel.ts';
import type { CollectorLog } from '../telemetry/log.ts';
import { NotFoundError, ParamError, param, statusOf, parseDuration, parseLimit, parseMicros, parseMillis, parseTraceId } from './params.ts';

/** Search window when neither `start` nor `lookback` is given. */
const DEFAULT_LOOKBACK = '1h';
/** Traces returned by a search without `limit` (Jaeger's query service default). */
const DEFAULT_TRACE_LIMIT = 100;
/** Window of /api/dependencies without `lookback` (Jaeger's default: one day). */
const DEFAULT_DEPENDENCY_LOOKBACK_MS = 86_400_000n;

/** Settings of the Jaeger query API. */
export interface JaegerApiOptions {
  maxTraceLimit: number;
  /** Unix milliseconds now. */
  now: () => number;
  log: CollectorLog;
}

/**
 * The Jaeger query HTTP API (the endpoints the Jaeger UI and Grafana's Jaeger
 * data source call), with Jaeger's response envelope
 * `{data, total, limit, offset, errors}` and its error shape.
 */
export function jaegerApiRouter(spans: SpanStore, options: JaegerApiOptions): Router {
  const router = express.Router();
  const route = (path: string, handler: (req: Request) => Promise<{ data: unknown }>) => {
    router.get(path, (req, res) => {
      handler(req).then(
        ({ data }) => res.json(envelope(data, Array.isArray(data) ? data.length : 0)),
        (error: unknown) => sendError(res, error, options.log),
      );
    });
  };

  route('/api/services', async () => ({ data: await spans.getServices() }));

  route('/api/services/:service/operations', async (req) => ({
    data: [...new Set((await spans.getOperations(String(req.params.service))).map((o) => o.name))],
  }));

  route('/api/operations', async (req) => {
    const service = param(req.query, 'service');
    if (service === undefined) throw new ParamError('service', 'required');
    const spanKind = param(req.query, 'spanKind');
    const ops = (await spans.getOperations(service)).map((o) => ({ name: o.name, spanKind: SPAN_KIND_NAMES[o.spanKind] ?? '' }));
    return { data: spanKind === undefined ? ops : ops.filter((o) => o.spanKind === spanKind) };
  });

  route('/api/traces/:traceId', async (req) => {
    const traceId = parseTraceId('traceID', String(req.params.traceId));
    const found = await spans.getTrace(traceId);
    if (found.length === 0) throw new NotFoundError(`trace ${traceId.toString('hex')} not found`);
    return { data: [toJaegerTrace(found)] };
  });

  route('/api/traces', async (req) => {
    const ids = ([] as unknown[]).concat(req.query.traceID ?? []).map((v) => parseTraceId('traceID', String(v)));
    if (ids.length > options.maxTraceLimit) throw new ParamError('traceID', `at most ${options.maxTraceLimit} ids (the configured maximum), got ${ids.length}`);
    if (ids.length > 0) {
      const traces = (await spans.getTraces(ids)).filter((t) => t.length > 0);
      return { data: traces.map(toJaegerTrace) };
    }
    const query = parseTraceQuery(req.query as Record<string, unknown>, options);
    const found = await spans.getTraces(await spans.findTraceIds(query));
    return { data: found.filter((t) => t.length > 0).map(toJaegerTrace) };
  });

  route('/api/dependencies', async (req) => {
    const endTs = param(req.query, 'endTs');
    const lookback = param(req.query, 'lookback');
    const end = endTs === undefined ? BigInt(options.now()) * 1_000_000n : parseMillis('endTs', endTs);
    const window = lookback === undefined ? DEFAULT_DEPENDENCY_LOOKBACK_MS * 1_000_000n : parseMillis('lookback', lookback);
    return { data: await spans.getDependencies(end - window, end) };
  });

  return router;
}

/** Reads a trace search from Jaeger's query parameters. */
export function parseTraceQuery(q: Record<string, unknown>, options: JaegerApiOptions): TraceQuery {
  const service = param(q, 'service');
  if (service === undefined) throw new ParamError('service', 'required for a trace search (or give traceID)');
  const endText = param(q, 'end');
  const end = endText === undefined ? BigInt(options.now()) * 1_000_000n : parseMicros('end', endText);
  const startText = param(q, 'start');
  const lookback = param(q, 'lookback');
  const start =
    startText !== undefined ? parseMicros('start', startText) : end - parseDuration('lookback', lookback === undefined || lookback === 'custom' ? DEFAULT_LOOKBACK : lookback);
  if (start > end) throw new ParamError('start', 'must not be after end');
  const operation = param(q, 'operation');
  const minDuration = param(q, 'minDuration');
  const maxDuration = param(q, 'maxDuration');
  return {
    service,
    ...(operation !== undefined && { operation }),
    tags: parseTags(q),
    startUnixNano: start,
    endUnixNano: end,
    ...(minDuration !== undefined && { minDurationNano: parseDuration('minDuration', minDuration) }),
    ...(maxDuration !== undefined && { maxDurationNano: parseDuration('maxDuration', maxDuration) }),
    limit: parseLimit('limit', param(q, 'limit'), DEFAULT_TRACE_LIMIT, options.maxTraceLimit),
  };
}

/** `tags` as a JSON object (the UI and Grafana) and `tag=key:value`, repeatable (Jaeger's other form). */
function parseTags(q: Record<string, unknown>): Record<string, string> {
  const tags: Record<string, string> = {};
  const json = param(q, 'tags');
  if (json !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch {
      throw new ParamError('tags', `expected a JSON object such as {"http.status_code":"500"}, got ${JSON.stringify(json.slice(0, 100))}`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new ParamError('tags', 'expected a JSON object of tag names to values');
    for (const [k, v] of Object.entries(parsed)) tags[k] = typeof v === 'string' ? v : JSON.stringify(v);
  }
  for (const t of ([] as unknown[]).concat(q.tag ?? [])) {
    const text = String(t);
    const colon = text.indexOf(':');
    if (colon <= 0) throw new ParamError('tag', `expected key:value, got ${JSON.stringify(text.slice(0, 100))}`);
    tags[text.slice(0, colon)] = text.slice(colon + 1);
  }
  return tags;
}

function envelope(data: unknown, total: number) {
  return { data, total, limit: 0, offset: 0, errors: null };
}

function sendError(res: Response, error: unknown, log: CollectorLog): void {
  const status = statusOf(error);
  if (status === 500) log.error('query failed', { path: res.req.originalUrl, error });
  const msg = error instanceof Error ? error.message : String(error);
  res.status(status).json({ data: null, total: 0, limit: 0, offset: 0, errors: [{ code: status, msg }] });
}
