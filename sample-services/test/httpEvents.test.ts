/**
 * Without a broker (AMQP_URL empty) the services deliver the saga's events
 * over HTTP, and the trace keeps the same shape: the event hops are still
 * producer and consumer spans between order and payment.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startDemo, type Demo } from './support/demo.ts';

type Span = { operationName: string; processID: string; tags: Array<{ key: string; value: unknown }> };
type Trace = { spans: Span[]; processes: Record<string, { serviceName: string }> };

let demo: Demo;
beforeAll(async () => {
  demo = await startDemo({ amqp: false });
});
afterAll(async () => {
  await demo?.stop();
});

describe('the order flow without a broker', () => {
  it('delivers the events over HTTP and gives the same trace shape', async () => {
    const res = await fetch(`${demo.url('gateway')}/api/orders`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'demo-key' }, body: JSON.stringify({ productId: 'p4', quantity: 1 }) });
    expect(res.status).toBe(201);
    const order = (await res.json()) as { id: string };
    await eventually(async () => ((((await (await fetch(`${demo.url('order')}/orders/${order.id}`)).json()) as { status: string }).status === 'paid') ? true : undefined));

    const kind = (s: Span) => s.tags.find((x) => x.key === 'span.kind')?.value;
    const trace = await eventually(async () => {
      const tags = encodeURIComponent(JSON.stringify({ 'order.id': order.id }));
      const t = ((await (await fetch(`${demo.collector.url}/api/traces?service=order&tags=${tags}&lookback=1h`)).json()) as { data: Trace[] }).data[0];
      return t !== undefined && t.spans.filter((s) => kind(s) === 'consumer').length === 2 ? t : undefined;
    });
    const service = (s: Span) => trace.processes[s.processID]!.serviceName;
    expect(new Set(trace.spans.map(service))).toEqual(new Set(['gateway', 'order', 'catalog', 'inventory', 'payment']));
    expect(trace.spans.filter((s) => kind(s) === 'producer').map(service).sort()).toEqual(['order', 'payment']);
    expect(trace.spans.filter((s) => kind(s) === 'consumer').map(service).sort()).toEqual(['order', 'payment']);
    expect(trace.spans.filter((s) => kind(s) === 'producer').every((s) => s.tags.some((t) => t.key === 'messaging.system' && t.value === 'http'))).toBe(true);
  });
});
