import express, { type Router } from 'express';
import { idToHex } from '../model/ids.ts';
import { SEVERITY_ALIASES, SEVERITY_LEVELS } from '../model/log.ts';
import type { LogCursor, LogQuery, LogStore, StoredLog } from '../store/types.ts';
import type { CollectorLog } from '../telemetry/log.ts';
import { toPlainJson } from './plainJson.ts';
import { ParamError, formatNanos, param, parseLimit, parseSpanId, parseTime, parseTraceId, statusOf } from './params.ts';

/** Records per page when `limit` is not given. */
const DEFAULT_LOG_LIMIT = 100;
/** Search window when `start` is not given (and no trace or span id narrows the search). */
const DEFAULT_LOG_WINDOW_NS = 3_600_000_000_000n;

/** Settings of the log search API. */
export interface LogsApiOptions {
  maxLogLimit: number;
  /** Unix milliseconds now. */
  now: () => number;
  log: CollectorLog;
}

/**
 * GET /api/logs: search by trace id, span id, service, severity, free text and
 * time, paged with an opaque cursor. With a trace or span id the records come
 * oldest first (one request's story, across every service); otherwise newest first.
 */
export function logsApiRouter(logs: LogStore, options: LogsApiOptions): Router {
  const router = express.Router();
  router.get('/api/logs', (req, res) => {
    let query: LogQuery;
    try {
      query = parseLogQuery(req.query as Record<string, unknown>, options);
    } catch (error) {
      res.status(statusOf(error)).json({ error: (error as Error).message, param: (error as ParamError).param });
      return;
    }
    logs.searchLogs(query).then(
      (page) => res.json({ data: page.records.map(toApiLog), nextCursor: page.next === null ? null : encodeCursor(page.next, query) }),
      (error: unknown) => {
        options.log.error('log search failed', { error });
        res.status(500).json({ error: `log search failed: ${(error as Error).message}` });
      },
    );
  });
  return router;
}

/** Reads a log search from the query parameters (see the README for each one). */
export function parseLogQuery(q: Record<string, unknown>, options: Pick<LogsApiOptions, 'maxLogLimit' | 'now'>): LogQuery {
  const traceIdText = param(q, 'traceId');
  const spanIdText = param(q, 'spanId');
  const byRequest = traceIdText !== undefined || spanIdText !== undefined;
  const cursorText = param(q, 'cursor');
  const cursor = cursorText === undefined ? undefined : decodeCursor(cursorText);
  const startText = param(q, 'start');
  const endText = param(q, 'end');
  // A trace id finds its records through the trace index, so it needs no
  // window; anything else gets the last hour unless told otherwise. A
  // cursor carries the window of its first page, so later pages do not slide.
  const windowed = traceIdText === undefined;
  const end = endText !== undefined ? parseTime('end', endText) : cursor !== undefined ? cursor.end : windowed ? BigInt(options.now()) * 1_000_000n : undefined;
  const start =
    startText !== undefined ? parseTime('start', startText) : cursor !== undefined ? cursor.start : windowed && end !== undefined ? end - DEFAULT_LOG_WINDOW_NS : undefined;
  if (start !== undefined && end !== undefined && start > end) throw new ParamError('start', 'must not be after end');
  const service = param(q, 'service');
  const severity = param(q, 'severity');
  const text = param(q, 'q');
  return {
    ...(traceIdText !== undefined && { traceId: parseTraceId('traceId', traceIdText) }),
    ...(spanIdText !== undefined && { spanId: parseSpanId('spanId', spanIdText) }),
    ...(service !== undefined && { service }),
    ...(severity !== undefined && { severityRanges: parseSeverities(severity) }),
    ...(text !== undefined && { text }),
    ...(start !== undefined && { startUnixNano: start }),
    ...(end !== undefined && { endUnixNano: end }),
    limit: parseLimit('limit', param(q, 'limit'), byRequest ? options.maxLogLimit : DEFAULT_LOG_LIMIT, options.maxLogLimit),
    order: byRequest ? 'asc' : 'desc',
    ...(cursor !== undefined && { after: cursor.after }),
  };
}

/** `error`, `warn,error`, or severity numbers `17-24`, comma-separated. */
function parseSeverities(text: string): Array<[number, number]> {
  return text.split(',').map((part) => {
    const name = part.trim().toLowerCase();
    const level = SEVERITY_LEVELS[SEVERITY_ALIASES[name] ?? name];
    if (level !== undefined) return level;
    const m = /^(\d{1,2})(?:-(\d{1,2}))?$/.exec(name);
    if (m !== null) return [Number(m[1]), Number(m[2] ?? m[1])] as [number, number];
    throw new ParamError('severity', `expected level names (${Object.keys(SEVERITY_LEVELS).join(', ')}) or number ranges such as 17-24, got ${JSON.stringify(part)}`);
  });
}

/** Opaque cursor: base64url of "timeNanos:id:windowStart:windowEnd" (the window parts may be empty). */
export function encodeCursor(after: LogCursor, query: Pick<LogQuery, 'startUnixNano' | 'endUnixNano'>): string {
  return Buffer.from(`${after.timeUnixNano}:${after.id}:${query.startUnixNano ?? ''}:${query.endUnixNano ?? ''}`).toString('base64url');
}

function decodeCursor(text: string): { after: LogCursor; start: bigint | undefined; end: bigint | undefined } {
  const m = /^(\d{1,20}):(\d{1,20}):(\d{0,20}):(\d{0,20})$/.exec(Buffer.from(text, 'base64url').toString('utf8'));
  if (m === null) throw new ParamError('cursor', 'not a cursor this API returned (pass nextCursor unchanged)');
  return {
    after: { timeUnixNano: BigInt(m[1]!), id: BigInt(m[2]!) },
    start: m[3] === '' ? undefined : BigInt(m[3]!),
    end: m[4] === '' ? undefined : BigInt(m[4]!),
  };
}

/** A log record as the API returns it. */
export function toApiLog(r: StoredLog) {
  return {
    timestamp: formatNanos(r.timeUnixNano),
    timeUnixNano: r.timeUnixNano.toString(),
    observedTimeUnixNano: r.observedTimeUnixNano.toString(),
    serviceName: r.serviceName,
    severityNumber: r.severityNumber,
    severityText: r.severityText,
    body: toPlainJson(r.body),
    traceId: r.traceId === null ? null : idToHex(r.traceId),
    spanId: r.spanId === null ? null : idToHex(r.spanId),
    flags: r.flags,
    eventName: r.eventName,
    attributes: toPlainJson(r.attributes),
    droppedAttributesCount: r.droppedAttributesCount,
    resource: toPlainJson(r.resource),
    scope: { name: r.scopeName, version: r.scopeVersion, attributes: toPlainJson(r.scopeAttributes) },
  };
}
