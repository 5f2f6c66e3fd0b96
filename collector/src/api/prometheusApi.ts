import express, { type Request, type Response, type Router } from 'express';
import { LABEL_NAME, type Labels } from '../model/metric.ts';
import { parseDuration, parsePromQL, typeOf } from '../promql/ast.ts';
import { Engine, QueryLimitError, labelsKey, type QueryLimits, type Value } from '../promql/Engine.ts';
import type { StepSeries } from '../promql/stepEval.ts';
import { formatFloat } from '../promql/functions.ts';
import { PromQLError, selectorsOf, singleSelector } from '../promql/selectors.ts';
import type { LabelMatcher, MetricStore } from '../store/types.ts';
import type { CollectorLog } from '../telemetry/log.ts';

/** Settings of the Prometheus HTTP API. */
export interface PrometheusApiOptions {
  log: CollectorLog;
  /** Unix milliseconds now (the default `time` of an instant query). */
  now: () => number;
  limits: QueryLimits;
}

/** Prometheus' limit on points per series of a range query. */
const MAX_POINTS = 11_000;

/** A request Prometheus would answer with 400 `bad_data`; the message names the parameter. */
class BadData extends Error {}

/** Prometheus' smallest and largest API times (its minTime and maxTime), in milliseconds. */
const MIN_TIME_MS = -9_223_372_036_854;
const MAX_TIME_MS = 9_223_372_036_854;

/**
 * The parts of the Prometheus HTTP API (https://prometheus.io/docs/prometheus/latest/querying/api/)
 * that read series, labels, metadata and exemplars: `/api/v1/series`,
 * `/api/v1/labels`, `/api/v1/label/<name>/values`, `/api/v1/metadata` and
 * `/api/v1/query_exemplars`, by GET or form-encoded POST, with Prometheus'
 * parameters, JSON envelope and error types.
 */
