/**
 * OTLP metrics → Prometheus samples, by the OpenTelemetry "Prometheus and
 * OpenMetrics Compatibility" specification (OTLP → Prometheus direction).
 * https://opentelemetry.io/docs/specs/otel/compatibility/prometheus_and_openmetrics/#otlp-metric-points-to-prometheus
 *
 * Not converted (yet): `_created` series, exemplars, `otel_scope_info` and
 * scope attributes, and the `prometheus.type` metric metadata (info/stateset).
 */
import { STALE_NAN, type Labels, type MetricMetadata, type MetricSample, type MetricType } from '../model/metric.ts';
import { readAttributes } from './anyValue.ts';
import { DeltaState, type BucketCounts } from './DeltaState.ts';
import { hasField, readExplicitBuckets, readExponentialBuckets } from './histogramBuckets.ts';
import type { ItemLimits, LimitStats } from './limits.ts';
import type { TimeWindow } from './mapTraces.ts';
import { addAttributeLabels, familyName, formatFloat, labelValue, type FamilyName } from './prometheusNames.ts';
import { forEachItem, type ResourceInfo, type ScopeInfo } from './resourceScope.ts';
import { OtlpDecodeError, readDouble, readEnum, readInt, readInt64, readList, readMessage, readString, readUint64, rethrowAt } from './wire.ts';

export { DeltaState };

/** Samples and metadata from one export request, and the data points refused with the first reason (OTLP partial success). */
export interface MappedMetrics {
  items: MetricSample[];
  metadata: MetricMetadata[];
  /** Refused OTLP data points (`rejected_data_points`). */
  rejected: number;
  rejectReason: string;
}


type Msg = Record<string, unknown>;

const TEMPORALITY_NAMES: Record<string, number> = {
  AGGREGATION_TEMPORALITY_UNSPECIFIED: 0,
  AGGREGATION_TEMPORALITY_DELTA: 1,
  AGGREGATION_TEMPORALITY_CUMULATIVE: 2,
};
const DELTA = 1;
const CUMULATIVE = 2;
// DataPointFlags.FLAG_NO_RECORDED_VALUE_MASK
const NO_RECORDED_VALUE = 1;
const RESOURCE_IDENTITY: ReadonlySet<string> = new Set(['service.name', 'service.namespace', 'service.instance.id']);
const TARGET_INFO = 'target_info';
const METRICS = { resources: 'resourceMetrics', scopes: 'scopeMetrics', items: 'metrics' };

/** What every data point of one metric shares while it is converted. */
interface MetricContext {
  family: FamilyName;
  type: MetricType;
  /** Resource and scope labels. */
  base: Labels;
  delta: boolean;
}

/** A data point's labels, times and flags, read once for every point type. */
interface PointHead {
  labels: Labels;
  startUnixNano: bigint;
  timeUnixNano: bigint;
  timestampMs: number;
  stale: boolean;
}

/**
 * Converts an ExportMetricsServiceRequest (decoded protobuf or parsed JSON) to
 * Prometheus samples. Throws OtlpDecodeError naming the path of the first
 * malformed field. Points older than the window, without a time, with an
 * unspecified temporality or refused by the delta state are counted in
 * `rejected`; the rest are kept. Delta sums and histograms become cumulative
 * through `state`, which lives as long as the receiver.
 */
export function mapMetricsRequest(request: unknown, limits: ItemLimits, stats: LimitStats, state: DeltaState, window: TimeWindow): MappedMetrics {
  const out = new MappingOutput(state, window, limits, stats);
  // Labels shared by the metrics of one scope, built once per scope.
  let lastScope: ScopeInfo | null = null;
  let base: Labels = {};
  forEachItem(
    request,
    METRICS,
    limits,
    stats,
    (metric, resource, scope) => {
      if (scope !== lastScope) {
        lastScope = scope;
        base = resourceIdentity(resource);
        if (scope.scopeName !== '') base.otel_scope_name = scope.scopeName;
        if (scope.scopeVersion !== '') base.otel_scope_version = scope.scopeVersion;
      }
      mapMetric(metric, base, out);
    },
    (resource) => {
      if (out.latestMs !== -Infinity) out.targetInfo(resource, resourceIdentity(resource));
      out.latestMs = -Infinity;
    },
  );
  return { items: out.items, metadata: [...out.metadata.values()], rejected: out.rejected, rejectReason: out.rejectReason };
}

/** `job` from service.namespace/service.name and `instance` from service.instance.id. */
function resourceIdentity(resource: ResourceInfo): Labels {
  const namespace = labelValue(resource.resource['service.namespace'] ?? null);
  const labels: Labels = { job: namespace === '' ? resource.serviceName : `${namespace}/${resource.serviceName}` };
  const instance = labelValue(resource.resource['service.instance.id'] ?? null);
  if (instance !== '') labels.instance = instance;
  return labels;
}

