import express, { type Request, type Response, type Router } from 'express';
import { ExpositionError, expositionFormatOf, parseExposition, type ExpositionLimits } from '../metrics/exposition.ts';
import { LABEL_NAME, type Labels } from '../model/metric.ts';
import { QueueFullError } from '../pipeline/BatchWriter.ts';
import type { Ingest } from '../pipeline/Ingest.ts';
import type { SelfMetrics } from '../telemetry/SelfMetrics.ts';
import type { CollectorLog } from '../telemetry/log.ts';
import { decodeTurn } from './decodeTurns.ts';
import type { ByteBudget } from './ByteBudget.ts';
import { BodyError, readBody } from './readBody.ts';

/** Seconds a pusher should wait after a 503 before trying again. */
const RETRY_AFTER_SECONDS = 1;

/** A refused push: the status and a message naming what was wrong. */
class PushError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/**
 * The grouping labels of a Pushgateway-style path, `job/<job>{/<label>/<value>}`:
 * `/metrics/job/orders/instance/host:42` → { job: "orders", instance: "host:42" }.
 * A label name ending in `@base64` takes a base64url value, as the Pushgateway
 * allows for values with slashes.
 */
export function groupingLabels(path: string): Labels {
  const parts = path.split('/').filter((p, i, all) => p !== '' || i === all.length - 1);
  if (parts[0] !== 'job' || parts.length < 2 || parts.length % 2 !== 0) {
    throw new PushError(404, 'expected /metrics/job/<job>{/<label>/<value>}, such as /metrics/job/orders/instance/host:4242');
  }
  const labels: Labels = {};
  for (let i = 0; i < parts.length; i += 2) {
    let name = decodeURIComponent(parts[i]!);
    let value = decodeURIComponent(parts[i + 1]!);
    if (name.endsWith('@base64')) {
      name = name.slice(0, -'@base64'.length);
      value = Buffer.from(value.replace(/=+$/, ''), 'base64url').toString();
    }
    if (!LABEL_NAME.test(name) || name.startsWith('__')) throw new PushError(400, `grouping label name ${JSON.stringify(name)} in the path is not a valid Prometheus label name`);
    if (Object.hasOwn(labels, name)) throw new PushError(400, `grouping label ${JSON.stringify(name)} given twice in the path`);
    if (name === 'job' && value === '') throw new PushError(400, 'the job in the path must not be empty');
    labels[name] = value;
  }
  return labels;
}

/**
 * `POST` (or `PUT`) `/metrics/job/<job>{/<label>/<value>}`: a Prometheus client
 * registry pushed in the Prometheus text format 0.0.4 or OpenMetrics, as the
 * agent does every interval. The path's labels (job, instance) are set on
 * every series; samples are stamped with the time of arrival; exemplars are
 * kept. A push is stored whole or refused whole with a 400 naming the line.
 */
export function pushRouter(ingest: Ingest, maxBodyBytes: number, limits: ExpositionLimits, budget: ByteBudget, metrics: SelfMetrics, log: CollectorLog): Router {
  const router = express.Router();
  const handle = (req: Request, res: Response) => {
    receivePush(req, res, ingest, maxBodyBytes, limits, budget).catch((error: unknown) => {
      if (error instanceof PushError || error instanceof BodyError || error instanceof ExpositionError || error instanceof QueueFullError) {
        const status = error instanceof ExpositionError ? 400 : error instanceof QueueFullError ? 503 : error.status;
        metrics.refusedRequests.inc({ signal: 'metrics', status: String(status) });
        if (status === 503) res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
        if (status === 413) res.setHeader('Connection', 'close');
        res.status(status).json({ error: error.message });
        return;
      }
      log.error('metrics push failed unexpectedly', { error });
      if (!res.headersSent) res.status(500).json({ error: 'internal error' });
    });
  };
  router.post(/^\/metrics\/(job\/.*)$/, handle);
  router.put(/^\/metrics\/(job\/.*)$/, handle);
  return router;
}

async function receivePush(req: Request, res: Response, ingest: Ingest, maxBodyBytes: number, limits: ExpositionLimits, budget: ByteBudget): Promise<void> {
  const grouping = groupingLabels((req.params as Record<string, string>)[0] ?? '');
  const format = expositionFormatOf(req.headers['content-type']);
  if (format === null) {
    req.resume();
    throw new PushError(415, `Content-Type ${JSON.stringify(req.headers['content-type'])} is not supported: use text/plain; version=0.0.4 (Prometheus text) or application/openmetrics-text`);
  }
  const body = await readBody(req, maxBodyBytes, budget);
  let text: string;
  try {
    text = body.toString('utf8');
  } finally {
    budget.release(body.length);
  }
  const parsed = await decodeTurn(() => parseExposition(text, format, limits));
  const result = await ingest.pushedMetrics(parsed, grouping);
  const answer = { samples: result.accepted, exemplars: parsed.samples.filter((s) => s.exemplar !== undefined).length, metadata: parsed.metadata.length };
  // Samples of series beyond the series limits are refused; the rest is stored, and the answer says so.
  res.status(200).json(result.rejected > 0 ? { ...answer, refused: result.rejected, error: result.errorMessage } : answer);
}
