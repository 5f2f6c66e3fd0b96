/**
 * The storage contracts every backend implements: the embedded DuckDB store
 * (store/duckdb), Elasticsearch/OpenSearch for spans and logs (store/search)
 * and Prometheus remote write for metrics (store/prometheus). Times are Unix nanoseconds (bigint) for
 * spans and logs and Unix milliseconds for metric samples, as each data model has it.
 */
import type { Lease } from '../alerts/AlertLeadership.ts';
import type { SharedAlertHistory } from '../alerts/AlertHistory.ts';
import type { AlertStateStore } from '../alerts/AlertStateFile.ts';
import type { SharedRuleStore } from '../alerts/RuleEditor.ts';
import type { LogRecord } from '../model/log.ts';
import { isStaleNaN, type Exemplar, type Labels, type MetricMetadata, type MetricSample } from '../model/metric.ts';
import type { SpanRecord } from '../model/span.ts';

/** A trace search; every filter applies to one span, as in Jaeger. */
export interface TraceQuery {
  service?: string;
  operation?: string;
  /** Span attribute, resource attribute or derived tag (`error`, `span.kind`) equal to the value's text. */
  tags: Record<string, string>;
  startUnixNano: bigint;
  endUnixNano: bigint;
  minDurationNano?: bigint;
  maxDurationNano?: bigint;
  /** Number of traces, applied after the filters. */
  limit: number;
}

/** An operation (span name) of a service with its kind. */
export interface Operation {
  name: string;
  spanKind: number;
}

/** Where a log search continues: the (time, id) of the last record returned. */
export interface LogCursor {
  timeUnixNano: bigint;
  id: bigint;
}

/** A log search. With only `traceId` set it returns every record of that trace in time order. */
export interface LogQuery {
  traceId?: Uint8Array;
  spanId?: Uint8Array;
  service?: string;
  /** Inclusive severity-number ranges, any of which matches. */
  severityRanges?: Array<[number, number]>;
  /** Case-insensitive substring of the body. */
  text?: string;
  startUnixNano?: bigint;
  endUnixNano?: bigint;
  limit: number;
  /** 'desc' (newest first) for searches, 'asc' for one request's story. */
  order: 'asc' | 'desc';
  after?: LogCursor;
}

/** A stored log record with the id that orders ties and pages. */
export interface StoredLog extends LogRecord {
  id: bigint;
}

/** One page of log search results. */
export interface LogPage {
  records: StoredLog[];
  /** Set when more records match. */
  next: LogCursor | null;
}

/** Spans: written in batches, read by trace, by search and by service. */
export interface SpanStore {
  /** Makes the spans durable before resolving. */
  appendSpans(spans: readonly SpanRecord[]): Promise<void>;
  /** Every span of one trace, ordered by start time. */
  getTrace(traceId: Uint8Array): Promise<SpanRecord[]>;
  /** Ids of traces with a span matching the query, newest first. */
  findTraceIds(query: TraceQuery): Promise<Uint8Array[]>;
  /** Every span of each trace, in the order of `traceIds`. */
  getTraces(traceIds: readonly Uint8Array[]): Promise<SpanRecord[][]>;
  /** Names of services that sent spans, sorted. */
  getServices(): Promise<string[]>;
  /** Span names of one service, sorted. */
  getOperations(service: string): Promise<Operation[]>;
  /** Calls between services (a child span whose parent is in another service) that started in the range. */
  getDependencies(startUnixNano: bigint, endUnixNano: bigint): Promise<Dependency[]>;
  /** Deletes spans that started before the time; returns how many. */
  deleteBefore(timeUnixNano: bigint): Promise<number>;
}

/** A caller → callee edge with its number of calls. */
export interface Dependency {
  parent: string;
  child: string;
  callCount: number;
}

/** Logs: written in batches, searched by trace, service, severity, text and time. */
export interface LogStore {
  /** Makes the records durable before resolving. */
  appendLogs(records: readonly LogRecord[]): Promise<void>;
  searchLogs(query: LogQuery): Promise<LogPage>;
  /** Deletes records older than the time; returns how many. */
  deleteBefore(timeUnixNano: bigint): Promise<number>;
}

/** A label matcher as PromQL has them. */
export interface LabelMatcher {
  name: string;
  type: '=' | '!=' | '=~' | '!~';
  value: string;
}

/** A series with its samples in a time range, oldest first. */
export interface SeriesSamples {
  labels: Labels;
  timestampsMs: number[];
  values: number[];
  /**
   * 1 where the sample is a stale marker. A store sets it rather than rely on
   * the marker's NaN bits, which V8 may not keep in a number array; without
   * it, stale markers are the values {@link isStaleNaN} knows.
   */
  stale?: Uint8Array;
}

/** True when sample i of the series is a stale marker. */
export function isStaleAt(s: SeriesSamples, i: number): boolean {
  return s.stale !== undefined ? s.stale[i] === 1 : isStaleNaN(s.values[i]!);
}

/** A series with its exemplars in a time range, oldest first; Prometheus' /api/v1/query_exemplars shape. */
export interface SeriesExemplars {
  seriesLabels: Labels;
  exemplars: Exemplar[];
}

/** Metric samples in the Prometheus data model. */
export interface MetricStore {
  /** Makes the samples durable before resolving; metadata is kept per metric name. */
  appendSamples(samples: readonly MetricSample[], metadata?: readonly MetricMetadata[]): Promise<void>;
  /** Series matching every matcher with their samples in [startMs, endMs]. */
  selectSeries(matchers: readonly LabelMatcher[], startMs: number, endMs: number): Promise<SeriesSamples[]>;
  /** Exemplars (stored with the samples that carried them) of series matching every matcher, in [startMs, endMs]. */
  selectExemplars(matchers: readonly LabelMatcher[], startMs: number, endMs: number): Promise<SeriesExemplars[]>;
  /** The label sets of every stored series (for counting them against the series limits). */
  seriesLabels(): Promise<Labels[]>;
  /** Label names of series matching the matchers (all series when none). */
  labelNames(matchers: readonly LabelMatcher[]): Promise<string[]>;
  /** Values of one label over series matching the matchers. */
  labelValues(name: string, matchers: readonly LabelMatcher[]): Promise<string[]>;
  /** Metadata per metric name. */
  metadata(): Promise<MetricMetadata[]>;
  /** Deletes samples older than the time; returns how many. */
  deleteBefore(timeMs: number): Promise<number>;
}

/**
 * What replicas of a collector sharing one cluster coordinate through: a
 * lease for the one replica that evaluates alerts, the alert state it
 * saves for the others (and for whichever takes over), and rule edits.
 */
export interface ReplicaCoordination {
  alertingLease: Lease;
  alertState: AlertStateStore;
  /** Rule edits made through the API, applied by every replica. */
  ruleEdits: SharedRuleStore;
  /** The alert history every replica writes to and answers from. */
  alertHistory: SharedAlertHistory;
}

/** The three stores a collector writes to, opened together and closed together. */
export interface Stores {
  spans: SpanStore;
  logs: LogStore;
  metrics: MetricStore;
  /** A short description for the start-up log line ("duckdb ./data/mirador.duckdb"). */
  description: string;
  /** Set when spans and logs are in a cluster several replicas share (scale-out); null on the embedded store. */
  coordination: ReplicaCoordination | null;
  /**
   * Waits until everything accepted so far is searchable. The embedded store
   * is at once; a search cluster is once its spool has drained and its
   * indices refreshed.
   */
  flush(): Promise<void>;
  close(): Promise<void>;
}