function mapMetric(metric: Msg, base: Labels, out: MappingOutput): void {
  const name = readString(metric.name, 'name');
  if (name === '') throw new OtlpDecodeError('name: a metric name is required');
  const unit = readString(metric.unit, 'unit');
  const help = readString(metric.description, 'description');
  /** The context of a sum or histogram family, or null when its temporality refuses its points. */
  const withTemporality = (data: Msg, field: string, type: MetricType): MetricContext | null => {
    const temporality = readEnum(data.aggregationTemporality, TEMPORALITY_NAMES, `${field}.aggregationTemporality`);
    const c: MetricContext = { family: familyName(name, unit, type, false), type, base, delta: temporality === DELTA };
    out.describe(c, help);
    return out.checkTemporality(temporality, data, name) ? c : null;
  };
  let ctx: MetricContext;
  let data: Msg | null;
  if ((data = readMessage<Msg>(metric.gauge, 'gauge')) !== null) {
    ctx = { family: familyName(name, unit, 'gauge', true), type: 'gauge', base, delta: false };
    out.describe(ctx, help);
    forEachPoint(data, 'gauge', (p, i) => numberPoint(p, i, ctx, out));
  } else if ((data = readMessage<Msg>(metric.sum, 'sum')) !== null) {
    const c = withTemporality(data, 'sum', readBool(data.isMonotonic, 'sum.isMonotonic') ? 'counter' : 'gauge');
    if (c !== null) forEachPoint(data, 'sum', (p, i) => numberPoint(p, i, c, out));
  } else if ((data = readMessage<Msg>(metric.histogram, 'histogram')) !== null) {
    const c = withTemporality(data, 'histogram', 'histogram');
    if (c !== null) forEachPoint(data, 'histogram', (p, i) => histogramPoint(p, i, c, out, readExplicitBuckets));
  } else if ((data = readMessage<Msg>(metric.exponentialHistogram, 'exponentialHistogram')) !== null) {
    const c = withTemporality(data, 'exponentialHistogram', 'histogram');
    if (c !== null) forEachPoint(data, 'exponentialHistogram', (p, i) => histogramPoint(p, i, c, out, readExponentialBuckets));
  } else if ((data = readMessage<Msg>(metric.summary, 'summary')) !== null) {
    ctx = { family: familyName(name, unit, 'summary', false), type: 'summary', base, delta: false };
    out.describe(ctx, help);
    forEachPoint(data, 'summary', (p, i) => summaryPoint(p, i, ctx, out));
  }
  // A metric without data has no points to keep or refuse.
}

function forEachPoint(data: Msg, field: string, map: (point: Msg, index: number) => void): void {
  const points = readList<Msg>(data.dataPoints, `${field}.dataPoints`);
  for (let i = 0; i < points.length; i++) {
    try {
      map(points[i]!, i);
    } catch (e) {
      rethrowAt(e, `${field}.dataPoints[${i}]`);
    }
  }
}

function readBool(value: unknown, path: string): boolean {
  if (value === null || value === undefined) return false;
  if (typeof value === 'boolean') return value;
  throw new OtlpDecodeError(`${path}: expected a boolean, got ${JSON.stringify(value)}`);
}

function numberPoint(p: Msg, _index: number, ctx: MetricContext, out: MappingOutput): void {
  const head = out.readHead(p, ctx);
  if (head === null) return;
  let value = head.stale ? STALE_NAN : readNumberValue(p);
  if (ctx.delta && !head.stale) {
    const total = out.state.addSum(`${ctx.family.name}\u0000${labelsKey(head.labels)}`, head.startUnixNano, head.timeUnixNano, value);
    if (typeof total === 'string') {
      out.refuse(total, ctx.family.name);
      return;
    }
    value = total;
  }
  out.sample(ctx.family.name, head.labels, head.timestampMs, value, head.stale);
}

function readNumberValue(p: Msg): number {
  if (hasField(p, 'asInt')) return Number(readInt64(p.asInt as string, 'asInt'));
  return readDouble(p.asDouble, 'asDouble');
}

function summaryPoint(p: Msg, _index: number, ctx: MetricContext, out: MappingOutput): void {
  const head = out.readHead(p, ctx);
  if (head === null) return;
  const name = ctx.family.name;
  const quantiles = readList<Msg>(p.quantileValues, 'quantileValues')
    .map((q, i) => {
      try {
        return { quantile: readDouble(q.quantile, 'quantile'), value: readDouble(q.value, 'value') };
      } catch (e) {
        rethrowAt(e, `quantileValues[${i}]`);
      }
    })
    .sort((a, b) => a.quantile - b.quantile);
  for (const q of quantiles) {
    out.sample(name, { ...head.labels, quantile: formatFloat(q.quantile) }, head.timestampMs, q.value, head.stale);
  }
  out.sample(`${name}_sum`, head.labels, head.timestampMs, head.stale ? NaN : readDouble(p.sum, 'sum'), head.stale);
  out.sample(`${name}_count`, head.labels, head.timestampMs, head.stale ? NaN : Number(readUint64(p.count as string, 'count')), head.stale);
}

