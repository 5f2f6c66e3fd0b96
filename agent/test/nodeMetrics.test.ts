/**
 * The default Node metrics a service's registry carries, with and without
 * GC durations (MIRADOR_GC_METRICS), on prom-client's own collectors.
 */
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { collectNodeMetrics } from '../src/nodeMetrics.ts';

async function metricNames(gc: boolean): Promise<string[]> {
  const registry = new Registry();
  collectNodeMetrics(registry, { gc });
  return (await registry.getMetricsAsJSON()).map((m) => m.name).sort();
}

describe('default Node metrics', () => {
  it('are CPU, memory, heap, event-loop lag and GC durations, and all but GC durations when those are off', async () => {
    const all = await metricNames(true);
    expect(all).toEqual(expect.arrayContaining(['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_heap_size_used_bytes', 'nodejs_heap_space_size_used_bytes', 'nodejs_eventloop_lag_p99_seconds', 'nodejs_gc_duration_seconds', 'nodejs_version_info']));
    expect(await metricNames(false)).toEqual(all.filter((name) => name !== 'nodejs_gc_duration_seconds'));
  });
});
