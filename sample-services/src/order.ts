/**
 * order: creates orders (price from catalog, stock from inventory), publishes
 * OrderCreated, and finishes the order on PaymentCompleted or compensates on
 * PaymentFailed (a choreographed saga: the reservation is released and the
 * order marked failed).
 */
import { randomUUID } from 'node:crypto';
import { trace } from '@opentelemetry/api';
import { Counter } from 'prom-client';
import { demoConfig } from './lib/config.ts';
import { connectEvents } from './lib/events.ts';
import { Table, openDatabase } from './lib/Table.ts';
import { HttpError, agentFor, call, finish, listen, route, serviceApp } from './lib/serviceApp.ts';

interface Order {
  id: string;
  productId: string;
  quantity: number;
  amountCents: number;
  reservationId: string;
  status: 'pending' | 'paid' | 'failed';
  failureReason?: string;
}

const config = demoConfig('order');
const agent = agentFor('order');
const log = agent.logger;
const orders = new Table<Order>(openDatabase(config.databaseUrl), 'order', 'orders');
const created = new Counter({ name: 'orders_created', help: 'Orders placed, by status: created, or rejected (out of stock, unknown product).', labelNames: ['status'], registers: [agent.metrics] });
const value = new Counter({ name: 'order_value', help: 'Value of the orders created, in currency units.', registers: [agent.metrics] });
const app = serviceApp();
const events = await connectEvents(app, config, 'order', agent);

app.post('/orders', route(async (req, res) => {
  const { productId, quantity = 1 } = req.body as { productId?: unknown; quantity?: unknown };
  if (typeof productId !== 'string') throw new HttpError(400, 'productId: expected a string');
  if (typeof quantity !== 'number' || !Number.isInteger(quantity) || quantity < 1 || quantity > 100) throw new HttpError(400, 'quantity: expected a whole number from 1 to 100');
  let product: { priceCents: number };
  let reservation: { id: string };
  try {
    product = await call<{ priceCents: number }>(`${config.urls.catalog}/products/${encodeURIComponent(productId)}`);
    reservation = await call<{ id: string }>(`${config.urls.inventory}/reservations`, { method: 'POST', body: { productId, quantity } });
  } catch (error) {
    created.inc({ status: 'rejected' });
    log.warn('order rejected', { productId, quantity, reason: (error as Error).message });
    throw error instanceof HttpError && error.status < 500 ? error : new HttpError(502, `order could not be placed: ${(error as Error).message}`);
  }
  const order: Order = { id: randomUUID(), productId, quantity, amountCents: product.priceCents * quantity, reservationId: reservation.id, status: 'pending' };
  // The order id on the request's span: a trace is found by the order it placed (tags={"order.id": ...}).
  trace.getActiveSpan()?.setAttribute('order.id', order.id);
  await orders.put(order.id, order);
  await events.publish('OrderCreated', { orderId: order.id, amountCents: order.amountCents });
  created.inc({ status: 'created' });
  value.inc(order.amountCents / 100);
  log.info('order created', { orderId: order.id, productId, quantity, amountCents: order.amountCents });
  res.status(201).json(order);
}));

app.get('/orders/:id', route(async (req, res) => {
  const order = await orders.get(String(req.params.id));
  if (order === undefined) throw new HttpError(404, `no order ${JSON.stringify(req.params.id)}`);
  res.json(order);
}));

await events.subscribe(['PaymentCompleted', 'PaymentFailed'], async (type, payload) => {
  const order = await orders.get(String(payload.orderId));
  if (order === undefined || order.status !== 'pending') return;
  if (type === 'PaymentCompleted') {
    await orders.put(order.id, { ...order, status: 'paid' });
    log.info('order paid', { orderId: order.id });
    return;
  }
  // Compensation: give the stock back, then mark the order failed.
  const reason = String(payload.reason ?? 'payment failed');
  await call(`${config.urls.inventory}/reservations/${order.reservationId}`, { method: 'DELETE' });
  await orders.put(order.id, { ...order, status: 'failed', failureReason: reason });
  log.warn('compensation done: reservation released, order failed', { orderId: order.id, reservationId: order.reservationId, reason });
});

finish(app, agent);
await listen(app, 'order', config.port);
