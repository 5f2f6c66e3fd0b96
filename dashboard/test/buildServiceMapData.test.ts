import { describe, expect, it } from 'vitest';
import { buildServiceMapData, layoutServiceMap } from '../src/data/buildServiceMapData.ts';

const sample = (metric: Record<string, string>, value: number) => ({ metric, value: [1700000000, String(value)] as [number, string] });
const edge = (client: string, server: string, connection_type = '', messaging_destination?: string) => ({ client, server, connection_type, ...(messaging_destination !== undefined && { messaging_destination }) });

describe('buildServiceMapData', () => {
  const data = buildServiceMapData({
    services: ['gateway', 'order', 'payment', 'lonely'],
    requests: [sample(edge('gateway', 'order'), 2), sample(edge('order', 'payment', 'messaging_system', 'orders.created'), 1), sample(edge('order', 'postgresql', 'database'), 3), sample(edge('order', 'payment', 'messaging_system'), 0.5)],
    failed: [sample(edge('gateway', 'order'), 0.5)],
    p95: [sample(edge('gateway', 'order'), 0.045), sample(edge('order', 'postgresql', 'database'), NaN)],
    serviceRate: [sample({ service_name: 'gateway' }, 2), sample({ service_name: 'order' }, 2), sample({ service_name: 'payment' }, 1)],
    serviceErrors: [sample({ service_name: 'order' }, 0.5), sample({ service_name: 'payment' }, 0.015)],
    firing: [sample({ alertname: 'PaymentFailureBurst', job: 'payment', alertstate: 'firing' }, 1)],
  });

  it('draws services, a queue between producer and consumer, a database as a leaf, and isolated services', () => {
    expect(data.nodes.map((n) => `${n.kind}:${n.label}`)).toEqual(['database:postgresql', 'queue:orders.created', 'service:gateway', 'service:lonely', 'service:order', 'service:payment']);
    expect(data.edges.map((e) => [e.source, e.target, e.rate])).toEqual([
      ['queue:orders.created', 'service:payment', 1],
      ['service:gateway', 'service:order', 2],
      ['service:order', 'database:postgresql', 3],
      ['service:order', 'queue:orders.created', 1],
      ['service:order', 'service:payment', 0.5],
    ]);
  });

  it('labels edges with their failed share and p95 (none when the histogram gives none)', () => {
    const gw = data.edges.find((e) => e.id === 'service:gateway→service:order')!;
    expect([gw.errorRate, gw.p95]).toEqual([0.25, 0.045]);
    expect(data.edges.find((e) => e.target === 'database:postgresql')!.p95).toBeNull();
  });

  it('colours services by health: firing alert or over 5% errors red, over 1% amber, no traffic unknown', () => {
    expect(Object.fromEntries(data.nodes.filter((n) => n.kind === 'service').map((n) => [n.label, n.health]))).toEqual({ gateway: 'ok', lonely: 'unknown', order: 'bad', payment: 'bad' });
  });

  it('lays the graph out left to right, callers before callees', () => {
    const at = layoutServiceMap(data);
    expect(at.get('service:gateway')!.x).toBeLessThan(at.get('service:order')!.x);
    expect(at.get('service:order')!.x).toBeLessThan(at.get('queue:orders.created')!.x);
    expect(at.get('queue:orders.created')!.x).toBeLessThan(at.get('service:payment')!.x);
  });
});
