/**
 * payment: consumes OrderCreated, charges (simulated, with a timeout per
 * attempt and a bounded retry), publishes PaymentCompleted or PaymentFailed,
 * and reports its queue depth. Faults: `POST /admin/faults
 * {"latencyMs": 1500, "errorRate": 0.5}`.
 */
import { Counter, Gauge } from 'prom-client';
import { demoConfig } from './lib/config.ts';
import { connectEvents } from './lib/events.ts';
import { HttpError, agentFor, finish, listen, serviceApp, sleep } from './lib/serviceApp.ts';

/** Longest wait for one charge attempt, and how many attempts in all. */
const CHARGE_TIMEOUT_MS = 1000;
const ATTEMPTS = 3;

const config = demoConfig('payment');
const agent = agentFor('payment');
const log = agent.logger;
const payments = new Counter({ name: 'payments', help: 'Payments by result: completed or failed.', labelNames: ['result'], registers: [agent.metrics] });
const faults = { latencyMs: Number(process.env.PAYMENT_LATENCY_MS ?? 20), errorRate: Number(process.env.PAYMENT_ERROR_RATE ?? 0.02) };
const app = serviceApp();
const events = await connectEvents(app, config, 'payment', agent);
const queue = `${config.namespace}.payment`;
new Gauge({
  name: 'messaging_queue_depth',
  help: 'Messages waiting in the queue this service consumes.',
  labelNames: ['queue'],
  registers: [agent.metrics],
  async collect() {
    this.set({ queue }, await events.queueDepth().catch(() => 0));
  },
});

/** One simulated charge: the card processor's latency (with jitter), and its declines. */
async function chargeOnce(): Promise<'ok' | 'declined'> {
  const latency = faults.latencyMs * (0.5 + Math.random());
  const outcome = sleep(latency).then(() => (Math.random() < faults.errorRate ? ('declined' as const) : ('ok' as const)));
  const timeout = sleep(CHARGE_TIMEOUT_MS).then(() => 'timeout' as const);
  const result = await Promise.race([outcome, timeout]);
  if (result === 'timeout') throw new Error(`charge timed out after ${CHARGE_TIMEOUT_MS} ms`);
  return result;
}

await events.subscribe(['OrderCreated'], async (_type, payload) => {
  const orderId = String(payload.orderId);
  let reason = '';
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    try {
      if ((await chargeOnce()) === 'ok') {
        payments.inc({ result: 'completed' });
        log.info('payment completed', { orderId, amountCents: payload.amountCents, attempt });
        await events.publish('PaymentCompleted', { orderId });
        return;
      }
      reason = 'card declined';
      break;
    } catch (error) {
      reason = (error as Error).message;
      if (attempt < ATTEMPTS) log.warn('charge timed out, retrying', { orderId, attempt });
    }
  }
  payments.inc({ result: 'failed' });
  log.error('payment failed', { orderId, reason });
  await events.publish('PaymentFailed', { orderId, reason });
});

app.post('/admin/faults', (req, res) => {
  const body = req.body as { latencyMs?: unknown; errorRate?: unknown };
  const latency = body.latencyMs === undefined ? faults.latencyMs : Number(body.latencyMs);
  const rate = body.errorRate === undefined ? faults.errorRate : Number(body.errorRate);
  if (!Number.isFinite(latency) || latency < 0) throw new HttpError(400, 'latencyMs: expected milliseconds, 0 or more');
  if (!Number.isFinite(rate) || rate < 0 || rate > 1) throw new HttpError(400, 'errorRate: expected a number from 0 to 1');
  Object.assign(faults, { latencyMs: latency, errorRate: rate });
  log.warn('fault set: payment', faults);
  res.json(faults);
});
finish(app, agent);
await listen(app, 'payment', config.port);
