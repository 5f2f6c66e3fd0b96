/**
 * Two services, each with the agent, calling each other over HTTP and through
 * RabbitMQ (running on 127.0.0.1:5672), one of them querying PostgreSQL
 * (127.0.0.1:5432): one trace spans both with the right parent links, the
 * query is a client span of its own, and each service's log lines are found
 * by that trace id.
 */
import type { RunningCollector } from '@mirador/collector';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startAppWithAgent, startQuietCollector, type AgentApp } from './support/processes.ts';

const queue = `mirador-test-orders-${process.pid}-${Date.now()}`;
let collector: RunningCollector;
let frontUrl: string;
const apps: AgentApp[] = [];

async function startService(role: 'front' | 'back', env: Record<string, string>): Promise<string> {
  const app = await startAppWithAgent('shopService.mjs', {
    ROLE: role,
    QUEUE: queue,
    AMQP_URL: process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
    DATABASE_URL: process.env.DATABASE_URL ?? 'postgres://postgres:postgres@127.0.0.1:5432/test',
    OTEL_SERVICE_NAME: `shop-${role}`,
    OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
    OTEL_BSP_SCHEDULE_DELAY: '100',
    OTEL_BLRP_SCHEDULE_DELAY: '100',
    MIRADOR_METRICS_PUSH_INTERVAL: '300',
    ...env,
  });
  apps.push(app);
  return app.url;
}

beforeAll(async () => {
  collector = await startQuietCollector();
  const back = await startService('back', {});
  frontUrl = await startService('front', { BACK_URL: back });
});
afterAll(async () => {
  for (const a of apps) a.child.kill('SIGKILL');
  await collector?.stop();
});

type Span = { spanID: string; operationName: string; processID: string; startTime: number; duration: number; references: Array<{ spanID: string }>; tags: Array<{ key: string; value: unknown }> };
type Trace = { traceID: string; spans: Span[]; processes: Record<string, { serviceName: string }> };

describe('two services with the agent, over HTTP and RabbitMQ', () => {
  it('make one trace across both services and the broker, and every log line of it is found by trace id', async () => {
    expect(await (await fetch(`${frontUrl}/checkout/7`)).json()).toEqual({ orderId: '7', cents: 1250 });

    const trace = await eventually(async () => {
      const r = await fetch(`${collector.url}/api/traces?service=shop-front&operation=${encodeURIComponent('GET /checkout/:id')}&lookback=5m`);
      const t = ((await r.json()) as { data: Trace[] }).data[0];
      const kinds = t?.spans.map((s) => s.tags.find((x) => x.key === 'span.kind')?.value) ?? [];
      return t !== undefined && kinds.includes('consumer') && t.spans.some((s) => s.operationName === 'GET /price/:id') ? t : undefined;
    });
    const byId = new Map(trace.spans.map((s) => [s.spanID, s]));
    const service = (s: Span) => trace.processes[s.processID]!.serviceName;
    const kind = (s: Span) => s.tags.find((x) => x.key === 'span.kind')?.value;
    /** The services on the way from a span up to the trace's root. */
    const ancestry = (s: Span): string[] => {
      const parent = s.references[0] === undefined ? undefined : byId.get(s.references[0].spanID);
      return parent === undefined ? [service(s)] : [service(s), ...ancestry(parent)];
    };
    const price = trace.spans.find((s) => s.operationName === 'GET /price/:id')!;
    const consumer = trace.spans.find((s) => kind(s) === 'consumer')!;
    const producer = trace.spans.find((s) => kind(s) === 'producer')!;
    expect(service(price)).toBe('shop-back');
    expect(ancestry(price).at(-1)).toBe('shop-front');
    expect(service(producer)).toBe('shop-front');
    expect(service(consumer)).toBe('shop-back');
    expect(consumer.references[0]?.spanID).toBe(producer.spanID);
    const query = trace.spans.find((s) => s.tags.some((t) => t.key === 'db.system.name' || t.key === 'db.system'))!;
    expect(service(query)).toBe('shop-back');
    expect(kind(query)).toBe('client');
    expect(ancestry(query)[1]).toBe('shop-back');

    const logs = await eventually(async () => {
      const r = await fetch(`${collector.url}/api/logs?traceId=${trace.traceID}`);
      const data = ((await r.json()) as { data: Array<{ body: string; serviceName: string }> }).data;
      return data.length === 3 ? data : undefined;
    });
    expect(logs.map((l) => [l.serviceName, l.body])).toEqual([
      ['shop-front', 'checkout started'],
      ['shop-back', 'price looked up'],
      ['shop-back', 'order event consumed'],
    ]);

    // The pushed registries: the request-duration histogram (with this trace as the
    // exemplar of its bucket) and the business counter, found through the Prometheus API.
    const latest = async (selector: string) => {
      const r = await fetch(`${collector.url}/api/v1/series?match[]=${encodeURIComponent(selector)}`);
      const series = ((await r.json()) as { data: Array<Record<string, string>> }).data;
      if (series.length !== 1) return undefined;
      const [stored] = await collector.stores.metrics.selectSeries(
        Object.entries(series[0]!).map(([name, value]) => ({ name, type: '=' as const, value })),
        Date.now() - 60_000,
        Date.now(),
      );
      return { labels: series[0]!, value: stored!.values.at(-1)! };
    };
    const count = await eventually(() => latest('http_server_request_duration_seconds_count{job="shop-front", route="/checkout/:id"}'));
    expect(count.labels).toMatchObject({ method: 'GET', status_code: '200', instance: expect.stringMatching(/:\d+$/) });
    expect(count.value).toBe(1);
    const checkouts = await eventually(() => latest('checkouts_total{job="shop-front"}'));
    expect(checkouts.value).toBe(1);
    const exemplars = await eventually(async () => {
      const query = encodeURIComponent('http_server_request_duration_seconds_bucket{job="shop-front", route="/checkout/:id"}');
      const r = await fetch(`${collector.url}/api/v1/query_exemplars?query=${query}`);
      const data = ((await r.json()) as { data: Array<{ exemplars: Array<{ labels: { trace_id: string }; value: string; timestamp: number }> }> }).data;
      return data.length > 0 ? data : undefined;
    });
    expect(exemplars.flatMap((s) => s.exemplars.map((e) => e.labels.trace_id))).toContain(trace.traceID);
    // The exemplar's value is the duration of the server span it leads to (µs in the trace API), and its time is that span's end.
    const exemplar = exemplars.flatMap((s) => s.exemplars).find((e) => e.labels.trace_id === trace.traceID)!;
    const checkout = trace.spans.find((s) => s.operationName === 'GET /checkout/:id' && service(s) === 'shop-front')!;
    expect(Math.abs(Number(exemplar.value) * 1e6 - checkout.duration)).toBeLessThan(1);
    expect(Math.abs(exemplar.timestamp * 1e6 - (checkout.startTime + checkout.duration))).toBeLessThan(1000);
  });
});
