import type { AlertRuleGroups, AlertRuleView, HistoryEntry, JaegerTrace, LogRecord, PromMatrix, PromVector, RuleChange } from './types.ts';

/** An answer of the collector's API that is not a success: its status, the URL and what it said. */
export class ApiError extends Error {
  readonly status: number;
  readonly url: string;
  /** Field-level problems of a refused change (`[{ field, message }]`). */
  readonly problems: Array<{ field: string; message: string }>;

  constructor(status: number, url: string, message: string, problems: Array<{ field: string; message: string }> = []) {
    super(message);
    this.status = status;
    this.url = url;
    this.problems = problems;
  }
}

type Params = Record<string, string | number | undefined>;

/** Requests whose 401 is an answer to show, not a reason to go to the sign-in page. */
const SIGN_IN_PATHS = new Set(['/api/login', '/api/me']);

/** The CSRF cookie's value ('' when signed out or sign-in is off). */
function csrfToken(): string {
  if (typeof document === 'undefined') return '';
  const m = /(?:^|;\s*)mirador_csrf=([^;]*)/.exec(document.cookie);
  return m === null ? '' : decodeURIComponent(m[1]!);
}

/** The one fetch wrapper: JSON in and out, any non-2xx turned into an ApiError with what the API said. */
async function request<T>(method: string, path: string, params: Params = {}, body?: unknown): Promise<T> {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') query.set(k, String(v));
  const url = query.size > 0 ? `${path}?${query}` : path;
  const headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' };
  // A change made with the session cookie carries the CSRF cookie's value back (the collector checks they match).
  if (method !== 'GET') headers['x-mirador-csrf'] = csrfToken();
  let response: Response;
  try {
    response = await fetch(url, { method, headers, ...(body !== undefined && { body: JSON.stringify(body) }) });
  } catch (error) {
    throw new ApiError(0, url, `the collector did not answer: ${(error as Error).message}`);
  }
  const text = await response.text();
  let json: unknown = null;
  try {
    json = text === '' ? null : JSON.parse(text);
  } catch {
    // Not JSON: said as text below.
  }
  // Signed out (or the session expired): to the sign-in page, then back here.
  if (response.status === 401 && !SIGN_IN_PATHS.has(path) && typeof window !== 'undefined' && window.location.pathname !== '/login') {
    window.location.assign(`/login?next=${encodeURIComponent(window.location.pathname + window.location.search)}`);
  }
  if (!response.ok) {
    const answer = json as { error?: string; errors?: Array<{ field: string; message: string }> } | null;
    throw new ApiError(response.status, url, answer?.error ?? (text.slice(0, 300) || response.statusText), answer?.errors ?? []);
  }
  return json as T;
}

/** A PromQL instant query at `time` (Unix ms). */
export async function queryInstant(query: string, timeMs: number): Promise<PromVector> {
  const answer = await request<{ data: { resultType: string; result: PromVector } }>('GET', '/api/v1/query', { query, time: timeMs / 1000 });
  return answer.data.resultType === 'vector' ? answer.data.result : [];
}

/** A PromQL range query from start to end (Unix ms) at a step (ms). */
export async function queryRange(query: string, startMs: number, endMs: number, stepMs: number): Promise<PromMatrix> {
  const answer = await request<{ data: { result: PromMatrix } }>('GET', '/api/v1/query_range', { query, start: startMs / 1000, end: endMs / 1000, step: stepMs / 1000 });
  return answer.data.result;
}

/** Services that sent spans (Jaeger API). */
export async function listServices(): Promise<string[]> {
  return (await request<{ data: string[] | null }>('GET', '/api/services')).data ?? [];
}

/** Operations of a service (Jaeger API). */
export async function listOperations(service: string): Promise<string[]> {
  return (await request<{ data: string[] | null }>('GET', `/api/services/${encodeURIComponent(service)}/operations`)).data ?? [];
}

