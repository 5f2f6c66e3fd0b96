import { idToHex } from '../model/ids.ts';
import type { LogRecord } from '../model/log.ts';
import type { Labels, MetricMetadata, MetricSample } from '../model/metric.ts';
import { SpanKind, StatusCode, type SpanRecord } from '../model/span.ts';

/**
 * Metrics derived from the spans and logs the collector ingests, in the names
 * and labels the OpenTelemetry spanmetrics and servicegraph connectors write
 * (so Jaeger's monitor view and Grafana's service graph read them):
 *
 * - `traces_span_metrics_calls_total` and `traces_span_metrics_duration_seconds`
 *   by `service_name`, `span_name`, `span_kind`, `status_code`;
 * - `traces_service_graph_request_total`, `..._request_failed_total` and
 *   `..._request_server_seconds` by `client`, `server`, `connection_type`,
 *   from client/server span pairs (and producer/consumer pairs, with
 *   `connection_type="messaging_system"` and the queue or topic as
 *   `messaging_destination`); a client span of a database call
 *   that no server span answers becomes an edge to the database
 *   (`connection_type="database"`), the way the connector's virtual nodes do;
 * - `mirador_log_records_total` by `service_name` and `severity`.
 *
 * Counters are cumulative; {@link DerivedMetrics.collect} turns their current
 * values into samples at the time given, for the metric store.
 */
export class DerivedMetrics {
  private readonly spanCalls = new Map<string, Counted>();
  private readonly spanDurations = new Map<string, Histogram>();
  private readonly edgeRequests = new Map<string, Counted>();
  private readonly edgeFailures = new Map<string, Counted>();
  private readonly edgeDurations = new Map<string, Histogram>();
  private readonly logCounts = new Map<string, Counted>();
  /** Halves of client→server (or producer→consumer) pairs waiting for the other half, by the client's span id. */
  private readonly waiting = new Map<string, EdgeHalf>();
  private readonly options: DerivedMetricsOptions;
  /** Pairs that never completed within the wait, and halves dropped because too many waited. */
  expiredEdges = 0;
  droppedEdges = 0;

  constructor(options: Partial<DerivedMetricsOptions> = {}) {
    this.options = { ...DEFAULT_DERIVED_METRICS_OPTIONS, ...options };
  }

  /** Counts spans into the span metrics and pairs them into service-graph edges; `nowMs` ages the waiting halves. */
  spans(spans: readonly SpanRecord[], nowMs: number): void {
    for (const span of spans) {
      const seconds = Number(span.endTimeUnixNano - span.startTimeUnixNano) / 1e9;
      // On the ingest path: the key is joined from the span's fields; the label object is built once per series.
      const key = `${span.serviceName}\u0000${span.name}\u0000${span.kind}\u0000${span.statusCode}`;
      const labels = () => ({ service_name: span.serviceName, span_name: span.name, span_kind: KIND_LABELS[span.kind] ?? 'SPAN_KIND_UNSPECIFIED', status_code: STATUS_LABELS[span.statusCode] ?? 'STATUS_CODE_UNSET' });
      count(this.spanCalls, key, labels);
      observe(this.spanDurations, key, labels, seconds, this.options.buckets);
      this.pair(span, seconds, nowMs);
    }
    this.expire(nowMs);
  }

  /** Counts log records by service and severity. */
  logs(records: readonly LogRecord[]): void {
    for (const r of records) {
      const severity = severityLabel(r.severityNumber, r.severityText);
      count(this.logCounts, `${r.serviceName}\u0000${severity}`, () => ({ service_name: r.serviceName, severity }));
    }
  }

