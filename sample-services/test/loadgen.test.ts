/**
 * The load generator drives orders through the gateway on its own, and its
 * fault endpoint reaches the services: with payment failing, failed payments
 * show up in the pushed business metrics.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startComponent, type RunningComponent } from '../src/lib/processes.ts';
import { eventually, startDemo, type Demo } from './support/demo.ts';

let demo: Demo;
let loadgen: RunningComponent;
beforeAll(async () => {
  demo = await startDemo({ amqp: true });
  const urls = { GATEWAY_URL: demo.url('gateway'), PAYMENT_URL: demo.url('payment'), INVENTORY_URL: demo.url('inventory'), CATALOG_URL: demo.url('catalog') };
  loadgen = await startComponent('loadgen', { ...urls, LOADGEN_PORT: '0', LOADGEN_PEAK_ORDERS: '20', LOADGEN_MINUTES_PER_DAY: '1' });
});
afterAll(async () => {
  loadgen?.child.kill('SIGKILL');
  await demo?.stop();
});

async function payments(result: string): Promise<number> {
  const [series] = await demo.collector.stores.metrics.selectSeries(
    [
      { name: '__name__', type: '=', value: 'payments_total' },
      { name: 'result', type: '=', value: result },
    ],
    Date.now() - 600_000,
    Date.now(),
  );
  return series?.values.at(-1) ?? 0;
}

describe('loadgen', () => {
  it('places orders through the gateway, and injects faults the services act on', async () => {
    const status = await eventually(async () => {
      const s = (await (await fetch(`http://127.0.0.1:${loadgen.port}/status`)).json()) as { orders: number; browses: number; ordersFailed: number };
      return s.orders >= 5 ? s : undefined;
    });
    expect(status.browses).toBeGreaterThan(status.orders);
    expect(await eventually(async () => ((await payments('completed')) > 0 ? payments('completed') : undefined))).toBeGreaterThan(0);

    const res = await fetch(`http://127.0.0.1:${loadgen.port}/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ payment: { errorRate: 1 } }) });
    expect(((await res.json()) as { payment: { errorRate: number } }).payment.errorRate).toBe(1);
    expect(await eventually(async () => ((await payments('failed')) > 0 ? payments('failed') : undefined))).toBeGreaterThan(0);

    const bad = await fetch(`http://127.0.0.1:${loadgen.port}/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ payment: { errorRate: 2 } }) });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toBe('payment: errorRate: expected a number from 0 to 1');
  });
});
