import { DerivedMetrics } from '../derive/DerivedMetrics.ts';
import { SeriesLimiter, type SeriesLimits } from './SeriesLimiter.ts';
import type { ParsedExposition } from '../metrics/exposition.ts';
import type { Labels, MetricMetadata, MetricSample } from '../model/metric.ts';
import type { LogRecord } from '../model/log.ts';
import type { SpanRecord } from '../model/span.ts';
import { LimitStats, type ItemLimits } from '../otlp/limits.ts';
import { mapLogsRequest } from '../otlp/mapLogs.ts';
import { DeltaState, mapMetricsRequest } from '../otlp/mapMetrics.ts';
import { mapTraceRequest, type TimeWindow } from '../otlp/mapTraces.ts';
import { OtlpDecodeError } from '../otlp/wire.ts';
import type { Stores } from '../store/types.ts';
import type { SelfMetrics, Signal } from '../telemetry/SelfMetrics.ts';
import type { CollectorLog } from '../telemetry/log.ts';
import { BatchWriter, QueueFullError, type BatchWriterObserver, type BatchWriterOptions } from './BatchWriter.ts';

/** How long a delta-temporality series may stay silent before its running total is dropped. */
const DELTA_IDLE_MS = 15 * 60_000;
const DELTA_EVICTION_INTERVAL_MS = 60_000;

/**
 * Runs a mapper; any failure of it is the request's fault (a value of an
 * unexpected type deep inside, say), so it becomes a decode error (400), never
 * a store failure that the sender would retry forever. The request is
 * mapped synchronously and not referenced afterwards, so its decoded object
 * graph is garbage while the rows wait to be written.
 */
function mapOrReject<T>(map: () => T): T {
  try {
    return map();
  } catch (error) {
    if (error instanceof OtlpDecodeError) throw error;
    throw new OtlpDecodeError(`malformed request: ${(error as Error).message}`);
  }
}

/** What one export request came to: how many items were refused, and why (OTLP partial success). */
export interface IngestResult {
  accepted: number;
  rejected: number;
  errorMessage: string;
}

/** Settings of the ingest path. */
export interface IngestOptions {
  limits: ItemLimits;
  batching: BatchWriterOptions;
  retentionMs: number;
  /** Unix milliseconds now; a parameter so tests can step time. */
  now: () => number;
  /** How long half of a client/server span pair waits for the other. */
  edgeWaitMs: number;
  seriesLimits: SeriesLimits;
}

/**
 * The transport-independent ingest path shared by the OTLP/HTTP and OTLP/gRPC
 * receivers: decoded request → rows (with limits) → the signal's batch writer.
 * The returned promise settles once the accepted items are durable.
 */
export class Ingest {
  private readonly options: IngestOptions;
  private readonly metrics: SelfMetrics;
  private readonly spanWriter: BatchWriter<SpanRecord>;
  private readonly logWriter: BatchWriter<LogRecord>;
  private readonly sampleWriter: BatchWriter<MetricSample>;
  private readonly deltaState = new DeltaState();
  private lastDeltaEviction = 0;
  /** Series limits; replaced when the series are counted anew. */
  private limiter: SeriesLimiter;
  /** Span, service-graph and log-count metrics of what was stored. */
  readonly derived: DerivedMetrics;
  /** Metadata waiting to be written with the next sample batch, by metric name. */
  private pendingMetadata = new Map<string, MetricMetadata>();

  constructor(stores: Stores, options: IngestOptions, metrics: SelfMetrics, log: CollectorLog, existingSeries: Iterable<Labels> = []) {
    this.options = options;
    this.metrics = metrics;
    this.derived = new DerivedMetrics({ edgeWaitMs: options.edgeWaitMs });
    this.limiter = new SeriesLimiter(options.seriesLimits, existingSeries);
    const observer = (signal: Signal): BatchWriterObserver => ({
      queued: (n) => metrics.queueDepth.set({ signal }, n),
      written: (n, seconds) => {
        metrics.accepted.inc({ signal }, n);
        metrics.writeSeconds.observe({ signal }, seconds);
      },
      failed: (n, error) => {
        metrics.dropped.inc({ signal, reason: 'write_failed' }, n);
        log.error('store write failed; the senders were answered 503 and will retry', { signal, items: n, error });
      },
    });
    this.spanWriter = new BatchWriter((items) => stores.spans.appendSpans(items), options.batching, observer('traces'));
    this.logWriter = new BatchWriter((items) => stores.logs.appendLogs(items), options.batching, observer('logs'));
    this.sampleWriter = new BatchWriter((items) => {
      const metadata = [...this.pendingMetadata.values()];
      this.pendingMetadata = new Map();
      return stores.metrics.appendSamples(items, metadata);
    }, options.batching, observer('metrics'));
  }