  /** Every derived series' current value as a sample at `timestampMs`, with the families' metadata. */
  collect(timestampMs: number): { samples: MetricSample[]; metadata: MetricMetadata[] } {
    const samples: MetricSample[] = [];
    const counters = (name: string, map: Map<string, Counted>) => {
      for (const c of map.values()) samples.push({ labels: { __name__: name, ...c.labels }, timestampMs, value: c.value });
    };
    const histograms = (name: string, map: Map<string, Histogram>) => {
      for (const h of map.values()) {
        let cumulative = 0;
        for (let i = 0; i <= this.options.buckets.length; i++) {
          cumulative += h.counts[i]!;
          const le = i < this.options.buckets.length ? String(this.options.buckets[i]) : '+Inf';
          samples.push({ labels: { __name__: `${name}_bucket`, ...h.labels, le }, timestampMs, value: cumulative });
        }
        samples.push({ labels: { __name__: `${name}_sum`, ...h.labels }, timestampMs, value: h.sum });
        samples.push({ labels: { __name__: `${name}_count`, ...h.labels }, timestampMs, value: h.count });
      }
    };
    counters('traces_span_metrics_calls_total', this.spanCalls);
    histograms('traces_span_metrics_duration_seconds', this.spanDurations);
    counters('traces_service_graph_request_total', this.edgeRequests);
    counters('traces_service_graph_request_failed_total', this.edgeFailures);
    histograms('traces_service_graph_request_server_seconds', this.edgeDurations);
    counters('mirador_log_records_total', this.logCounts);
    return { samples, metadata: METADATA };
  }

  private pair(span: SpanRecord, seconds: number, nowMs: number): void {
    const failed = span.statusCode === StatusCode.ERROR;
    if (span.kind === SpanKind.CLIENT || span.kind === SpanKind.PRODUCER) {
      const key = idToHex(span.traceId) + idToHex(span.spanId);
      const other = this.waiting.get(key);
      if (other !== undefined && other.side === 'server') {
        this.waiting.delete(key);
        this.edge(span.serviceName, other.service, other.connectionType, failed || other.failed, other.seconds, other.destination ?? destinationOf(span));
      } else {
        this.hold(key, { side: 'client', service: span.serviceName, connectionType: span.kind === SpanKind.PRODUCER ? 'messaging_system' : '', failed, seconds, database: databaseOf(span), destination: destinationOf(span), since: nowMs });
      }
    } else if ((span.kind === SpanKind.SERVER || span.kind === SpanKind.CONSUMER) && span.parentSpanId !== null) {
      const key = idToHex(span.traceId) + idToHex(span.parentSpanId);
      const connectionType = span.kind === SpanKind.CONSUMER ? 'messaging_system' : '';
      const other = this.waiting.get(key);
      if (other !== undefined && other.side === 'client') {
        this.waiting.delete(key);
        this.edge(other.service, span.serviceName, connectionType, failed || other.failed, seconds, other.destination ?? destinationOf(span));
      } else {
        this.hold(key, { side: 'server', service: span.serviceName, connectionType, failed, seconds, database: null, destination: destinationOf(span), since: nowMs });
      }
    }
  }

  private hold(key: string, half: EdgeHalf): void {
    if (this.waiting.size >= this.options.maxWaitingEdges) {
      this.droppedEdges++;
      return;
    }
    this.waiting.set(key, half);
  }

  private edge(client: string, server: string, connectionType: string, failed: boolean, serverSeconds: number, destination: string | null = null): void {
    // A messaging edge names the queue or topic between the two (so the map can draw it as a node of its own).
    const via = connectionType === 'messaging_system' ? destination : null;
    const key = `${client}\u0000${server}\u0000${connectionType}\u0000${via ?? ''}`;
    const labels = (): Labels => (via === null ? { client, server, connection_type: connectionType } : { client, server, connection_type: connectionType, messaging_destination: via });
    count(this.edgeRequests, key, labels);
    if (failed) count(this.edgeFailures, key, labels);
    observe(this.edgeDurations, key, labels, serverSeconds, this.options.buckets);
  }

  /** Halves older than the wait: a database call becomes an edge to the database, anything else is counted as expired. */
  private expire(nowMs: number): void {
    const oldest = nowMs - this.options.edgeWaitMs;
    // The map keeps insertion order, which is arrival order: stop at the first half still young.
    for (const [key, half] of this.waiting) {
      if (half.since > oldest) break;
      this.waiting.delete(key);
      if (half.side === 'client' && half.database !== null) this.edge(half.service, half.database, 'database', half.failed, half.seconds);
      else this.expiredEdges++;
    }
  }
}