function histogramPoint(p: Msg, _index: number, ctx: MetricContext, out: MappingOutput, readBuckets: (p: Msg, stale: boolean) => BucketCounts): void {
  const head = out.readHead(p, ctx);
  if (head === null) return;
  let hist = readBuckets(p, head.stale);
  const key = `${ctx.family.name}\u0000${labelsKey(head.labels)}`;
  if (head.stale) {
    const bounds = ctx.delta ? [...new Set([...hist.bounds, ...out.state.histogramBounds(key)])].sort((a, b) => a - b) : hist.bounds;
    const counts = new Array<number>(bounds.length + 1).fill(0);
    hist = { bounds, counts, count: STALE_NAN, sum: STALE_NAN, hasSum: true };
  } else if (ctx.delta) {
    const total = out.state.addHistogram(key, head.startUnixNano, head.timeUnixNano, hist);
    if (typeof total === 'string') {
      out.refuse(total, ctx.family.name);
      return;
    }
    hist = total;
  }
  const name = ctx.family.name;
  let cumulative = 0;
  for (let i = 0; i <= hist.bounds.length; i++) {
    cumulative += hist.counts[i]!;
    const le = i < hist.bounds.length ? formatFloat(hist.bounds[i]!) : '+Inf';
    out.sample(`${name}_bucket`, { ...head.labels, le }, head.timestampMs, cumulative, head.stale);
  }
  if (hist.hasSum) out.sample(`${name}_sum`, head.labels, head.timestampMs, hist.sum, head.stale);
  out.sample(`${name}_count`, head.labels, head.timestampMs, hist.count, head.stale);
}

/** A canonical key of a label set, for delta series. */
function labelsKey(labels: Labels): string {
  const keys = Object.keys(labels).sort();
  let key = '';
  for (const k of keys) key += `${k}\u0001${labels[k]}\u0002`;
  return key;
}

/** Collects samples, metadata and refusals of one request. */
class MappingOutput {
  readonly items: MetricSample[] = [];
  readonly metadata = new Map<string, MetricMetadata>();
  rejected = 0;
  rejectReason = '';
  /** Latest sample time of the current resource, for its target_info sample. */
  latestMs = -Infinity;
  readonly state: DeltaState;
  readonly #window: TimeWindow;
  readonly #limits: ItemLimits;
  readonly #stats: LimitStats;

  constructor(state: DeltaState, window: TimeWindow, limits: ItemLimits, stats: LimitStats) {
    this.state = state;
    this.#window = window;
    this.#limits = limits;
    this.#stats = stats;
  }

  describe(ctx: MetricContext, help: string): void {
    this.metadata.set(ctx.family.name, { metric: ctx.family.name, type: ctx.type, help, unit: ctx.family.unit });
  }

  /** False (with the points refused) for a temporality that is neither delta nor cumulative. */
  checkTemporality(temporality: number, data: Msg, metricName: string): boolean {
    if (temporality === DELTA || temporality === CUMULATIVE) return true;
    const points = readList<unknown>(data.dataPoints, 'dataPoints').length;
    for (let i = 0; i < points; i++) this.refuse('aggregationTemporality must be DELTA or CUMULATIVE', metricName);
    return false;
  }

  /** Labels and times of a point, or null when the point is refused. */
  readHead(p: Msg, ctx: MetricContext): PointHead | null {
    const timeUnixNano = readUint64(p.timeUnixNano as string, 'timeUnixNano');
    const startUnixNano = readUint64(p.startTimeUnixNano as string, 'startTimeUnixNano');
    const stale = (readInt(p.flags, 'flags') & NO_RECORDED_VALUE) !== 0;
    const { attributes } = readAttributes(p.attributes, this.#limits, this.#stats);
    if (timeUnixNano === 0n) return this.refuse('timeUnixNano is required', ctx.family.name);
    if (timeUnixNano < this.#window.minTimeUnixNano) return this.refuse('data point is older than the retention window', ctx.family.name);
    const labels = addAttributeLabels({}, attributes);
    Object.assign(labels, ctx.base);
    return { labels, startUnixNano, timeUnixNano, timestampMs: Number(timeUnixNano / 1_000_000n), stale };
  }

  refuse(reason: string, metric: string): null {
    this.rejected++;
    this.rejectReason ||= `${reason} (first: metric ${metric})`;
    return null;
  }

  sample(name: string, labels: Labels, timestampMs: number, value: number, stale = false): void {
    this.items.push(stale ? { labels: { ...labels, __name__: name }, timestampMs, value: STALE_NAN, stale: true } : { labels: { ...labels, __name__: name }, timestampMs, value });
    if (timestampMs > this.latestMs) this.latestMs = timestampMs;
  }

  /** One `target_info` sample per resource with attributes beyond job and instance, as the specification asks. */
  targetInfo(resource: ResourceInfo, identity: Labels): void {
    const labels = addAttributeLabels({}, resource.resource, RESOURCE_IDENTITY);
    if (Object.keys(labels).length === 0) return;
    Object.assign(labels, identity);
    this.sample(TARGET_INFO, labels, this.latestMs, 1);
    this.metadata.set(TARGET_INFO, { metric: TARGET_INFO, type: 'gauge', help: 'Target metadata', unit: '' });
  }
}
