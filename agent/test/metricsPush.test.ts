/**
 * The metrics push against a real HTTP server standing in for the collector:
 * what a push carries, how a 503 with Retry-After and a collector that never
 * answers are handled, and that pushes resume afterwards (user journey 3:
 * the collector slow or refusing, the service unharmed, data flowing again).
 */
import http from 'node:http';
import { Counter, Registry } from 'prom-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MetricsPusher } from '../src/metricsPush.ts';
import { retryAfterMillis } from '../src/socketHttp.ts';

interface Received {
  /** When the push arrived (Date.now()). */
  at: number;
  path: string;
  contentType: string | undefined;
  authorization: string | undefined;
  body: string;
}

const servers: http.Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    s.close();
  }
});

/** A server on a free loopback port answering each push with what `answer` returns (undefined: never answer). */
async function collectorStandIn(answer: (n: number) => { status: number; headers?: Record<string, string> } | undefined): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      received.push({ at: Date.now(), path: req.url ?? '', contentType: req.headers['content-type'], authorization: req.headers.authorization, body });
      const a = answer(received.length);
      if (a !== undefined) res.writeHead(a.status, a.headers).end();
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/metrics/job/shop/instance/h:1`, received };
}

function registryWithOrders(): Registry {
  const registry = new Registry();
  new Counter({ name: 'orders_created_total', help: 'Orders created.', registers: [registry] }).inc(3);
  return registry;
}

async function pushCount(registry: Registry, result: string): Promise<number> {
  const metric = await registry.getSingleMetric('mirador_agent_metric_pushes_total')!.get();
  return metric.values.find((v) => v.labels.result === result)?.value ?? 0;
}

describe('metrics push', () => {
  it('POSTs the registry in its exposition format, with the ingest token, and counts the push', async () => {
    const collector = await collectorStandIn(() => ({ status: 202 }));
    const registry = registryWithOrders();
    await new MetricsPusher(registry, collector.url, 0, 2000, { authorization: 'Bearer s3cret' }).push();
    expect(collector.received).toHaveLength(1);
    const [push] = collector.received;
    expect(push!.path).toBe('/metrics/job/shop/instance/h:1');
    expect(push!.contentType).toBe(registry.contentType);
    expect(push!.authorization).toBe('Bearer s3cret');
    expect(push!.body).toContain('orders_created_total 3');
    expect(await pushCount(registry, 'ok')).toBe(1);
  });

  it('waits out a 503 with Retry-After, skipping the pushes due meanwhile, then pushes again', async () => {
    const collector = await collectorStandIn((n) => (n === 1 ? { status: 503, headers: { 'retry-after': '1' } } : { status: 200 }));
    const registry = registryWithOrders();
    const pusher = new MetricsPusher(registry, collector.url, 100, 2000);
    pusher.start();
    try {
      await vi.waitFor(async () => expect(await pushCount(registry, 'failed')).toBe(1), { timeout: 5000 });
      // Pushes fall due every 100 ms; while the collector's second lasts, they are skipped, not sent.
      await vi.waitFor(async () => expect(await pushCount(registry, 'skipped')).toBeGreaterThan(2), { timeout: 5000 });
      await vi.waitFor(() => expect(collector.received.length).toBeGreaterThan(1), { timeout: 10_000 });
      const [refused, next] = collector.received;
      expect(next!.at - refused!.at).toBeGreaterThanOrEqual(950);
      await vi.waitFor(async () => expect(await pushCount(registry, 'ok')).toBeGreaterThan(0), { timeout: 5000 });
    } finally {
      pusher.stop();
    }
  });

  it('gives up on a collector that takes the push and never answers, and counts it failed', async () => {
    const collector = await collectorStandIn(() => undefined);
    const registry = registryWithOrders();
    const started = Date.now();
    await new MetricsPusher(registry, collector.url, 0, 300).push();
    expect(Date.now() - started).toBeLessThan(2000);
    expect(collector.received).toHaveLength(1);
    expect(await pushCount(registry, 'failed')).toBe(1);
  });

  it('counts a push to a port nobody listens on as failed, without throwing', async () => {
    const collector = await collectorStandIn(() => ({ status: 200 }));
    const url = collector.url;
    for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
    const registry = registryWithOrders();
    await new MetricsPusher(registry, url, 0, 1000).push();
    expect(await pushCount(registry, 'failed')).toBe(1);
  });
});

describe('Retry-After', () => {
  const now = Date.parse('2026-12-06T10:00:00Z');
  it('reads seconds and HTTP dates, and ignores what is absent, unreadable or past', () => {
    expect(retryAfterMillis('2', now)).toBe(2000);
    expect(retryAfterMillis('Sun, 06 Dec 2026 10:00:30 GMT', now)).toBe(30_000);
    expect(retryAfterMillis(undefined, now)).toBeUndefined();
    expect(retryAfterMillis('soon', now)).toBeUndefined();
    expect(retryAfterMillis('Sun, 06 Dec 2026 09:59:00 GMT', now)).toBeUndefined();
    expect(retryAfterMillis('0', now)).toBeUndefined();
  });

  it('is capped at five minutes, so a wrong header cannot stop pushes for good', () => {
    expect(retryAfterMillis('86400', now)).toBe(5 * 60_000);
  });
});
