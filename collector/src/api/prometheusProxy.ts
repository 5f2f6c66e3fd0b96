import express, { type Request, type Response, type Router } from 'express';
import type { CollectorLog } from '../telemetry/log.ts';

/** The read paths of the Prometheus HTTP API a backend store answers for the collector. */
const PROXIED = ['/api/v1/query', '/api/v1/query_range', '/api/v1/series', '/api/v1/labels', '/api/v1/label/:name/values', '/api/v1/metadata', '/api/v1/query_exemplars', '/api/v1/status/buildinfo'];

/**
 * With a Prometheus-compatible metrics backend, the collector's PromQL API is
 * that store's: queries (GET or form POST, as Grafana sends them) go there
 * unchanged and its answer comes back as it is, status and error types
 * included. Rules and alerts stay the collector's own.
 */
export function prometheusProxyRouter(backendUrl: string, options: { timeoutMs: number; log: CollectorLog }): Router {
  const router = express.Router();
  const base = backendUrl.replace(/\/+$/, '');
  const body = express.raw({ type: () => true, limit: '1mb' });
  const forward = (req: Request, res: Response) => {
    const query = req.originalUrl.includes('?') ? req.originalUrl.slice(req.originalUrl.indexOf('?')) : '';
    const init: RequestInit = { method: req.method, signal: AbortSignal.timeout(options.timeoutMs) };
    if (req.method === 'POST') {
      init.body = Buffer.isBuffer(req.body) ? req.body : '';
      init.headers = { 'content-type': req.get('content-type') ?? 'application/x-www-form-urlencoded' };
    }
    fetch(`${base}${req.path}${query}`, init).then(
      async (answer) => {
        res.status(answer.status).type(answer.headers.get('content-type') ?? 'application/json').send(Buffer.from(await answer.arrayBuffer()));
      },
      (error: unknown) => {
        options.log.warn('the metrics backend did not answer', { url: base, path: req.path, error: (error as Error).message });
        res.status(503).json({ status: 'error', errorType: 'unavailable', error: `the metrics backend ${base} did not answer: ${(error as Error).message}` });
      },
    );
  };
  for (const path of PROXIED) {
    router.get(path, forward);
    router.post(path, body, forward);
  }
  return router;
}
