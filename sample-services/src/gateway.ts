/**
 * gateway: the single entry point. Checks the API key (`x-api-key`), limits
 * each key's request rate (token bucket; 429 with Retry-After beyond it), and
 * routes `/api/orders` to order and `/api/catalog` to catalog.
 */
import type { Request, Response } from 'express';
import { demoConfig } from './lib/config.ts';
import { HttpError, agentFor, finish, listen, route, serviceApp } from './lib/serviceApp.ts';

const config = demoConfig('gateway');
const agent = agentFor('gateway');
const keys = new Set((process.env.GATEWAY_API_KEYS ?? 'demo-key').split(',').map((k) => k.trim()).filter((k) => k !== ''));
const ratePerSecond = Number(process.env.GATEWAY_RATE_LIMIT ?? 200);
const burst = ratePerSecond * 2;

/** Requests a key may still make now, refilled at `ratePerSecond`. */
const buckets = new Map<string, { tokens: number; at: number }>();
function take(key: string, now: number): boolean {
  const b = buckets.get(key) ?? { tokens: burst, at: now };
  b.tokens = Math.min(burst, b.tokens + ((now - b.at) / 1000) * ratePerSecond);
  b.at = now;
  buckets.set(key, b);
  if (b.tokens < 1) return false;
  b.tokens--;
  return true;
}

const app = serviceApp();
app.use('/api', (req, res, next) => {
  const key = req.header('x-api-key');
  if (key === undefined || !keys.has(key)) throw new HttpError(401, 'missing or unknown API key: send it in the x-api-key header');
  if (!take(key, Date.now())) {
    res.setHeader('Retry-After', '1');
    throw new HttpError(429, `rate limit of ${ratePerSecond} requests per second for this key exceeded`);
  }
  next();
});

/** Forwards the request to a service and relays its answer. */
async function forward(req: Request, res: Response, url: string): Promise<void> {
  const upstream = await fetch(url, {
    method: req.method,
    headers: req.method === 'GET' ? {} : { 'content-type': 'application/json' },
    body: req.method === 'GET' ? undefined : JSON.stringify(req.body ?? {}),
    signal: AbortSignal.timeout(10_000),
  }).catch((error: unknown) => {
    throw new HttpError(502, `upstream ${new URL(url).host} unreachable: ${(error as Error).message}`);
  });
  res.status(upstream.status).type(upstream.headers.get('content-type') ?? 'application/json').send(Buffer.from(await upstream.arrayBuffer()));
}

app.post('/api/orders', route((req, res) => forward(req, res, `${config.urls.order}/orders`)));
app.get('/api/orders/:id', route((req, res) => forward(req, res, `${config.urls.order}/orders/${encodeURIComponent(String(req.params.id))}`)));
app.get('/api/catalog', route((req, res) => forward(req, res, `${config.urls.catalog}/products`)));
app.get('/api/catalog/:id', route((req, res) => forward(req, res, `${config.urls.catalog}/products/${encodeURIComponent(String(req.params.id))}`)));
finish(app, agent);
await listen(app, 'gateway', config.port);