  /** Maps and stores one decoded ExportTraceServiceRequest (protobuf or JSON); stored spans count into the derived metrics. */
  async traces(request: unknown, transport: string): Promise<IngestResult> {
    const stats = new LimitStats();
    const mapped = mapOrReject(() => mapTraceRequest(request, this.options.limits, stats, this.window()));
    const result = await this.store('traces', transport, mapped.items, mapped.rejected, mapped.rejectReason, stats, this.spanWriter);
    this.derived.spans(mapped.items, this.options.now());
    return result;
  }

  /** Maps and stores one decoded ExportLogsServiceRequest (protobuf or JSON); stored records are counted. */
  async logs(request: unknown, transport: string): Promise<IngestResult> {
    const stats = new LimitStats();
    const receivedAt = BigInt(this.options.now()) * 1_000_000n;
    const mapped = mapOrReject(() => mapLogsRequest(request, this.options.limits, stats, this.window(), receivedAt));
    const result = await this.store('logs', transport, mapped.items, mapped.rejected, mapped.rejectReason, stats, this.logWriter);
    this.derived.logs(mapped.items);
    return result;
  }

  /** Maps and stores one decoded ExportMetricsServiceRequest (protobuf or JSON). */
  metricsRequest(request: unknown, transport: string): Promise<IngestResult> {
    const nowMs = this.options.now();
    if (nowMs - this.lastDeltaEviction > DELTA_EVICTION_INTERVAL_MS) {
      // A delta series silent this long is forgotten; its next point starts a new counter (a reset PromQL handles).
      this.deltaState.evictBefore(BigInt(nowMs - DELTA_IDLE_MS) * 1_000_000n);
      this.lastDeltaEviction = nowMs;
    }
    const stats = new LimitStats();
    const mapped = mapOrReject(() => mapMetricsRequest(request, this.options.limits, stats, this.deltaState, this.window()));
    for (const m of mapped.metadata) this.pendingMetadata.set(m.metric, m);
    const { admitted, refused, reason } = this.admit(mapped.items);
    return this.store('metrics', transport, admitted, mapped.rejected + refused, [mapped.rejectReason, reason].filter((r) => r !== '').join('; '), stats, this.sampleWriter);
  }

  /**
   * Stores one pushed exposition (POST /metrics/job/...): every sample stamped
   * with the time of arrival, the grouping labels (job, instance, ...) set on
   * every series over any the text had, as the Pushgateway does.
   */
  pushedMetrics(parsed: ParsedExposition, grouping: Labels): Promise<IngestResult> {
    const nowMs = this.options.now();
    const items: MetricSample[] = parsed.samples.map((s) => {
      const labels = { ...s.labels, ...grouping };
      const exemplar = s.exemplar === undefined ? undefined : { labels: s.exemplar.labels, value: s.exemplar.value, timestampMs: s.exemplar.timestampMs ?? nowMs };
      return exemplar === undefined ? { labels, timestampMs: nowMs, value: s.value } : { labels, timestampMs: nowMs, value: s.value, exemplar };
    });
    for (const m of parsed.metadata) this.pendingMetadata.set(m.metric, m);
    const { admitted, refused, reason } = this.admit(items);
    return this.store('metrics', 'push', admitted, refused, reason, new LimitStats(), this.sampleWriter);
  }