/** Settings of the derivation. */
export interface DerivedMetricsOptions {
  /** Histogram bucket bounds, seconds. */
  buckets: readonly number[];
  /** How long half of a client/server pair waits for the other half. */
  edgeWaitMs: number;
  /** Halves waiting at most; beyond, new ones are dropped and counted. */
  maxWaitingEdges: number;
}

/** The spanmetrics connector's default buckets (2 ms to 15 s), a 10 s wait for the other half of a pair. */
export const DEFAULT_DERIVED_METRICS_OPTIONS: DerivedMetricsOptions = {
  buckets: [0.002, 0.004, 0.006, 0.008, 0.01, 0.05, 0.1, 0.2, 0.4, 0.8, 1, 1.4, 2, 5, 10, 15],
  edgeWaitMs: 10_000,
  maxWaitingEdges: 100_000,
};

interface Counted {
  labels: Labels;
  value: number;
}

interface Histogram {
  labels: Labels;
  /** Per bucket, the last slot for +Inf. */
  counts: number[];
  sum: number;
  count: number;
}

interface EdgeHalf {
  side: 'client' | 'server';
  service: string;
  connectionType: string;
  failed: boolean;
  /** The server side's duration, when this half is the server. */
  seconds: number;
  /** For a client span of a database call, the database's name as a node. */
  database: string | null;
  /** For a messaging span, the queue or topic (`messaging.destination.name`). */
  destination: string | null;
  since: number;
}

const KIND_LABELS = ['SPAN_KIND_UNSPECIFIED', 'SPAN_KIND_INTERNAL', 'SPAN_KIND_SERVER', 'SPAN_KIND_CLIENT', 'SPAN_KIND_PRODUCER', 'SPAN_KIND_CONSUMER'];
const STATUS_LABELS = ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR'];
const SEVERITIES: Array<[number, string]> = [[21, 'fatal'], [17, 'error'], [13, 'warn'], [9, 'info'], [5, 'debug'], [1, 'trace']];

const METADATA: MetricMetadata[] = [
  { metric: 'traces_span_metrics_calls', type: 'counter', help: 'Spans ended, by service, span name, kind and status.', unit: '' },
  { metric: 'traces_span_metrics_duration_seconds', type: 'histogram', help: 'Span durations, by service, span name, kind and status.', unit: 'seconds' },
  { metric: 'traces_service_graph_request', type: 'counter', help: 'Requests between two services (client and server span pairs).', unit: '' },
  { metric: 'traces_service_graph_request_failed', type: 'counter', help: 'Failed requests between two services.', unit: '' },
  { metric: 'traces_service_graph_request_server_seconds', type: 'histogram', help: 'Server-side duration of requests between two services.', unit: 'seconds' },
  { metric: 'mirador_log_records', type: 'counter', help: 'Log records received, by service and severity.', unit: '' },
];

function severityLabel(number: number, text: string): string {
  for (const [floor, name] of SEVERITIES) if (number >= floor) return name;
  return text === '' ? 'unspecified' : text.toLowerCase();
}

function destinationOf(span: SpanRecord): string | null {
  // `messaging.destination` is the older semantic conventions' name, which the amqplib instrumentation still writes.
  const name = span.attributes['messaging.destination.name'] ?? span.attributes['messaging.destination'];
  return typeof name === 'string' && name !== '' ? name : null;
}

function databaseOf(span: SpanRecord): string | null {
  const system = span.attributes['db.system.name'] ?? span.attributes['db.system'];
  return typeof system === 'string' && system !== '' ? system : null;
}

/** Adds one to a series' counter; its labels are made (by `labels`) only when the series is new. */
function count(map: Map<string, Counted>, key: string, labels: () => Labels): void {
  const c = map.get(key);
  if (c === undefined) map.set(key, { labels: labels(), value: 1 });
  else c.value++;
}

function observe(map: Map<string, Histogram>, key: string, labels: () => Labels, value: number, buckets: readonly number[]): void {
  let h = map.get(key);
  if (h === undefined) {
    h = { labels: labels(), counts: new Array<number>(buckets.length + 1).fill(0), sum: 0, count: 0 };
    map.set(key, h);
  }
  let i = 0;
  while (i < buckets.length && value > buckets[i]!) i++;
  h.counts[i]!++;
  h.sum += value;
  h.count++;
}
