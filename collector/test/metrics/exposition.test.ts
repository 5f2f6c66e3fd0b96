import { Counter, Gauge, Histogram, Registry, Summary, type RegistryContentType } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ExpositionError, expositionFormatOf, parseExposition } from '../../src/metrics/exposition.ts';

const LIMITS = { maxLabels: 128, maxLabelValueBytes: 16 * 1024 };

/** A registry as a service fills it: a counter, a gauge, a histogram with an exemplar, a summary, awkward label values. */
async function serviceRegistry(contentType: RegistryContentType): Promise<string> {
  const registry = new Registry<RegistryContentType>();
  registry.setContentType(contentType);
  new Counter({ name: 'orders_created', help: 'Orders created.', labelNames: ['region'], registers: [registry] }).inc({ region: 'eu "west"\\1\nb' }, 3);
  new Gauge({ name: 'queue_depth', help: 'Messages waiting', registers: [registry] }).set(-1.5e-3);
  // prom-client types exemplar labels with the metric's own label names, hence trace_id here.
  const h = new Histogram<'route' | 'trace_id'>({ name: 'latency_seconds', help: 'Latency.', labelNames: ['route'], buckets: [0.1, 1], enableExemplars: contentType === Registry.OPENMETRICS_CONTENT_TYPE, registers: [registry] });
  // With exemplars on, prom-client takes one object per observation; without, labels and value.
  if (contentType === Registry.OPENMETRICS_CONTENT_TYPE) {
    h.observe({ labels: { route: '/orders/:id' }, value: 0.05, exemplarLabels: { trace_id: '4bf92f3577b34da6a3ce929d0e0e4736' } });
    h.observe({ labels: { route: '/orders/:id' }, value: 7 });
  } else {
    h.observe({ route: '/orders/:id' }, 0.05);
    h.observe({ route: '/orders/:id' }, 7);
  }
  new Summary({ name: 'payload_bytes', help: 'Payload sizes.', percentiles: [0.5], registers: [registry] }).observe(10);
  return registry.metrics();
}

const byName = (samples: ReturnType<typeof parseExposition>['samples']) => Object.fromEntries(samples.map((s) => [JSON.stringify(s.labels), s.value]));