  /**
   * Writes the derived metrics' current values, stamped now, through the
   * sample writer (as if scraped); called on the derive interval and at close.
   */
  async writeDerived(): Promise<void> {
    const { samples, metadata } = this.derived.collect(this.options.now());
    if (samples.length === 0) return;
    for (const m of metadata) this.pendingMetadata.set(m.metric, m);
    const { admitted } = this.admit(samples);
    this.metrics.derivedEdges.set({ outcome: 'expired' }, this.derived.expiredEdges);
    this.metrics.derivedEdges.set({ outcome: 'dropped' }, this.derived.droppedEdges);
    await this.sampleWriter.submit(admitted);
  }

  /**
   * Stores the results of rule evaluation (recording rules, ALERTS), stamped
   * with the evaluation time; resolves once they are durable, so the next
   * rule reads them. Series beyond the limits are refused and counted.
   */
  async ruleResults(samples: readonly MetricSample[]): Promise<void> {
    const { admitted } = this.admit(samples);
    this.metrics.received.inc({ signal: 'metrics', transport: 'rules' }, samples.length);
    await this.sampleWriter.submit(admitted);
  }

  /** New series within the limits; those beyond are counted as rejected for the series limit. */
  private admit(samples: readonly MetricSample[]) {
    const admission = this.limiter.admit(samples);
    if (admission.refused > 0) this.metrics.rejected.inc({ signal: 'metrics', reason: 'series_limit' }, admission.refused);
    return admission;
  }

  /** Counts anew the series the store holds (after retention deleted some). */
  resyncSeries(existing: Iterable<Labels>): void {
    this.limiter = new SeriesLimiter(this.options.seriesLimits, existing);
  }

  /** Stores samples received by Prometheus remote write, at their own timestamps; older than the retention window they are dropped and counted. */
  remoteWrite(samples: MetricSample[], metadata: readonly MetricMetadata[]): Promise<IngestResult> {
    const oldest = this.options.now() - this.options.retentionMs;
    const kept = samples.filter((s) => s.timestampMs >= oldest);
    for (const m of metadata) this.pendingMetadata.set(m.metric, m);
    const old = samples.length - kept.length;
    const { admitted, refused, reason } = this.admit(kept);
    const reasons = [old > 0 ? `${old} sample(s) older than the retention window` : '', reason].filter((r) => r !== '').join('; ');
    return this.store('metrics', 'remote_write', admitted, old + refused, reasons, new LimitStats(), this.sampleWriter);
  }

  /** Writes everything queued and refuses new items. */
  async close(): Promise<void> {
    await this.writeDerived().catch(() => undefined);
    await Promise.all([this.spanWriter.close(), this.logWriter.close(), this.sampleWriter.close()]);
  }

  private window(): TimeWindow {
    return { minTimeUnixNano: BigInt(Math.max(0, this.options.now() - this.options.retentionMs)) * 1_000_000n };
  }

  private async store<T>(signal: Signal, transport: string, items: T[], rejected: number, reason: string, stats: LimitStats, writer: BatchWriter<T>): Promise<IngestResult> {
    this.metrics.received.inc({ signal, transport }, items.length + rejected);
    if (rejected > 0) this.metrics.rejected.inc({ signal, reason: 'invalid_item' }, rejected);
    if (stats.truncatedValues > 0) this.metrics.truncated.inc({ signal, limit: 'value_bytes' }, stats.truncatedValues);
    if (stats.droppedAttributes > 0) this.metrics.truncated.inc({ signal, limit: 'attribute_count' }, stats.droppedAttributes);
    if (stats.truncatedDepth > 0) this.metrics.truncated.inc({ signal, limit: 'depth' }, stats.truncatedDepth);
    if (stats.redacted > 0) this.metrics.redacted.inc({ signal }, stats.redacted);
    try {
      await writer.submit(items);
    } catch (error) {
      if (error instanceof QueueFullError) this.metrics.dropped.inc({ signal, reason: 'queue_full' }, items.length);
      throw error;
    }
    const notes = [reason];
    if (stats.total > 0) notes.push(`${stats.total} attribute value(s) truncated or dropped by the collector's limits`);
    return { accepted: items.length, rejected, errorMessage: notes.filter((n) => n !== '').join('; ') };
  }
}
