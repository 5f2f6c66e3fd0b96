/**
 * loadgen: places orders through the gateway at a rate that follows a day
 * compressed into a few minutes (quiet at night, busiest at noon), with
 * catalog browsing around them, and injects faults on request.
 *
 *   LOADGEN_MINUTES_PER_DAY=10 LOADGEN_PEAK_ORDERS=4 node sample-services/src/loadgen.ts \
 *     [--payment-latency-ms 1500] [--payment-error-rate 0.3] [--inventory-down] [--catalog-latency-ms 400]
 *
 * Faults can also be changed while it runs: `POST /faults` on its port with
 * `{"payment": {"latencyMs": 1500, "errorRate": 0.3}, "inventory": {"down": true}, "catalog": {"latencyMs": 400}}`;
 * `GET /status` shows the current rate and counts.
 */
import express from 'express';
import { parseArgs } from 'node:util';
import { demoConfig } from './lib/config.ts';
import { listen } from './lib/serviceApp.ts';

const config = demoConfig('loadgen');
const minutesPerDay = Number(process.env.LOADGEN_MINUTES_PER_DAY ?? 10);
const peakOrdersPerSecond = Number(process.env.LOADGEN_PEAK_ORDERS ?? 4);
const browsesPerOrder = Number(process.env.LOADGEN_BROWSES_PER_ORDER ?? 3);
const apiKey = process.env.LOADGEN_API_KEY ?? 'demo-key';
for (const [name, value] of Object.entries({ LOADGEN_MINUTES_PER_DAY: minutesPerDay, LOADGEN_PEAK_ORDERS: peakOrdersPerSecond, LOADGEN_BROWSES_PER_ORDER: browsesPerOrder })) {
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name}: expected a positive number, got ${JSON.stringify(process.env[name])}`);
}
const { values: flags } = parseArgs({
  options: {
    'payment-latency-ms': { type: 'string' },
    'payment-error-rate': { type: 'string' },
    'inventory-down': { type: 'boolean' },
    'catalog-latency-ms': { type: 'string' },
  },
});

const PRODUCTS = ['p1', 'p2', 'p3', 'p4', 'p5', 'p6'];
/** At most this many requests in flight; beyond it a tick's requests are skipped (and counted). */
const MAX_IN_FLIGHT = 64;
const TICK_MS = 100;
const counts = { orders: 0, ordersFailed: 0, browses: 0, skipped: 0 };
let inFlight = 0;
const started = Date.now();

/** Orders per second at a moment: a smooth day, 15% of the peak at midnight, the peak at noon. */
function orderRate(nowMs: number): number {
  const dayFraction = ((nowMs - started) / (minutesPerDay * 60_000) + 0.25) % 1; // start in the morning
  return peakOrdersPerSecond * (0.15 + 0.85 * ((1 - Math.cos(2 * Math.PI * dayFraction)) / 2));
}

function send(path: string, body?: unknown): void {
  if (inFlight >= MAX_IN_FLIGHT) {
    counts.skipped++;
    return;
  }
  inFlight++;
  fetch(`${config.urls.gateway}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'x-api-key': apiKey, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  })
    .then(async (res) => {
      await res.arrayBuffer();
      if (body !== undefined) {
        if (res.ok) counts.orders++;
        else counts.ordersFailed++;
      } else counts.browses++;
    })
    .catch(() => {
      if (body !== undefined) counts.ordersFailed++;
    })
    .finally(() => inFlight--);
}

const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;

let owed = 0;
setInterval(() => {
  owed += (orderRate(Date.now()) * TICK_MS) / 1000;
  while (owed >= 1) {
    owed--;
    send('/api/orders', { productId: pick(PRODUCTS), quantity: 1 + Math.floor(Math.random() * 3) });
    for (let i = 0; i < browsesPerOrder; i++) send(Math.random() < 0.3 ? '/api/catalog' : `/api/catalog/${pick(PRODUCTS)}`);
  }
}, TICK_MS);

interface Faults {
  payment?: { latencyMs?: number; errorRate?: number };
  inventory?: { down?: boolean };
  catalog?: { latencyMs?: number };
}

/** Sets faults on the services' admin endpoints; says which service refused what. */
async function applyFaults(faults: Faults): Promise<Record<string, unknown>> {
  const applied: Record<string, unknown> = {};
  for (const [service, body] of Object.entries(faults) as Array<[keyof Faults, object | undefined]>) {
    if (body === undefined) continue;
    const base = config.urls[service];
    if (base === undefined) throw new Error(`unknown service ${JSON.stringify(service)}: expected payment, inventory or catalog`);
    const res = await fetch(`${base}/admin/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const answer = (await res.json()) as Record<string, unknown>;
    if (!res.ok) throw new Error(`${service}: ${String(answer.error ?? res.status)}`);
    applied[service] = answer;
  }
  return applied;
}

const initial: Faults = {};
if (flags['payment-latency-ms'] !== undefined || flags['payment-error-rate'] !== undefined) {
  initial.payment = {
    ...(flags['payment-latency-ms'] === undefined ? {} : { latencyMs: Number(flags['payment-latency-ms']) }),
    ...(flags['payment-error-rate'] === undefined ? {} : { errorRate: Number(flags['payment-error-rate']) }),
  };
}
if (flags['inventory-down'] === true) initial.inventory = { down: true };
if (flags['catalog-latency-ms'] !== undefined) initial.catalog = { latencyMs: Number(flags['catalog-latency-ms']) };
if (Object.keys(initial).length > 0) console.log('faults', JSON.stringify(await applyFaults(initial)));

const admin = express();
admin.use(express.json());
admin.get('/status', (_req, res) => res.json({ ordersPerSecond: Number(orderRate(Date.now()).toFixed(2)), inFlight, ...counts }));
admin.post('/faults', (req, res) => {
  applyFaults(req.body as Faults).then(
    (applied) => res.json(applied),
    (error: unknown) => res.status(400).json({ error: (error as Error).message }),
  );
});
await listen(admin, 'loadgen', config.port);