export function prometheusApiRouter(metrics: MetricStore, options: PrometheusApiOptions): Router {
  const router = express.Router();
  const form = express.urlencoded({ extended: false, limit: '1mb' });

  const route = (path: string, handler: (params: Params) => Promise<unknown>) => {
    const run = (req: Request, res: Response) => {
      let params: Params;
      try {
        params = new Params(req);
      } catch (error) {
        send(res, error);
        return;
      }
      handler(params).then(
        (data) => res.json({ status: 'success', data }),
        (error: unknown) => {
          if (!(error instanceof BadData || error instanceof PromQLError || error instanceof QueryLimitError)) options.log.error(`${path} failed`, { error });
          send(res, error);
        },
      );
    };
    router.get(path, run);
    router.post(path, form, run);
  };

  const engine = new Engine(metrics, options.limits);
  /** An error found on the data while evaluating (many-to-many matching, say) is Prometheus' 422 `execution`. */
  const asExecution = async <T>(evaluation: Promise<T>): Promise<T> => {
    try {
      return await evaluation;
    } catch (error) {
      if (error instanceof PromQLError) throw new QueryLimitError('execution', error.message);
      throw error;
    }
  };
  const evaluate = (...args: Parameters<Engine['evaluate']>) => asExecution(engine.evaluate(...args));
  const evaluateRange = (...args: Parameters<Engine['evaluateRange']>) => asExecution(engine.evaluateRange(...args));

  route('/api/v1/query', async (p) => {
    const expr = parseQuery(p.get('query'));
    const t = p.time('time') ?? options.now();
    const [value] = await evaluate(expr, t, t, 1);
    return instantResult(value!, t);
  });

  route('/api/v1/query_range', async (p) => {
    const expr = parseQuery(p.get('query'));
    const start = p.time('start');
    const end = p.time('end');
    if (start === undefined) throw new BadData('invalid parameter "start": required');
    if (end === undefined) throw new BadData('invalid parameter "end": required');
    if (end < start) throw new BadData('invalid parameter "end": end timestamp must not be before start time');
    const step = p.duration('step');
    if (step === undefined) throw new BadData('invalid parameter "step": required');
    if (step <= 0) throw new BadData('invalid parameter "step": zero or negative query resolution step widths are not accepted. Try a positive integer');
    if ((end - start) / step > MAX_POINTS) throw new BadData(`exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)`);
    const type = typeOf(expr);
    if (type !== 'scalar' && type !== 'vector') throw new BadData(`invalid expression type "${type === 'matrix' ? 'range vector' : type}" for range query, must be Scalar or instant Vector`);
    const result = await evaluateRange(expr, start, end, step);
    return result.kind === 'series' ? stepSeriesResult(result.series, result.steps) : rangeResult(result.values, start, step);
  });

  // Grafana reads this to tell which Prometheus it talks to; the PromQL semantics are 2.42's.
  route('/api/v1/status/buildinfo', async () => ({ version: '2.42.0', revision: 'mirador', branch: 'mirador', buildUser: 'mirador', buildDate: '', goVersion: 'n/a' }));

  route('/api/v1/series', async (p) => {
    const selectors = p.matches(true);
    const { startMs, endMs } = p.range();
    const seen = new Map<string, Labels>();
    for (const matchers of selectors) {
      for (const s of await metrics.selectSeries(matchers, startMs, endMs)) seen.set(JSON.stringify(s.labels), s.labels);
    }
    return [...seen.values()];
  });

  route('/api/v1/labels', async (p) => {
    const selectors = p.matches(false);
    const names = new Set<string>();
    for (const matchers of selectors.length === 0 ? [[]] : selectors) for (const n of await metrics.labelNames(matchers)) names.add(n);
    return [...names].sort();
  });

  route('/api/v1/label/:name/values', async (p) => {
    const name = p.pathParam('name');
    const selectors = p.matches(false);
    const values = new Set<string>();
    for (const matchers of selectors.length === 0 ? [[]] : selectors) for (const v of await metrics.labelValues(name, matchers)) values.add(v);
    return [...values].sort();
  });

  route('/api/v1/metadata', async (p) => {
    const metric = p.get('metric');
    const limit = p.get('limit');
    const max = limit === undefined ? Infinity : Number(limit);
    if (!Number.isInteger(max) && max !== Infinity) throw new BadData(`invalid parameter "limit": expected a whole number, got ${JSON.stringify(limit)}`);
    const out: Record<string, Array<{ type: string; help: string; unit: string }>> = {};
    for (const m of await metrics.metadata()) {
      if (metric !== undefined && m.metric !== metric) continue;
      if (max > 0 && Object.keys(out).length >= max) break;
      out[m.metric] = [{ type: m.type, help: m.help, unit: m.unit }];
    }
    return out;
  });

  route('/api/v1/query_exemplars', async (p) => {
    const query = p.get('query');
    if (query === undefined) throw new BadData('invalid parameter "query": required');
    const { startMs, endMs } = p.range();
    if (endMs < startMs) throw new BadData('invalid parameter "end": end timestamp must not be before start time');
    const out = [];
    for (const matchers of selectorsOf(query)) {
      for (const s of await metrics.selectExemplars(matchers, startMs, endMs)) {
        out.push({ seriesLabels: s.seriesLabels, exemplars: s.exemplars.map((e) => ({ labels: e.labels, value: formatValue(e.value), timestamp: e.timestampMs / 1000 })) });
      }
    }
    return out;
  });

  return router;
}

/** Prometheus writes sample values as strings, with its spellings of the special values. */
function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function parseQuery(text: string | undefined) {
  if (text === undefined || text === '') throw new BadData('invalid parameter "query": required');
  try {
    return parsePromQL(text);
  } catch (error) {
    if (error instanceof PromQLError) throw new BadData(`invalid parameter "query": ${error.message}`);
    throw error;
  }
}

type Point = [number, string];
const point = (tMs: number, v: number): Point => [tMs / 1000, formatFloat(v)];

/** An instant query's answer in Prometheus' shapes (vector, scalar, string or matrix). */
function instantResult(value: Value, t: number): unknown {
  switch (value.type) {
    case 'scalar':
      return { resultType: 'scalar', result: point(t, value.value) };
    case 'string':
      return { resultType: 'string', result: [t / 1000, value.value] };
    case 'vector':
      return { resultType: 'vector', result: value.samples.map((s) => ({ metric: s.labels, value: point(t, s.value) })) };
    case 'matrix':
      return { resultType: 'matrix', result: sortSeries(value.series.map((s) => ({ metric: s.labels, values: Array.from(s.t, (ts, i) => point(ts, s.v[i]!)) }))) };
  }
}

/** A range query's answer: one series per label set over the steps (a scalar is a series without labels). */
function rangeResult(values: Value[], start: number, step: number): unknown {
  const series = new Map<string, { metric: Labels; values: Point[] }>();
  values.forEach((value, i) => {
    const t = start + i * step;
    const samples = value.type === 'scalar' ? [{ labels: {}, value: value.value }] : value.type === 'vector' ? value.samples : [];
    for (const s of samples) {
      const key = labelsKey(s.labels);
      let entry = series.get(key);
      if (entry === undefined) series.set(key, (entry = { metric: s.labels, values: [] }));
      entry.values.push(point(t, s.value));
    }
  });
  return { resultType: 'matrix', result: sortSeries([...series.values()]) };
}