/** A trace search (Jaeger API): times in Unix ms, durations as `250ms`, tags as `k=v k2=v2`. */
export async function searchTraces(q: { service: string; operation?: string; tags?: string; minDuration?: string; maxDuration?: string; startMs: number; endMs: number; limit: number }): Promise<JaegerTrace[]> {
  const tags: Record<string, string> = {};
  for (const pair of (q.tags ?? '').split(/\s+/).filter((p) => p.includes('='))) {
    const at = pair.indexOf('=');
    tags[pair.slice(0, at)] = pair.slice(at + 1);
  }
  const answer = await request<{ data: JaegerTrace[] | null }>('GET', '/api/traces', {
    service: q.service,
    operation: q.operation,
    tags: Object.keys(tags).length > 0 ? JSON.stringify(tags) : undefined,
    minDuration: q.minDuration,
    maxDuration: q.maxDuration,
    start: q.startMs * 1000,
    end: q.endMs * 1000,
    limit: q.limit,
  });
  return answer.data ?? [];
}

/** One trace by id (Jaeger API). */
export async function getTrace(traceId: string): Promise<JaegerTrace> {
  const answer = await request<{ data: JaegerTrace[] }>('GET', `/api/traces/${encodeURIComponent(traceId)}`);
  const trace = answer.data[0];
  if (trace === undefined) throw new ApiError(404, `/api/traces/${traceId}`, `no trace with id ${traceId}`);
  return trace;
}

/** Every log record of one trace, oldest first. */
export async function logsOfTrace(traceId: string): Promise<LogRecord[]> {
  return (await request<{ data: LogRecord[] }>('GET', '/api/logs', { traceId, limit: 1000 })).data;
}

/** Log search: newest first, a page at a time. */
export async function searchLogs(q: { service?: string; severity?: string; q?: string; traceId?: string; startMs: number; endMs: number; limit: number; cursor?: string }): Promise<{ data: LogRecord[]; nextCursor: string | null }> {
  return request('GET', '/api/logs', { service: q.service, severity: q.severity, q: q.q, traceId: q.traceId, start: q.startMs, end: q.endMs, limit: q.limit, cursor: q.cursor });
}

/** What fired and resolved when, and who changed the rule, newest first. */
export async function alertHistory(rule: string, limit: number): Promise<HistoryEntry[]> {
  return (await request<{ data: HistoryEntry[] }>('GET', '/api/alerts/history', { rule, limit })).data;
}

/** Exemplars (trace ids with values) of the series matching a selector in a time range (Unix ms). */
export async function queryExemplars(query: string, startMs: number, endMs: number): Promise<Array<{ seriesLabels: Record<string, string>; exemplars: Array<{ labels: Record<string, string>; value: string; timestamp: number }> }>> {
  return (await request<{ data: Array<{ seriesLabels: Record<string, string>; exemplars: Array<{ labels: Record<string, string>; value: string; timestamp: number }> }> }>('GET', '/api/v1/query_exemplars', { query, start: startMs / 1000, end: endMs / 1000 })).data;
}

/** Adds an alert rule to a group (created if new); a refused rule throws an ApiError with the problems by field. */
export function createAlertRule(group: string, rule: { alert: string; expr: string; for: string; labels: Record<string, string>; annotations: Record<string, string>; interval?: string }): Promise<AlertRuleView> {
  return request('POST', `/api/alert-rules/${encodeURIComponent(group)}`, {}, rule);
}

/** Every alerting and recording rule with its state and threshold. */
export function listAlertRules(): Promise<AlertRuleGroups> {
  return request('GET', '/api/alert-rules');
}

/** Changes fields of a rule; a refused change throws an ApiError with the problems by field. */
export function updateAlertRule(group: string, name: string, index: number, change: RuleChange): Promise<AlertRuleView> {
  return request('PUT', `/api/alert-rules/${encodeURIComponent(group)}/${encodeURIComponent(name)}`, index > 0 ? { index } : {}, change);
}

/** Who is signed in; `authEnabled` false when the collector asks nobody (then everyone may edit). */
export interface Me {
  user: string | null;
  role: 'viewer' | 'editor';
  authEnabled: boolean;
}

/** The signed-in user, or null when sign-in is on and nobody is signed in. */
export async function whoAmI(): Promise<Me | null> {
  try {
    return await request<Me>('GET', '/api/me');
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return null;
    throw error;
  }
}

/** Signs in; an ApiError (401) when the user and password do not match. */
export function signIn(user: string, password: string): Promise<{ user: string; role: 'viewer' | 'editor' }> {
  return request('POST', '/api/login', {}, { user, password });
}

export function signOut(): Promise<unknown> {
  return request('POST', '/api/logout');
}
