/**
 * inventory: stock, reservations and their release. Fault: an outage
 * (`POST /admin/faults {"down": true}` answers 503 to everything else).
 */
import { randomUUID } from 'node:crypto';
import { Counter } from 'prom-client';
import { demoConfig } from './lib/config.ts';
import { Table, openDatabase } from './lib/Table.ts';
import { HttpError, agentFor, finish, listen, route, serviceApp } from './lib/serviceApp.ts';

interface Stock {
  productId: string;
  available: number;
}
interface Reservation {
  id: string;
  productId: string;
  quantity: number;
  status: 'held' | 'released';
}

const config = demoConfig('inventory');
const agent = agentFor('inventory');
const db = openDatabase(config.databaseUrl);
const stock = new Table<Stock>(db, 'inventory', 'stock');
const reservations = new Table<Reservation>(db, 'inventory', 'reservations');
for (const id of ['p1', 'p2', 'p3', 'p4', 'p5', 'p6']) if ((await stock.get(id)) === undefined) await stock.put(id, { productId: id, available: 1_000_000 });
const results = new Counter({ name: 'inventory_reservations', help: 'Reservations by result: reserved, rejected (out of stock) or released.', labelNames: ['result'], registers: [agent.metrics] });
const faults = { down: false };

// Stock changes are read-modify-write: one at a time in this process.
let lock: Promise<unknown> = Promise.resolve();
const serially = <T>(work: () => Promise<T>): Promise<T> => {
  const run = lock.then(work, work);
  lock = run.catch(() => undefined);
  return run;
};

const app = serviceApp();
app.use((req, _res, next) => {
  if (faults.down && !req.path.startsWith('/admin') && req.path !== '/healthz') throw new HttpError(503, 'inventory is down (injected fault)');
  next();
});
app.get('/stock/:productId', route(async (req, res) => {
  const s = await stock.get(String(req.params.productId));
  if (s === undefined) throw new HttpError(404, `no stock for ${JSON.stringify(req.params.productId)}`);
  res.json(s);
}));
app.post('/reservations', route(async (req, res) => {
  const { productId, quantity } = req.body as { productId?: unknown; quantity?: unknown };
  if (typeof productId !== 'string') throw new HttpError(400, 'productId: expected a string');
  if (typeof quantity !== 'number' || !Number.isInteger(quantity) || quantity < 1) throw new HttpError(400, 'quantity: expected a whole number, 1 or more');
  const reservation = await serially(async () => {
    const s = await stock.get(productId);
    if (s === undefined) throw new HttpError(404, `no stock for ${JSON.stringify(productId)}`);
    if (s.available < quantity) {
      results.inc({ result: 'rejected' });
      throw new HttpError(409, `only ${s.available} of ${productId} in stock`);
    }
    await stock.put(productId, { productId, available: s.available - quantity });
    const r: Reservation = { id: randomUUID(), productId, quantity, status: 'held' };
    await reservations.put(r.id, r);
    return r;
  });
  results.inc({ result: 'reserved' });
  agent.logger.info('stock reserved', { reservationId: reservation.id, productId, quantity });
  res.status(201).json(reservation);
}));
app.delete('/reservations/:id', route(async (req, res) => {
  const released = await serially(async () => {
    const r = await reservations.get(String(req.params.id));
    if (r === undefined) throw new HttpError(404, `no reservation ${JSON.stringify(req.params.id)}`);
    if (r.status === 'released') return r;
    const s = await stock.get(r.productId);
    await stock.put(r.productId, { productId: r.productId, available: (s?.available ?? 0) + r.quantity });
    const done: Reservation = { ...r, status: 'released' };
    await reservations.put(r.id, done);
    results.inc({ result: 'released' });
    return done;
  });
  agent.logger.info('reservation released', { reservationId: released.id, productId: released.productId, quantity: released.quantity });
  res.json(released);
}));
app.get('/reservations/:id', route(async (req, res) => {
  const r = await reservations.get(String(req.params.id));
  if (r === undefined) throw new HttpError(404, `no reservation ${JSON.stringify(req.params.id)}`);
  res.json(r);
}));
app.post('/admin/faults', (req, res) => {
  faults.down = (req.body as { down?: unknown }).down === true;
  agent.logger.warn('fault set: inventory outage', { down: faults.down });
  res.json(faults);
});
finish(app, agent);
await listen(app, 'inventory', config.port);
