import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { currentAgent, startAgent, type Agent } from '@mirador/agent';

/** A request error with the status to answer and a message for the caller. */
export class HttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/** The agent the register entry started, or one started here (when the service runs without `--import`). */
export function agentFor(serviceName: string): Agent {
  return currentAgent() ?? startAgent({ serviceName });
}

/** An Express app with JSON bodies and `/healthz`; errors become JSON answers naming what was wrong. */
export function serviceApp(): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: '256kb' }));
  app.get('/healthz', (_req, res) => res.json({ status: 'ok' }));
  return app;
}

/** Wraps an async route so its rejection reaches the error handler. */
export function route(handler: (req: Request, res: Response) => Promise<void>) {
  return (req: Request, res: Response, next: NextFunction) => {
    handler(req, res).catch(next);
  };
}

/** Last: turns errors into JSON answers, logging the unexpected ones. */
export function finish(app: Express, agent: Agent): void {
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (error instanceof HttpError) {
      res.status(error.status).json({ error: error.message });
      return;
    }
    agent.logger.error('request failed', { error: String(error) });
    res.status(500).json({ error: 'internal error' });
  });
}

/** Listens and prints "listening PORT" (what the start script and tests wait for); a taken port is a clear error. */
export function listen(app: Express, name: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, '127.0.0.1', () => {
      const address = server.address();
      process.stdout.write(`${name} listening ${typeof address === 'object' && address !== null ? address.port : port}\n`);
      resolve();
    });
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(error.code === 'EADDRINUSE' ? new Error(`${name}: port ${port} is in use; set ${name.toUpperCase()}_PORT to another port`) : error);
    });
  });
}

/** Calls another service; a non-2xx answer becomes an HttpError carrying its status and message. */
export async function call<T>(url: string, init?: { method?: string; body?: unknown }): Promise<T> {
  const res = await fetch(url, {
    method: init?.method ?? 'GET',
    headers: init?.body === undefined ? {} : { 'content-type': 'application/json' },
    body: init?.body === undefined ? undefined : JSON.stringify(init.body),
    signal: AbortSignal.timeout(5000),
  });
  const body = (await res.json().catch(() => ({}))) as T & { error?: string };
  if (!res.ok) throw new HttpError(res.status, body.error ?? `${url} answered ${res.status}`);
  return body;
}

/** Sleeps, for simulated latency. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
