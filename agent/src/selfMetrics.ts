import { createNoopMeter, type Attributes, type Meter, type MeterProvider, type MetricOptions, type ObservableCallback, type ObservableResult } from '@opentelemetry/api';
import { Counter, Gauge, Histogram, type Registry, type RegistryContentType } from 'prom-client';

/**
 * Attribute keys the OpenTelemetry SDK puts on its own metrics (processors
 * and exporters), as Prometheus label names. prom-client needs label names up
 * front; any other attribute is left out.
 */
const LABELS: Record<string, string> = {
  'otel.component.type': 'otel_component_type',
  'otel.component.name': 'otel_component_name',
  'error.type': 'error_type',
  'server.address': 'server_address',
  'server.port': 'server_port',
  'http.response.status_code': 'http_response_status_code',
};
const LABEL_NAMES = Object.values(LABELS);

function labelsOf(attributes: Attributes | undefined): Record<string, string> {
  const labels: Record<string, string> = {};
  if (attributes === undefined) return labels;
  for (const key in attributes) {
    const name = LABELS[key];
    if (name !== undefined) labels[name] = String(attributes[key]);
  }
  return labels;
}

/** `otel.sdk.processor.span.processed` → `otel_sdk_processor_span_processed`. */
const promName = (name: string) => name.replace(/[^a-zA-Z0-9_:]/g, '_');

/**
 * A MeterProvider for the OpenTelemetry SDK's self-observability
 * (`selfObsMeterProvider`), recording into the service's prom-client
 * registry: spans and log records processed, dropped because a queue was
 * full (`error_type="queue_full"`), exported and failed, and queue sizes.
 * So the agent's own counts reach the collector with every push, without an
 * OpenTelemetry metrics SDK in the process.
 */
export function promMeterProvider(registry: Registry<RegistryContentType>): MeterProvider {
  const noop = createNoopMeter();
  const metrics = new Map<string, unknown>();
  const once = <T>(name: string, make: () => T): T => {
    if (!metrics.has(name)) metrics.set(name, make());
    return metrics.get(name) as T;
  };
  const help = (options: MetricOptions | undefined, name: string) => options?.description ?? name;
  const meter: Meter = {
    ...noop,
    createCounter(name, options) {
      const counter = once(name, () => new Counter({ name: `${promName(name)}_total`, help: help(options, name), labelNames: LABEL_NAMES, registers: [registry] }));
      return { add: (value: number, attributes?: Attributes) => counter.inc(labelsOf(attributes), value) };
    },
    createUpDownCounter(name, options) {
      const gauge = once(name, () => new Gauge({ name: promName(name), help: help(options, name), labelNames: LABEL_NAMES, registers: [registry] }));
      return { add: (value: number, attributes?: Attributes) => gauge.inc(labelsOf(attributes), value) };
    },
    createHistogram(name, options) {
      const buckets = options?.advice?.explicitBucketBoundaries;
      const histogram = once(name, () => new Histogram({ name: promName(name), help: help(options, name), labelNames: LABEL_NAMES, registers: [registry], ...(buckets ? { buckets } : {}) }));
      return { record: (value: number, attributes?: Attributes) => histogram.observe(labelsOf(attributes), value) };
    },
    createObservableUpDownCounter(name, options) {
      const callbacks = once(name, () => {
        const registered = new Set<ObservableCallback>();
        new Gauge({
          name: promName(name),
          help: help(options, name),
          labelNames: LABEL_NAMES,
          registers: [registry],
          collect() {
            this.reset();
            const result: ObservableResult = { observe: (value: number, attributes?: Attributes) => this.set(labelsOf(attributes), value) };
            for (const callback of registered) void callback(result);
          },
        });
        return registered;
      });
      return { addCallback: (c: ObservableCallback) => callbacks.add(c), removeCallback: (c: ObservableCallback) => callbacks.delete(c) };
    },
  };
  return { getMeter: () => meter };
}