describe('parseExposition', () => {
  it.each([
    // The Prometheus format names a counter's sample as the counter; OpenMetrics adds _total.
    ['prometheus', Registry.PROMETHEUS_CONTENT_TYPE, 'orders_created'],
    ['openmetrics', Registry.OPENMETRICS_CONTENT_TYPE, 'orders_created_total'],
  ] as const)('reads every sample prom-client writes in the %s format, label escapes included', async (format, contentType, counterName) => {
    const text = await serviceRegistry(contentType);
    expect(expositionFormatOf(contentType)).toBe(format);
    const parsed = parseExposition(text, format, LIMITS);
    const values = byName(parsed.samples);
    expect(values[JSON.stringify({ __name__: counterName, region: 'eu "west"\\1\nb' })]).toBe(3);
    expect(values[JSON.stringify({ __name__: 'queue_depth' })]).toBe(-0.0015);
    expect(values[JSON.stringify({ __name__: 'latency_seconds_bucket', le: '0.1', route: '/orders/:id' })]).toBe(1);
    expect(values[JSON.stringify({ __name__: 'latency_seconds_bucket', le: '+Inf', route: '/orders/:id' })]).toBe(2);
    expect(values[JSON.stringify({ __name__: 'latency_seconds_sum', route: '/orders/:id' })]).toBe(7.05);
    expect(values[JSON.stringify({ __name__: 'payload_bytes', quantile: '0.5' })]).toBe(10);
    expect(parsed.metadata).toEqual(
      expect.arrayContaining([
        { metric: 'orders_created', type: 'counter', help: 'Orders created.', unit: '' },
        { metric: 'latency_seconds', type: 'histogram', help: 'Latency.', unit: '' },
        { metric: 'payload_bytes', type: 'summary', help: 'Payload sizes.', unit: '' },
      ]),
    );
  });

  it('keeps an OpenMetrics exemplar with the bucket sample that carried it', async () => {
    const parsed = parseExposition(await serviceRegistry(Registry.OPENMETRICS_CONTENT_TYPE), 'openmetrics', LIMITS);
    const withExemplar = parsed.samples.filter((s) => s.exemplar !== undefined);
    expect(withExemplar).toHaveLength(1);
    expect(withExemplar[0]!.labels).toEqual({ __name__: 'latency_seconds_bucket', le: '0.1', route: '/orders/:id' });
    expect(withExemplar[0]!.exemplar).toMatchObject({ labels: { trace_id: '4bf92f3577b34da6a3ce929d0e0e4736' }, value: 0.05 });
    expect(Math.abs(withExemplar[0]!.exemplar!.timestampMs! - Date.now())).toBeLessThan(60_000);
  });

  it('reads special values, leaves _created samples and timestamps out, and takes an empty label as absent', () => {
    const text = [
      '# TYPE jobs counter',
      '# UNIT jobs_seconds seconds',
      'jobs_total{kind=""} +Inf 1700000000.5',
      'jobs_created 1700000000',
      'ratio NaN',
      'low -Inf',
      '# EOF',
      '',
    ].join('\n');
    const parsed = parseExposition(text, 'openmetrics', LIMITS);
    expect(parsed.samples.map((s) => [s.labels, s.value])).toEqual([
      [{ __name__: 'jobs_total' }, Infinity],
      [{ __name__: 'ratio' }, NaN],
      [{ __name__: 'low' }, -Infinity],
    ]);
    expect(parsed.metadata).toContainEqual({ metric: 'jobs_seconds', type: 'unknown', help: '', unit: 'seconds' });
  });

  it.each([
    ['prometheus', 'ok 1\nbad{a="1" 2\n', 'line 2: expected "," or "}" at column 11'],
    ['prometheus', 'ok 1\n9lives 1\n', 'line 2: invalid metric name "9lives"'],
    ['prometheus', 'x{1a="v"} 1\n', 'line 1: invalid label name "1a"'],
    ['prometheus', 'x{a="v",a="w"} 1\n', 'line 1: label "a" given twice'],
    ['prometheus', 'x one\n', 'line 1: expected the value as a number, got "one"'],
    ['prometheus', 'x 1\nx 2\n', 'line 2: a sample of this series came earlier in the same exposition'],
    ['prometheus', '# TYPE x countr\n', 'line 1: unknown metric type "countr"'],
    ['prometheus', 'x{a="unterminated} 1\n', 'line 1: unterminated label value'],
    ['openmetrics', 'x 1\n', 'OpenMetrics text must end with "# EOF"'],
    ['openmetrics', 'x 1\n# EOF\ny 2\n', 'line 3: nothing may follow "# EOF"'],
    ['openmetrics', 'x 1 # {trace_id="' + 'a'.repeat(130) + '"} 1\n# EOF\n', 'line 1: an exemplar\'s labels may hold at most 128 characters'],
    ['prometheus', 'x 1 # {trace_id="a"} 1\n', 'line 1: unexpected text at column 5; exemplars ("# {...}") are OpenMetrics only'],
  ] as const)('refuses malformed %s text, naming the line: %j', (format, text, message) => {
    expect(() => parseExposition(text, format, LIMITS)).toThrow(ExpositionError);
    expect(() => parseExposition(text, format, LIMITS)).toThrow(message);
  });

  it('enforces the label limits, naming the limit', () => {
    expect(() => parseExposition('x{a="1",b="2",c="3"} 1\n', 'prometheus', { maxLabels: 2, maxLabelValueBytes: 100 })).toThrow('line 1: more than 2 labels (limits.maxAttributes)');
    expect(() => parseExposition(`x{a="${'é'.repeat(60)}"} 1\n`, 'prometheus', { maxLabels: 2, maxLabelValueBytes: 100 })).toThrow('longer than 100 bytes (limits.maxAttributeValueBytes)');
  });

  it('tells the formats apart by content type, and refuses others', () => {
    expect(expositionFormatOf('text/plain; version=0.0.4; charset=utf-8')).toBe('prometheus');
    expect(expositionFormatOf(undefined)).toBe('prometheus');
    expect(expositionFormatOf('application/openmetrics-text; version=1.0.0')).toBe('openmetrics');
    expect(expositionFormatOf('application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily')).toBeNull();
  });
});
