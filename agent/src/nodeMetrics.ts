import { createRequire } from 'node:module';
import { collectDefaultMetrics, type Registry, type RegistryContentType } from 'prom-client';

const require = createRequire(import.meta.url);

/** What each of prom-client's default-metric modules is: a function that registers its collector. */
type DefaultMetric = (registry: Registry<RegistryContentType>, config: { eventLoopMonitoringPrecision: number }) => void;

/**
 * prom-client's default Node metrics (CPU, memory, heap spaces, event-loop
 * lag, handles, GC durations, version) in the registry; with `gc: false`,
 * all of them but `nodejs_gc_duration_seconds`.
 *
 * Why GC durations can be turned off: prom-client reads them from a `gc`
 * PerformanceObserver, and with one connected V8 promotes far more of what
 * a request allocates. On the hello-world app of the agent benchmark, the
 * observer alone (no agent) took the bytes promoted by scavenges from
 * 0.3–0.9 to 5.9–6.2 a request and the young generation from 8 to 16 MiB
 * (`--trace-gc-nvp`, one-off runs); with the agent, `npm run bench -- agent
 * --setups sink` measured +32 and +45 MiB of RSS over bare without it against
 * +46 and +52 MiB with it (two runs each). V8's
 * GC profiler, the other source of GC durations, held over 100 MiB more
 * outside the heap. So the metric stays on by default, as prom-client has
 * it, and a service that needs the memory more turns it off.
 *
 * prom-client has no switch per default metric; its collectors are the
 * modules `prom-client/lib/metrics/<name>` named by
 * `collectDefaultMetrics.metricsList` (its public list), each called as
 * `collectDefaultMetrics` calls them.
 */
export function collectNodeMetrics(registry: Registry<RegistryContentType>, { gc }: { gc: boolean }): void {
  if (gc) {
    collectDefaultMetrics({ register: registry });
    return;
  }
  for (const name of collectDefaultMetrics.metricsList) {
    if (name === 'gc') continue;
    (require(`prom-client/lib/metrics/${name}`) as DefaultMetric)(registry, { eventLoopMonitoringPrecision: 10 });
  }
}
