/**
 * catalog: products and prices. Fault: a slow catalog (`POST /admin/faults {"latencyMs": 300}`).
 */
import { demoConfig } from './lib/config.ts';
import { Table, openDatabase } from './lib/Table.ts';
import { HttpError, agentFor, finish, listen, route, serviceApp, sleep } from './lib/serviceApp.ts';

interface Product {
  id: string;
  name: string;
  priceCents: number;
}

const SEED: Product[] = [
  { id: 'p1', name: 'Espresso beans, 1 kg', priceCents: 2490 },
  { id: 'p2', name: 'Hand grinder', priceCents: 8900 },
  { id: 'p3', name: 'Pour-over kettle', priceCents: 5400 },
  { id: 'p4', name: 'Paper filters, 100', priceCents: 650 },
  { id: 'p5', name: 'Milk jug', priceCents: 1800 },
  { id: 'p6', name: 'Scale', priceCents: 3200 },
];

const config = demoConfig('catalog');
const agent = agentFor('catalog');
const products = new Table<Product>(openDatabase(config.databaseUrl), 'catalog', 'products');
for (const p of SEED) await products.put(p.id, p);
const faults = { latencyMs: 0 };

const app = serviceApp();
app.get('/products', route(async (_req, res) => {
  await sleep(faults.latencyMs);
  res.json({ products: await products.list() });
}));
app.get('/products/:id', route(async (req, res) => {
  await sleep(faults.latencyMs);
  const product = await products.get(String(req.params.id));
  if (product === undefined) throw new HttpError(404, `no product ${JSON.stringify(req.params.id)}`);
  res.json(product);
}));
app.post('/admin/faults', (req, res) => {
  const latency = Number((req.body as { latencyMs?: unknown }).latencyMs ?? 0);
  if (!Number.isFinite(latency) || latency < 0) throw new HttpError(400, 'latencyMs: expected milliseconds, 0 or more');
  faults.latencyMs = latency;
  agent.logger.warn('fault set: catalog latency', { latencyMs: latency });
  res.json(faults);
});
finish(app, agent);
await listen(app, 'catalog', config.port);
