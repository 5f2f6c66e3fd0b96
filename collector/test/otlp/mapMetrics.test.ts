/**
 * OTLP metrics become Prometheus samples by the OpenTelemetry "Prometheus and
 * OpenMetrics Compatibility" rules, from OTLP/protobuf and OTLP/JSON alike.
 */
import { ValueType } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  AggregationType,
  MeterProvider,
  MetricReader,
  type AggregationTemporalitySelector,
  type ViewOptions,
} from '@opentelemetry/sdk-metrics';
import { JsonMetricsSerializer, ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { describe, expect, it } from 'vitest';
import type { MetricSample } from '../../src/model/metric.ts';
import { DEFAULT_ITEM_LIMITS, LimitStats } from '../../src/otlp/limits.ts';
import { STALE_NAN, isStaleNaN } from '../../src/model/metric.ts';
import { DeltaState, mapMetricsRequest, type MappedMetrics } from '../../src/otlp/mapMetrics.ts';
import { otlpTypes } from '../../src/otlp/otlpSchema.ts';
import { OtlpDecodeError } from '../../src/otlp/wire.ts';

const WINDOW = { minTimeUnixNano: 0n };
const T0 = 1_700_000_000_000_000_000n; // 2023-11-14T22:13:20Z
const T0_MS = 1_700_000_000_000;
const SECOND = 1_000_000_000n;
const DELTA = 1;
const CUMULATIVE = 2;

type Json = Record<string, unknown>;

/** A pull reader the test collects from by hand. */
class ManualReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

function sdk(options: { temporality?: AggregationTemporality; views?: ViewOptions[] } = {}) {
  const temporality = options.temporality ?? AggregationTemporality.CUMULATIVE;
  const selector: AggregationTemporalitySelector = () => temporality;
  const reader = new ManualReader({ aggregationTemporalitySelector: selector });
  const provider = new MeterProvider({
    resource: resourceFromAttributes({
      'service.name': 'order',
      'service.namespace': 'shop',
      'service.instance.id': 'order-1',
      'host.name': 'box-1',
    }),
    readers: [reader],
    views: options.views ?? [],
  });
  return { meter: provider.getMeter('order-metrics', '1.2.3'), reader };
}

/** Collects once and encodes the result both ways, decoded as the receiver decodes them. */
async function collectBoth(reader: MetricReader): Promise<{ protobuf: unknown; json: unknown }> {
  const { resourceMetrics, errors } = await reader.collect();
  expect(errors).toEqual([]);
  const bytes = ProtobufMetricsSerializer.serializeRequest(resourceMetrics)!;
  const jsonBytes = JsonMetricsSerializer.serializeRequest(resourceMetrics)!;
  return { protobuf: otlpTypes.metricsRequest.decode(bytes), json: JSON.parse(new TextDecoder().decode(jsonBytes)) };
}

function map(request: unknown, state = new DeltaState(), window = WINDOW): MappedMetrics {
  return mapMetricsRequest(request, DEFAULT_ITEM_LIMITS, new LimitStats(), state, window);
}

/** Maps an OTLP/JSON request as it is and after a protobuf round trip, and checks both give the same result. */
function mapBoth(request: Json, state?: () => DeltaState): MappedMetrics {
  const fromJson = map(request, state?.());
  const type = otlpTypes.metricsRequest;
  const decoded = type.decode(type.encode(type.fromObject(request)).finish());
  expect(map(decoded, state?.())).toEqual(fromJson);
  return fromJson;
}

/** One resource, one scope, the given metrics. */
function request(metrics: Json[], resource: Json = { 'service.name': 'order' }): Json {
  return {
    resourceMetrics: [
      {
        resource: { attributes: Object.entries(resource).map(([key, value]) => ({ key, value: { stringValue: value } })) },
        scopeMetrics: [{ scope: { name: 'lib', version: '1.0' }, metrics }],
      },
    ],
  };
}

function at(seconds: number): string {
  return String(T0 + BigInt(seconds) * SECOND);
}

function gauge(name: string, value: number, extra: Json = {}): Json {
  return { name, gauge: { dataPoints: [{ timeUnixNano: at(0), asDouble: value, ...extra }] } };
}

/** A sample as `name{k="v",...} value` with sorted labels, for readable assertions. */
function line(name: string, labels: Record<string, string>, value: number, stale = false): string {
  const text = Object.keys(labels)
    .sort()
    .map((k) => `${k}="${labels[k]}"`)
    .join(',');
  return `${name}{${text}} ${stale || isStaleNaN(value) ? 'stale' : value}`;
}

/** Samples as sorted lines, leaving out the given labels. */
function lines(samples: readonly MetricSample[], without: readonly string[] = []): string[] {
  return samples
    .map((s) => {
      const { __name__, ...rest } = s.labels;
      for (const k of without) delete rest[k];
      return line(__name__!, rest, s.value, s.stale === true);
    })
    .sort();
}

function named(result: MappedMetrics, name: string): MetricSample[] {
  return result.items.filter((s) => s.labels.__name__ === name);
}

describe('mapMetricsRequest', () => {
  describe('with metrics from the OpenTelemetry JS SDK', () => {
    it('gives the same samples from OTLP/protobuf and OTLP/JSON', async () => {
      const { meter, reader } = sdk({
        views: [{ instrumentName: 'payload.size', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } }],
      });
      meter.createCounter('http.server.requests', { unit: '{request}', description: 'Requests served' }).add(3, { 'http.route': '/orders' });
      meter.createUpDownCounter('queue.depth', { valueType: ValueType.INT }).add(-2);
      meter.createObservableGauge('cpu.utilization', { unit: '1' }).addCallback((r) => r.observe(0.25));
      const duration = meter.createHistogram('http.server.request.duration', { unit: 's', advice: { explicitBucketBoundaries: [0.1, 1] } });
      for (const v of [0.05, 0.5, 5]) duration.record(v, { 'http.route': '/orders' });
      const size = meter.createHistogram('payload.size', { unit: 'By' });
      for (const v of [1, 2, 3, 100]) size.record(v);

      const { protobuf, json } = await collectBoth(reader);
      const fromProtobuf = map(protobuf);
      const fromJson = map(json);
      expect(fromJson).toEqual(fromProtobuf);
      expect(fromProtobuf.rejected).toBe(0);

      const common = { instance: 'order-1', job: 'shop/order', otel_scope_name: 'order-metrics', otel_scope_version: '1.2.3' };
      const route = { ...common, http_route: '/orders' };
      expect(lines(fromProtobuf.items)).toEqual(
        expect.arrayContaining([
          line('http_server_requests_total', route, 3),
          line('queue_depth', common, -2),
          line('cpu_utilization_ratio', common, 0.25),
          line('http_server_request_duration_seconds_bucket', { ...route, le: '0.1' }, 1),
          line('http_server_request_duration_seconds_bucket', { ...route, le: '1' }, 2),
          line('http_server_request_duration_seconds_bucket', { ...route, le: '+Inf' }, 3),
          line('http_server_request_duration_seconds_count', route, 3),
          line('http_server_request_duration_seconds_sum', route, 5.55),
          line('payload_size_bytes_bucket', { ...common, le: '+Inf' }, 4),
          line('payload_size_bytes_count', common, 4),
          line('payload_size_bytes_sum', common, 106),
          line('target_info', { host_name: 'box-1', instance: 'order-1', job: 'shop/order' }, 1),
        ]),
      );
      // Each exponential bucket bound holds at least the observations up to it.
      const size2 = named(fromProtobuf, 'payload_size_bytes_bucket').find((s) => Number(s.labels.le) >= 2 && Number(s.labels.le) < 3);
      expect(size2?.value).toBe(2);
      expect(fromProtobuf.metadata).toEqual(
        expect.arrayContaining([
          { metric: 'http_server_requests_total', type: 'counter', help: 'Requests served', unit: '' },
          { metric: 'http_server_request_duration_seconds', type: 'histogram', help: '', unit: 'seconds' },
          { metric: 'payload_size_bytes', type: 'histogram', help: '', unit: 'bytes' },
          { metric: 'queue_depth', type: 'gauge', help: '', unit: '' },
          { metric: 'cpu_utilization_ratio', type: 'gauge', help: '', unit: 'ratio' },
          { metric: 'target_info', type: 'gauge', help: 'Target metadata', unit: '' },
        ]),
      );
    });

    it('turns delta counters and histograms into cumulative series', async () => {
      const { meter, reader } = sdk({ temporality: AggregationTemporality.DELTA });
      const counter = meter.createCounter('orders.created');
      const histogram = meter.createHistogram('order.value', { advice: { explicitBucketBoundaries: [10] } });
      const state = new DeltaState();
      const totals: string[][] = [];
      for (const [added, recorded] of [[5, 3], [2, 30]] as const) {
        counter.add(added);
        histogram.record(recorded);
        const { protobuf } = await collectBoth(reader);
        totals.push(lines(map(protobuf, state).items).filter((l) => !l.startsWith('target_info')).map((l) => l.replace(/\{.*\}/, '')));
        await new Promise((resolve) => setTimeout(resolve, 2)); // the next delta point must end later
      }
      expect(totals[0]).toEqual(expect.arrayContaining(['orders_created_total 5', 'order_value_bucket 1', 'order_value_count 1']));
      expect(totals[1]).toEqual(expect.arrayContaining(['orders_created_total 7', 'order_value_count 2', 'order_value_sum 33']));
    });
  });

  describe('metric names', () => {
    it.each([
      ['sanitises invalid characters and collapses underscores', 'http.server..active-requests', '', 'gauge', 'http_server_active_requests'],
      ['prefixes a name that starts with a digit', '2xx.responses', '', 'gauge', '_2xx_responses'],
      ['appends seconds for s', 'rpc.duration', 's', 'gauge', 'rpc_duration_seconds'],
      ['appends milliseconds for ms', 'rpc.duration', 'ms', 'gauge', 'rpc_duration_milliseconds'],
      ['appends bytes for By', 'memory.usage', 'By', 'gauge', 'memory_usage_bytes'],
      ['appends ratio for 1 on a gauge', 'cpu.utilization', '1', 'gauge', 'cpu_utilization_ratio'],
      ['appends nothing for 1 on a counter', 'errors', '1', 'counter', 'errors_total'],
      ['writes X/Y as X_per_Y', 'network.io', 'By/s', 'gauge', 'network_io_bytes_per_second'],
      ['drops a unit in braces', 'http.server.requests', '{request}', 'counter', 'http_server_requests_total'],
      ['keeps per_ after an annotation', 'requests.rate', '{request}/s', 'gauge', 'requests_rate_per_second'],
      ['sanitises an unknown unit', 'temperature', 'deg F', 'gauge', 'temperature_deg_F'],
      ['does not repeat a unit the name ends with', 'rpc.duration.seconds', 's', 'gauge', 'rpc_duration_seconds'],
      ['appends a unit the name only starts with', 'seconds.before.birthday', 's', 'gauge', 'seconds_before_birthday_seconds'],
      ['appends _total to monotonic sums', 'orders.created', '', 'counter', 'orders_created_total'],
      ['does not repeat _total', 'orders_created_total', '', 'counter', 'orders_created_total'],
      ['puts the unit before _total', 'cpu.time_total', 's', 'counter', 'cpu_time_seconds_total'],
    ])('%s: %s [%s] as %s → %s', (_rule, name, unit, kind, expected) => {
      const data =
        kind === 'counter'
          ? { sum: { isMonotonic: true, aggregationTemporality: CUMULATIVE, dataPoints: [{ timeUnixNano: at(0), asInt: '1' }] } }
          : { gauge: { dataPoints: [{ timeUnixNano: at(0), asDouble: 1 }] } };
      const result = mapBoth(request([{ name, unit, ...data }]));
      expect(result.items.map((s) => s.labels.__name__)).toEqual([expected]);
      expect(result.metadata.map((m) => m.metric)).toEqual([expected]);
    });

    it('maps a non-monotonic sum to a gauge without the ratio rule', () => {
      const sum = { isMonotonic: false, aggregationTemporality: CUMULATIVE, dataPoints: [{ timeUnixNano: at(0), asInt: '-4' }] };
      const result = mapBoth(request([{ name: 'pool.used', unit: '1', sum }]));
      expect(lines(result.items)).toEqual(['pool_used{job="order",otel_scope_name="lib",otel_scope_version="1.0"} -4']);
      expect(result.metadata).toEqual([{ metric: 'pool_used', type: 'gauge', help: '', unit: '' }]);
    });
  });

  describe('labels', () => {
    it('sanitises attribute names, writes non-string values as text and drops empty values', () => {
      const attributes = [
        { key: 'http.request.method', value: { stringValue: 'GET' } },
        { key: 'retry', value: { boolValue: true } },
        { key: 'shard', value: { intValue: '7' } },
        { key: 'ratio', value: { doubleValue: 0.5 } },
        { key: 'tags', value: { arrayValue: { values: [{ stringValue: 'a' }, { intValue: '2' }] } } },
        { key: '__name__', value: { stringValue: 'injected' } },
        { key: 'empty', value: { stringValue: '' } },
      ];
      const result = mapBoth(request([gauge('g', 1, { attributes })]));
      expect(result.items[0]!.labels).toEqual({
        __name__: 'g',
        http_request_method: 'GET',
        retry: 'true',
        shard: '7',
        ratio: '0.5',
        tags: '["a",2]',
        _name_: 'injected',
        job: 'order',
        otel_scope_name: 'lib',
        otel_scope_version: '1.0',
      });
    });

    it('joins values of attributes that collide after sanitising with ; in key order', () => {
      const attributes = [
        { key: 'a/b', value: { stringValue: '2' } },
        { key: 'a.b', value: { stringValue: '1' } },
        { key: 'a_b', value: { stringValue: '3' } },
      ];
      const result = mapBoth(request([gauge('g', 1, { attributes })]));
      expect(result.items[0]!.labels.a_b).toBe('1;2;3');
    });

    it('takes job from service.name alone when there is no namespace, and leaves instance out when unknown', () => {
      const result = mapBoth(request([gauge('g', 1)], { 'service.name': 'catalog' }));
      expect(result.items[0]!.labels.job).toBe('catalog');
      expect('instance' in result.items[0]!.labels).toBe(false);
    });

    it('uses unknown_service as job when the resource has no service.name', () => {
      const result = mapBoth(request([gauge('g', 1)], {}));
      expect(result.items[0]!.labels.job).toBe('unknown_service');
    });

    it('writes one target_info per resource with the other resource attributes, at the latest sample time', () => {
      const metrics = [gauge('a', 1), { name: 'b', gauge: { dataPoints: [{ timeUnixNano: at(5), asDouble: 2 }] } }];
      const result = mapBoth(request(metrics, { 'service.name': 'order', 'service.instance.id': 'i-1', 'k8s.pod.name': 'order-7' }));
      const info = named(result, 'target_info');
      expect(info).toEqual([{ labels: { __name__: 'target_info', job: 'order', instance: 'i-1', k8s_pod_name: 'order-7' }, timestampMs: T0_MS + 5000, value: 1 }]);
    });

    it('writes no target_info for a resource with only service identity', () => {
      const result = mapBoth(request([gauge('a', 1)], { 'service.name': 'order', 'service.instance.id': 'i-1' }));
      expect(named(result, 'target_info')).toEqual([]);
      expect(result.metadata.map((m) => m.metric)).toEqual(['a']);
    });

    it('lets resource identity and scope labels win over point attributes of the same name', () => {
      const attributes = [{ key: 'job', value: { stringValue: 'spoofed' } }, { key: 'otel_scope_name', value: { stringValue: 'x' } }];
      const result = mapBoth(request([gauge('g', 1, { attributes })]));
      expect(result.items[0]!.labels).toMatchObject({ job: 'order', otel_scope_name: 'lib' });
    });
  });

  describe('histograms', () => {
    it('writes cumulative _bucket counts with le, +Inf last, then _sum and _count', () => {
      const point = { timeUnixNano: at(0), count: '6', sum: 12.5, explicitBounds: [0.5, 1, 2.5], bucketCounts: ['1', '2', '0', '3'] };
      const result = mapBoth(request([{ name: 'latency', unit: 's', histogram: { aggregationTemporality: CUMULATIVE, dataPoints: [point] } }]));
      expect(result.items.map((s) => [s.labels.__name__, s.labels.le, s.value])).toEqual([
        ['latency_seconds_bucket', '0.5', 1],
        ['latency_seconds_bucket', '1', 3],
        ['latency_seconds_bucket', '2.5', 3],
        ['latency_seconds_bucket', '+Inf', 6],
        ['latency_seconds_sum', undefined, 12.5],
        ['latency_seconds_count', undefined, 6],
      ]);
      expect(result.items.every((s) => s.timestampMs === T0_MS)).toBe(true);
    });

    it('leaves out _sum when the point has none, and uses one +Inf bucket when it has no buckets', () => {
      const point = { timeUnixNano: at(0), count: '4' };
      const result = mapBoth(request([{ name: 'h', histogram: { aggregationTemporality: CUMULATIVE, dataPoints: [point] } }]));
      expect(result.items.map((s) => [s.labels.__name__, s.labels.le, s.value])).toEqual([
        ['h_bucket', '+Inf', 4],
        ['h_count', undefined, 4],
      ]);
    });

    it('refuses bucket counts that do not fit the bounds, naming the path', () => {
      const point = { timeUnixNano: at(0), count: '1', explicitBounds: [1, 2], bucketCounts: ['1'] };
      expect(() => map(request([{ name: 'ok', gauge: { dataPoints: [] } }, { name: 'h', histogram: { aggregationTemporality: CUMULATIVE, dataPoints: [point] } }]))).toThrow(
        new OtlpDecodeError('resourceMetrics[0].scopeMetrics[0].metrics[1].histogram.dataPoints[0].bucketCounts: expected 3 counts for 2 explicitBounds, got 1'),
      );
    });
  });

  describe('summaries', () => {
    it('writes quantile series in ascending order, then _sum and _count', () => {
      const point = {
        timeUnixNano: at(0),
        count: '10',
        sum: 42,
        quantileValues: [
          { quantile: 0.99, value: 9 },
          { quantile: 0.5, value: 4 },
        ],
      };
      const result = mapBoth(request([{ name: 'rpc.latency', unit: 'ms', summary: { dataPoints: [point] } }]));
      expect(result.items.map((s) => [s.labels.__name__, s.labels.quantile, s.value])).toEqual([
        ['rpc_latency_milliseconds', '0.5', 4],
        ['rpc_latency_milliseconds', '0.99', 9],
        ['rpc_latency_milliseconds_sum', undefined, 42],
        ['rpc_latency_milliseconds_count', undefined, 10],
      ]);
      expect(result.metadata).toEqual([{ metric: 'rpc_latency_milliseconds', type: 'summary', help: '', unit: 'milliseconds' }]);
    });
  });

  describe('exponential histograms', () => {
    function expHistogram(point: Json, temporality = CUMULATIVE): Json {
      return { name: 'size', exponentialHistogram: { aggregationTemporality: temporality, dataPoints: [{ timeUnixNano: at(0), ...point }] } };
    }
    function buckets(result: MappedMetrics): Array<[string, number]> {
      return named(result, 'size_bucket').map((s) => [s.labels.le!, s.value]);
    }

    it('uses base^(index+1) as upper bound with base 2 at scale 0 and folds the zero bucket into the lowest bound', () => {
      const result = mapBoth(request([expHistogram({ scale: 0, count: '7', sum: 20, zeroCount: '1', positive: { offset: 1, bucketCounts: ['2', '4'] } })]));
      expect(buckets(result)).toEqual([
        ['4', 3],
        ['8', 7],
        ['+Inf', 7],
      ]);
      expect(named(result, 'size_count')[0]!.value).toBe(7);
      expect(named(result, 'size_sum')[0]!.value).toBe(20);
    });

    it('uses base 2^(2^-scale): √2 at scale 1, 4 at scale -1', () => {
      const fine = mapBoth(request([expHistogram({ scale: 1, count: '1', positive: { offset: 0, bucketCounts: ['1'] } })]));
      expect(buckets(fine)[0]![0]).toBe(String(Math.SQRT2));
      const coarse = mapBoth(request([expHistogram({ scale: -1, count: '1', positive: { offset: 1, bucketCounts: ['1'] } })]));
      expect(buckets(coarse)[0]![0]).toBe('16');
    });

    it('puts negative buckets first, mirrored, and keeps the zero bucket when there are no positive buckets', () => {
      const point = { scale: 0, count: '4', zeroCount: '1', zeroThreshold: 0.001, negative: { offset: 0, bucketCounts: ['1', '2'] } };
      const result = mapBoth(request([expHistogram(point)]));
      expect(buckets(result)).toEqual([
        ['-2', 2],
        ['-1', 3],
        ['0.001', 4],
        ['+Inf', 4],
      ]);
    });

    it('downscales a histogram with more than 160 buckets so it keeps at most 160', () => {
      const counts = Array.from({ length: 400 }, () => '1');
      const result = mapBoth(request([expHistogram({ scale: 3, count: '400', positive: { offset: 0, bucketCounts: counts } })]));
      const series = buckets(result);
      expect(series.length).toBeLessThanOrEqual(161);
      expect(series.at(-1)).toEqual(['+Inf', 400]);
      // 400 buckets at scale 3 end at 2^(400/8) = 2^50, whatever the scale.
      expect(series.at(-2)).toEqual([String(2 ** 50), 400]);
    });
  });

  describe('delta temporality', () => {
    function deltaSum(start: number, end: number, value: number, attributes: Json[] = []): Json {
      return { name: 'jobs', sum: { isMonotonic: true, aggregationTemporality: DELTA, dataPoints: [{ startTimeUnixNano: at(start), timeUnixNano: at(end), asInt: String(value), attributes }] } };
    }

    it('adds each delta point to the running total of its series', () => {
      const state = new DeltaState();
      const values = [deltaSum(0, 10, 3), deltaSum(10, 20, 4), deltaSum(25, 30, 1)].map((m) => map(request([m]), state).items[0]!.value);
      expect(values).toEqual([3, 7, 8]);
      expect(state.size).toBe(1);
    });

    it('keeps series with different attributes apart', () => {
      const state = new DeltaState();
      map(request([deltaSum(0, 10, 3, [{ key: 'queue', value: { stringValue: 'a' } }])]), state);
      const result = map(request([deltaSum(0, 10, 5, [{ key: 'queue', value: { stringValue: 'b' } }])]), state);
      expect(result.items[0]!.value).toBe(5);
      expect(state.size).toBe(2);
    });

    it('refuses a point that is not newer than, or overlaps, the previous one of its series', () => {
      const state = new DeltaState();
      map(request([deltaSum(0, 10, 3)]), state);
      const repeated = map(request([deltaSum(0, 10, 3)]), state);
      expect(repeated).toMatchObject({ items: [], rejected: 1, rejectReason: 'delta data point is not newer than the previous one of its series (first: metric jobs_total)' });
      const overlapping = map(request([deltaSum(5, 15, 3)]), state);
      expect(overlapping.rejectReason).toMatch(/^delta data point overlaps/);
      expect(map(request([deltaSum(10, 20, 1)]), state).items[0]!.value).toBe(4);
    });

    it('refuses and counts points of new series beyond the series limit', () => {
      const state = new DeltaState(2);
      const series = ['a', 'b', 'c'].map((q) => deltaSum(0, 10, 1, [{ key: 'queue', value: { stringValue: q } }]));
      const result = map(request(series), state);
      expect(result.items.map((s) => s.labels.queue)).toEqual(['a', 'b']);
      expect(result.rejected).toBe(1);
      expect(result.rejectReason).toBe('delta series limit of 2 reached, new delta series are refused (first: metric jobs_total)');
      expect(state.refusedForLimit).toBe(1);
      expect(map(request([deltaSum(10, 20, 1, [{ key: 'queue', value: { stringValue: 'a' } }])]), state).items[0]!.value).toBe(2);
    });

    it('frees room when idle series are evicted', () => {
      const state = new DeltaState(1);
      map(request([deltaSum(0, 10, 1)]), state);
      expect(state.evictBefore(T0 + 11n * SECOND)).toBe(1);
      expect(map(request([deltaSum(0, 30, 1, [{ key: 'queue', value: { stringValue: 'new' } }])]), state).rejected).toBe(0);
    });

    it('accumulates delta histograms bucket by bucket, over the union of bounds when they move', () => {
      const state = new DeltaState();
      const point = (start: number, end: number, offset: number, counts: string[]) =>
        request([{ name: 'size', exponentialHistogram: { aggregationTemporality: DELTA, dataPoints: [{ startTimeUnixNano: at(start), timeUnixNano: at(end), scale: 0, count: String(counts.reduce((a, c) => a + Number(c), 0)), sum: 1, positive: { offset, bucketCounts: counts } }] } }]);
      map(point(0, 10, 0, ['1', '1']), state);
      const result = map(point(10, 20, 1, ['1', '1']), state);
      expect(named(result, 'size_bucket').map((s) => [s.labels.le, s.value])).toEqual([
        ['2', 1],
        ['4', 3],
        ['8', 4],
        ['+Inf', 4],
      ]);
      expect(named(result, 'size_count')[0]!.value).toBe(4);
      expect(named(result, 'size_sum')[0]!.value).toBe(2);
    });
  });

  describe('stale markers', () => {
    it('exports STALE_NAN with the bits of Prometheus stale marker', () => {
      const view = new DataView(new ArrayBuffer(8));
      view.setFloat64(0, STALE_NAN);
      expect([view.getUint32(0), view.getUint32(4)]).toEqual([0x7ff00000, 2]);
    });

    it('recognises the stale marker also after V8 quieted it in an array, and no other NaN', () => {
      const quieted = [1.5];
      quieted.push(STALE_NAN);
      expect(isStaleNaN(STALE_NAN)).toBe(true);
      expect(isStaleNaN(quieted[1]!)).toBe(true);
      expect(isStaleNaN(NaN)).toBe(false);
      expect(isStaleNaN(0)).toBe(false);
    });

    it('turns a point flagged "no recorded value" into a stale marker', () => {
      const result = mapBoth(request([gauge('g', 5, { flags: 1 })]));
      expect(result.items).toHaveLength(1);
      expect(result.items[0]!.stale).toBe(true);
    });

    it('marks every series of a flagged histogram stale, including buckets known from delta state', () => {
      const state = new DeltaState();
      const hist = (start: number, end: number, extra: Json) =>
        request([{ name: 'h', histogram: { aggregationTemporality: DELTA, dataPoints: [{ startTimeUnixNano: at(start), timeUnixNano: at(end), ...extra }] } }]);
      map(hist(0, 10, { count: '1', sum: 1, explicitBounds: [1], bucketCounts: ['1', '0'] }), state);
      const result = map(hist(10, 20, { flags: 1 }), state);
      expect(lines(result.items, ['job', 'otel_scope_name', 'otel_scope_version'])).toEqual([
        'h_bucket{le="+Inf"} stale',
        'h_bucket{le="1"} stale',
        'h_count{} stale',
        'h_sum{} stale',
      ]);
    });
  });

  describe('refusals and decode errors', () => {
    it('refuses and counts points older than the window, keeping the rest', () => {
      const old = { name: 'g', gauge: { dataPoints: [{ timeUnixNano: at(-100), asDouble: 1 }, { timeUnixNano: at(0), asDouble: 2 }] } };
      const result = map(request([old]), new DeltaState(), { minTimeUnixNano: T0 - 10n * SECOND });
      expect(result.items.map((s) => s.value)).toEqual([2]);
      expect(result.rejected).toBe(1);
      expect(result.rejectReason).toBe('data point is older than the retention window (first: metric g)');
    });

    it('refuses points without a time and sums with an unspecified temporality', () => {
      const noTime = { name: 'g', gauge: { dataPoints: [{ asDouble: 1 }] } };
      const unspecified = { name: 's', sum: { isMonotonic: true, dataPoints: [{ timeUnixNano: at(0), asDouble: 1 }, { timeUnixNano: at(0), asDouble: 2 }] } };
      const result = mapBoth(request([noTime, unspecified]));
      expect(result.items).toEqual([]);
      expect(result.rejected).toBe(3);
      expect(result.rejectReason).toBe('timeUnixNano is required (first: metric g)');
    });

    it.each([
      ['a malformed time', { gauge: { dataPoints: [{ timeUnixNano: 'soon' }] } }, 'metrics[0].gauge.dataPoints[0].timeUnixNano: expected a non-negative integer as a number or decimal string, got "soon"'],
      ['a non-boolean isMonotonic', { sum: { isMonotonic: 'yes', dataPoints: [] } }, 'metrics[0].sum.isMonotonic: expected a boolean, got "yes"'],
      ['decreasing bounds', { histogram: { aggregationTemporality: CUMULATIVE, dataPoints: [{ timeUnixNano: at(0), explicitBounds: [2, 1], bucketCounts: ['0', '0', '0'] }] } }, 'metrics[0].histogram.dataPoints[0].explicitBounds[1]: bounds must be numbers in strictly increasing order'],
      ['a bad quantile', { summary: { dataPoints: [{ timeUnixNano: at(0), quantileValues: [{ quantile: 'high' }] }] } }, 'metrics[0].summary.dataPoints[0].quantileValues[0].quantile: expected a number, got "high"'],
    ])('names the path of %s', (_what, data, message) => {
      expect(() => map(request([{ name: 'm', ...data }]))).toThrow(new OtlpDecodeError(`resourceMetrics[0].scopeMetrics[0].${message}`));
    });

    it('requires a metric name', () => {
      expect(() => map(request([gauge('', 1)]))).toThrow('resourceMetrics[0].scopeMetrics[0].metrics[0].name: a metric name is required');
    });
  });
});