/** A range query's answer from series evaluated a whole series at a time. */
function stepSeriesResult(series: StepSeries[], steps: Float64Array): unknown {
  const result: Array<{ metric: Labels; values: Point[] }> = [];
  for (const s of series) {
    const values: Point[] = [];
    for (let k = 0; k < steps.length; k++) if (s.present[k] === 1) values.push(point(steps[k]!, s.values[k]!));
    if (values.length > 0) result.push({ metric: s.labels, values });
  }
  return { resultType: 'matrix', result: sortSeries(result) };
}

function sortSeries<T extends { metric: Labels }>(series: T[]): T[] {
  const key = labelsKey;
  return series.sort((a, b) => (key(a.metric) < key(b.metric) ? -1 : key(a.metric) > key(b.metric) ? 1 : 0));
}

function send(res: Response, error: unknown): void {
  if (error instanceof QueryLimitError) {
    res.status(error.errorType === 'timeout' ? 503 : 422).json({ status: 'error', errorType: error.errorType, error: error.message });
  } else if (error instanceof BadData || error instanceof PromQLError) {
    res.status(400).json({ status: 'error', errorType: 'bad_data', error: error.message });
  } else {
    res.status(500).json({ status: 'error', errorType: 'internal', error: 'internal error' });
  }
}

/** Parameters from the query string or a form body, as Prometheus reads them. */
class Params {
  private readonly values = new Map<string, string[]>();
  private readonly req: Request;

  constructor(req: Request) {
    this.req = req;
    const add = (source: unknown) => {
      if (source === null || typeof source !== 'object') return;
      for (const [key, value] of Object.entries(source as Record<string, unknown>)) {
        const list = this.values.get(key) ?? [];
        for (const v of Array.isArray(value) ? value : [value]) if (typeof v === 'string') list.push(v);
        this.values.set(key, list);
      }
    };
    add(req.query);
    add(req.body);
  }

  get(name: string): string | undefined {
    return this.values.get(name)?.[0];
  }

  pathParam(name: string): string {
    const value = (this.req.params as Record<string, string>)[name];
    if (value === undefined || !LABEL_NAME.test(value)) throw new BadData(`invalid label name: ${JSON.stringify(value)}`);
    return value;
  }

  /** `match[]` selectors; required for /api/v1/series. */
  matches(required: boolean): LabelMatcher[][] {
    const texts = this.values.get('match[]') ?? [];
    if (required && texts.length === 0) throw new BadData('no match[] parameter provided');
    return texts.map((t) => {
      try {
        return singleSelector(t);
      } catch (error) {
        throw new BadData(`invalid parameter "match[]": ${(error as Error).message}`);
      }
    });
  }

  /** `start` and `end`, each optional: the whole of time where absent, as Prometheus defaults them. */
  range(): { startMs: number; endMs: number } {
    const startMs = this.time('start') ?? MIN_TIME_MS;
    const endMs = this.time('end') ?? MAX_TIME_MS;
    return { startMs, endMs };
  }

  /** A duration as seconds (fractions allowed) or a Prometheus duration (`15s`), in milliseconds. */
  duration(name: string): number | undefined {
    const text = this.get(name);
    if (text === undefined || text === '') return undefined;
    const seconds = Number(text);
    if (Number.isFinite(seconds)) return Math.round(seconds * 1000);
    try {
      return parseDuration(text);
    } catch {
      throw new BadData(`invalid parameter "${name}": cannot parse ${JSON.stringify(text)} to a valid duration`);
    }
  }

  /** A time as Unix seconds (fractions allowed) or RFC 3339, in milliseconds. */
  time(name: string): number | undefined {
    const text = this.get(name);
    if (text === undefined || text === '') return undefined;
    const seconds = Number(text);
    if (text.trim() !== '' && Number.isFinite(seconds)) return Math.round(seconds * 1000);
    const ms = Date.parse(text);
    if (/^\d{4}-\d{2}-\d{2}T/.test(text) && Number.isFinite(ms)) return ms;
    throw new BadData(`invalid parameter "${name}": cannot parse ${JSON.stringify(text)} to a valid timestamp`);
  }
}
