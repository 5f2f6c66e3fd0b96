/**
 * The order flow of the sample services, end to end with the real processes,
 * RabbitMQ and PostgreSQL: one order placed through the gateway is one trace
 * across all five services, every service's log lines for it are found by its
 * trace id, the business counter moves; with payment forced to fail, the saga
 * compensates.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startDemo, type Demo } from './support/demo.ts';

type Span = { spanID: string; operationName: string; processID: string; references: Array<{ spanID: string }>; tags: Array<{ key: string; value: unknown }> };
type Trace = { traceID: string; spans: Span[]; processes: Record<string, { serviceName: string }> };
type Order = { id: string; status: string; reservationId: string; amountCents: number };

let demo: Demo;
beforeAll(async () => {
  demo = await startDemo({ amqp: true });
});
afterAll(async () => {
  await demo?.stop();
});

async function placeOrder(productId: string, quantity: number): Promise<Order> {
  const res = await fetch(`${demo.url('gateway')}/api/orders`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'demo-key' }, body: JSON.stringify({ productId, quantity }) });
  expect(res.status).toBe(201);
  return (await res.json()) as Order;
}

const orderStatus = async (id: string) => ((await (await fetch(`${demo.url('order')}/orders/${id}`)).json()) as Order).status;

/** The trace of an order, found by the `order.id` the order service puts on its span, once `complete` holds. */
async function traceOf(orderId: string, complete: (t: Trace) => boolean): Promise<Trace> {
  return eventually(async () => {
    const tags = encodeURIComponent(JSON.stringify({ 'order.id': orderId }));
    const r = await fetch(`${demo.collector.url}/api/traces?service=order&tags=${tags}&lookback=1h`);
    const t = ((await r.json()) as { data: Trace[] }).data[0];
    return t !== undefined && complete(t) ? t : undefined;
  });
}

const services = (t: Trace) => new Set(t.spans.map((s) => t.processes[s.processID]!.serviceName));
const kind = (s: Span) => s.tags.find((x) => x.key === 'span.kind')?.value;

async function ordersCreated(): Promise<number> {
  const [series] = await demo.collector.stores.metrics.selectSeries(
    [
      { name: '__name__', type: '=', value: 'orders_created_total' },
      { name: 'job', type: '=', value: 'order' },
      { name: 'status', type: '=', value: 'created' },
    ],
    Date.now() - 600_000,
    Date.now(),
  );
  return series?.values.at(-1) ?? 0;
}

describe('an order placed through the gateway', () => {
  it('is one trace across gateway, order, catalog, inventory and payment, with every log line found by its trace id', async () => {
    const order = await placeOrder('p2', 2);
    expect(order).toMatchObject({ status: 'pending', amountCents: 17_800 });
    await eventually(async () => ((await orderStatus(order.id)) === 'paid' ? true : undefined));

    const trace = await traceOf(order.id, (t) => services(t).size === 5 && t.spans.some((s) => kind(s) === 'consumer' && t.processes[s.processID]!.serviceName === 'order'));
    expect([...services(trace)].sort()).toEqual(['catalog', 'gateway', 'inventory', 'order', 'payment']);
    // Through RabbitMQ: order publishes, payment consumes, and the reverse for the result.
    const producers = trace.spans.filter((s) => kind(s) === 'producer').map((s) => trace.processes[s.processID]!.serviceName);
    const consumers = trace.spans.filter((s) => kind(s) === 'consumer').map((s) => trace.processes[s.processID]!.serviceName);
    expect(producers.sort()).toEqual(['order', 'payment']);
    expect(consumers.sort()).toEqual(['order', 'payment']);
    // The database is a client span of the services that own tables.
    expect(trace.spans.some((s) => s.tags.some((t) => t.key === 'db.system.name' || t.key === 'db.system'))).toBe(true);

    const logs = await eventually(async () => {
      const r = await fetch(`${demo.collector.url}/api/logs?traceId=${trace.traceID}`);
      const data = ((await r.json()) as { data: Array<{ body: string; serviceName: string }> }).data;
      return data.some((l) => l.body === 'order paid') ? data : undefined;
    });
    expect(logs.map((l) => [l.serviceName, l.body])).toEqual(
      expect.arrayContaining([
        ['inventory', 'stock reserved'],
        ['order', 'order created'],
        ['payment', 'payment completed'],
        ['order', 'order paid'],
      ]),
    );
  });

  it('increases orders_created_total, pushed by the order service', async () => {
    const before = await eventually(async () => ((await ordersCreated()) > 0 ? ordersCreated() : undefined));
    await placeOrder('p1', 1);
    const after = await eventually(async () => {
      const n = await ordersCreated();
      return n > before ? n : undefined;
    });
    expect(after).toBe(before + 1);
  });

  it('is compensated when payment fails: the order ends failed, the reservation is released, and the trace shows it', async () => {
    await fetch(`${demo.url('payment')}/admin/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ errorRate: 1 }) });
    const stockBefore = ((await (await fetch(`${demo.url('inventory')}/stock/p3`)).json()) as { available: number }).available;
    const order = await placeOrder('p3', 4);
    await eventually(async () => ((await orderStatus(order.id)) === 'failed' ? true : undefined));
    const reservation = (await (await fetch(`${demo.url('inventory')}/reservations/${order.reservationId}`)).json()) as { status: string };
    expect(reservation.status).toBe('released');
    const stockAfter = ((await (await fetch(`${demo.url('inventory')}/stock/p3`)).json()) as { available: number }).available;
    expect(stockAfter).toBe(stockBefore);

    const trace = await traceOf(order.id, (t) => t.spans.some((s) => s.operationName === 'DELETE /reservations/:id'));
    const release = trace.spans.find((s) => s.operationName === 'DELETE /reservations/:id')!;
    expect(trace.processes[release.processID]!.serviceName).toBe('inventory');
    const logs = await eventually(async () => {
      const r = await fetch(`${demo.collector.url}/api/logs?traceId=${trace.traceID}`);
      const data = ((await r.json()) as { data: Array<{ body: string; serviceName: string }> }).data;
      return data.some((l) => l.body.startsWith('compensation done')) ? data : undefined;
    });
    expect(logs.map((l) => [l.serviceName, l.body])).toEqual(
      expect.arrayContaining([
        ['payment', 'payment failed'],
        ['inventory', 'reservation released'],
        ['order', 'compensation done: reservation released, order failed'],
      ]),
    );
  });

  it('is refused at the gateway without a valid API key', async () => {
    const res = await fetch(`${demo.url('gateway')}/api/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"productId":"p1"}' });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: string }).error).toContain('x-api-key');
  });
});
