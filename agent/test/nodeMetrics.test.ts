/**
 * The default Node metrics a service gets: prom-client's, every one of them,
 * with garbage-collection durations measured by V8's GC profiler (see
 * src/nodeMetrics.ts) under prom-client's name, labels and buckets.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { collectNodeMetrics } from '../src/nodeMetrics.ts';

const registry = new Registry<typeof Registry.OPENMETRICS_CONTENT_TYPE>();
registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
const observe = PerformanceObserver.prototype.observe;
const nodeMetrics = collectNodeMetrics(registry);
afterAll(() => nodeMetrics.stop());

/** Short-lived garbage, enough for several young-generation collections. */
function churn(): number {
  let kept = 0;
  for (let i = 0; i < 2_000_000; i++) {
    const o = { i, s: `item ${i}` };
    if (o.s.length > 20) kept++;
  }
  return kept;
}

describe('the default Node metrics', () => {
  it("are prom-client's, by name and type", () => {
    const theirs = new Registry();
    collectDefaultMetrics({ register: theirs });
    const names = (r: Registry<typeof Registry.OPENMETRICS_CONTENT_TYPE> | Registry) => r.getMetricsAsArray().map((m) => `${m.name} ${m.type}`).sort();
    expect(names(registry)).toEqual(names(theirs));
  });

  it('count garbage collections by kind, in seconds, in the histogram prom-client defines', async () => {
    churn();
    const text = await registry.getSingleMetricAsString('nodejs_gc_duration_seconds');
    const count = Number(/^nodejs_gc_duration_seconds_count\{kind="minor"\} (\d+)$/m.exec(text)?.[1]);
    const sum = Number(/^nodejs_gc_duration_seconds_sum\{kind="minor"\} ([\d.e-]+)$/m.exec(text)?.[1]);
    expect(count, text).toBeGreaterThan(0);
    // Scavenges take micro- to milliseconds: a sum still in microseconds would be a thousand times too large.
    expect(sum / count).toBeGreaterThan(0);
    expect(sum / count).toBeLessThan(0.5);
    expect(text).toMatch(/^nodejs_gc_duration_seconds_bucket\{le="0.001",kind="minor"\} \d+$/m);
  });

  it("leave the application's PerformanceObserver as it was", () => {
    expect(PerformanceObserver.prototype.observe).toBe(observe);
  });
});
