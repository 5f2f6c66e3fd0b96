import { Histogram, collectDefaultMetrics, type OpenMetricsContentType, type Registry } from 'prom-client';

const v8 = process.getBuiltinModule('node:v8');
const { PerformanceObserver } = process.getBuiltinModule('node:perf_hooks');

/** The name, help, labels and buckets prom-client's default metrics give it. */
const NAME = 'nodejs_gc_duration_seconds';
const BUCKETS = [0.001, 0.01, 0.1, 1, 2, 5];

/** V8's collection types (as its GC profiler names them) by prom-client's `kind` label. */
const KINDS: Record<string, string> = {
  Scavenge: 'minor',
  MinorMarkSweep: 'minor',
  MarkSweepCompact: 'major',
  IncrementalMarking: 'incremental',
  ProcessWeakCallbacks: 'weakcb',
};

/** How often the profiler's records are folded into the histogram. */
const FOLD_INTERVAL_MS = 1000;

interface GcProfile {
  statistics: Array<{ gcType: string; cost: number }>;
}

/**
 * prom-client's default Node metrics, with `nodejs_gc_duration_seconds` (same
 * name, `kind` label and buckets) measured by V8's GC profiler instead of a
 * `gc` PerformanceObserver.
 *
 * Why: for a `gc` observer Node makes a performance entry, with deprecated
 * accessors of its own, after every collection, and holds it until the
 * observer runs. Under load those objects were alive at the next
 * young-generation collection often enough to be a quarter of the bytes that
 * survived them (19 → 14 B a request on the hello-world benchmark,
 * `--trace-gc-nvp`), and V8 grows the young generation by what survives it.
 * The profiler keeps its records outside the JavaScript heap; they are folded
 * into the histogram every second (so that they never pile up) and when the
 * registry is read.
 */
export function collectNodeMetrics(registry: Registry<OpenMetricsContentType>): { stop(): void } {
  // prom-client starts its gc observer inside collectDefaultMetrics; every other default metric is kept as it is.
  const observe = PerformanceObserver.prototype.observe;
  PerformanceObserver.prototype.observe = function (this: InstanceType<typeof PerformanceObserver>, options) {
    const types = 'entryTypes' in options ? options.entryTypes : [options.type];
    if (types.includes('gc')) return;
    observe.call(this, options);
  };
  try {
    collectDefaultMetrics({ register: registry });
  } finally {
    PerformanceObserver.prototype.observe = observe;
  }
  registry.removeSingleMetric(NAME);

  let profiler = new v8.GCProfiler();
  profiler.start();
  const histogram: Histogram<'kind'> = new Histogram({
    name: NAME,
    help: 'Garbage collection duration by kind, one of major, minor, incremental or weakcb.',
    labelNames: ['kind'],
    buckets: BUCKETS,
    registers: [registry],
    collect: () => fold(),
  });
  function fold(): void {
    const profile = profiler.stop() as GcProfile | undefined;
    profiler = new v8.GCProfiler();
    profiler.start();
    for (const gc of profile?.statistics ?? []) {
      const kind = KINDS[gc.gcType];
      if (kind !== undefined) histogram.observe({ kind }, gc.cost / 1e6); // cost is in microseconds
    }
  }
  const timer = setInterval(fold, FOLD_INTERVAL_MS).unref();
  return {
    stop() {
      clearInterval(timer);
      profiler.stop();
    },
  };
}
