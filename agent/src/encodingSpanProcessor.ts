import { ROOT_CONTEXT, TraceFlags, context, diag, type Attributes, type MeterProvider } from '@opentelemetry/api';
import { ExportResultCode, suppressTracing, type ExportResult } from '@opentelemetry/core';
import type { IOtlpExportDelegate } from '@opentelemetry/otlp-exporter-base';
import { convertLegacyHttpOptions } from '@opentelemetry/otlp-exporter-base/node-http';
import { ProtobufTraceSerializer, type IExportTraceServiceResponse } from '@opentelemetry/otlp-transformer';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import { socketExportDelegate } from './otlpSocketExport.ts';
import { ProtoWriter, encodeResource, encodeScope, encodeSpan } from './otlpSpanEncoding.ts';

/** Spans encoded as one OTLP ExportTraceServiceRequest, ready to send. */
interface EncodedBatch {
  bytes: Uint8Array;
  count: number;
  /** The buffer `bytes` is a view of, reused for a later batch once this one's export has finished. */
  buffer: Buffer;
}

type Scope = ReadableSpan['instrumentationScope'];

export interface EncodingSpanProcessorOptions {
  /** The collector's traces endpoint (…/v1/traces). */
  url: string;
  headers: Record<string, string>;
  timeoutMillis: number;
  /** Longest wait before a batch that is not full is sent. */
  scheduledDelayMillis: number;
  /** Spans encoded but not yet exported (the batch being filled and those being sent); beyond, spans are dropped and counted. */
  maxQueueSize: number;
  maxExportBatchSize: number;
  /** Where the processor's and the exporter's own metrics go (the SDK's `selfObsMeterProvider`). */
  meterProvider: MeterProvider;
}

const COMPONENT_TYPE = 'batching_span_processor';

/**
 * A batching span processor that encodes each span to OTLP protobuf when it
 * ends and sends the batches through the OpenTelemetry OTLP/HTTP export
 * delegate (the same timeouts, concurrency limit, retries with backoff and
 * `Retry-After` as `@opentelemetry/exporter-trace-otlp-proto`), over the
 * agent's socket client instead of Node's http client (otlpSocketExport.ts).
 *
 * Why not the SDK's BatchSpanProcessor with that exporter: the batch
 * processor holds every ended span as an SDK object until its batch is
 * serialized. Under load those objects are alive at every young-generation
 * collection, so V8 copies them, promotes some, and grows the young generation
 * of the service's heap with them: on the hello-world benchmark, 270 KB
 * survived each scavenge and the young generation grew from 8 to 64 MiB
 * (`--trace-gc-nvp`, one-off runs; the figures to compare are `npm run bench --
 * agent`'s). Encoded at its end, a span is garbage at once, and a batch is a
 * few kilobytes in a Buffer outside the heap. It behaves as the SDK's
 * processor does otherwise: sampled spans only, a bounded queue whose overflow
 * is dropped and counted under the same metric names
 * (`otel.sdk.processor.span.processed` with `error.type=queue_full`), a
 * scheduled delay, forceFlush and shutdown.
 */
export class EncodingSpanProcessor implements SpanProcessor {
  private readonly options: EncodingSpanProcessorOptions;
  private readonly delegate: IOtlpExportDelegate<EncodedBatch>;
  /** Encoded spans of the batch being filled, by instrumentation scope (each a run of ScopeSpans.spans fields). */
  private readonly scopes = new Map<Scope, ProtoWriter>();
  private resource: Resource | null = null;
  private encodedResource: Buffer | null = null;
  private batchCount = 0;
  /**
   * Buffers of batches whose export has finished, for the next batches. A
   * batch's buffer (about 150 KB for 512 hello-world spans) lives for its
   * export's round trip, long enough to be promoted to the old generation,
   * where only a full collection frees it; reused, a service under steady load
   * allocates no buffer per batch. (One-off runs did not show an RSS change
   * beyond the benchmark's noise; the churn is what goes.)
   */
  private readonly spareBuffers: Buffer[] = [];
  /** As many spares as batches can be in flight at once. */
  private readonly maxSpareBuffers: number;
  /** Spans in the batch being filled plus those being exported. */
  private queued = 0;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private awaitingResource = false;
  private readonly processed: { add(value: number, attributes?: Attributes): void };
  private readonly attributes: Attributes;
  private readonly droppedAttributes: Attributes;

  constructor(options: EncodingSpanProcessorOptions) {
    this.options = options;
    this.maxSpareBuffers = Math.ceil(options.maxQueueSize / options.maxExportBatchSize);
    this.delegate = socketExportDelegate<EncodedBatch, IExportTraceServiceResponse>(
      convertLegacyHttpOptions({ url: options.url, headers: options.headers, timeoutMillis: options.timeoutMillis }, 'TRACES', 'v1/traces', { 'Content-Type': 'application/x-protobuf' }),
      { serializeRequest: (batch) => batch.bytes, deserializeResponse: (data) => ProtobufTraceSerializer.deserializeResponse(data) },
      'otlp_http_span_exporter',
      { name: 'span', countItems: (batch) => batch.count },
      options.meterProvider,
    );
    const meter = options.meterProvider.getMeter('@mirador/agent');
    this.attributes = { 'otel.component.type': COMPONENT_TYPE, 'otel.component.name': `${COMPONENT_TYPE}/mirador` };
    this.droppedAttributes = { ...this.attributes, 'error.type': 'queue_full' };
    this.processed = meter.createCounter('otel.sdk.processor.span.processed', { unit: '{span}', description: 'The number of spans for which the processing has finished, either successful or failed.' });
    meter.createUpDownCounter('otel.sdk.processor.span.queue.capacity', { unit: '{span}', description: 'The maximum number of spans the queue of a given instance of an SDK span processor can hold.' }).add(options.maxQueueSize, this.attributes);
    meter
      .createObservableUpDownCounter('otel.sdk.processor.span.queue.size', { unit: '{span}', description: 'The number of spans in the queue of a given instance of an SDK span processor.' })
      .addCallback((result) => result.observe(this.queued, this.attributes));
  }

  onStart(_span: Span): void {}

  onEnd(span: ReadableSpan): void {
    if (this.stopped || (span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    if (this.queued >= this.options.maxQueueSize) {
      this.processed.add(1, this.droppedAttributes);
      return;
    }
    // A processor belongs to one tracer provider, so to one resource.
    this.resource ??= span.resource;
    let spans = this.scopes.get(span.instrumentationScope);
    if (spans === undefined) this.scopes.set(span.instrumentationScope, (spans = new ProtoWriter(16 * 1024)));
    encodeSpan(spans, 2, span); // ScopeSpans.spans
    this.batchCount++;
    this.queued++;
    if (this.batchCount >= this.options.maxExportBatchSize) this.flushBatch();
    else if (this.timer === null) {
      this.timer = setTimeout(() => this.flushBatch(), this.options.scheduledDelayMillis);
      this.timer.unref();
    }
  }

  /** Sends the batch being filled, if any. */
  private flushBatch(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const resource = this.resource;
    if (this.batchCount === 0 || resource === null) return;
    if (resource.asyncAttributesPending === true) {
      // Resource attributes still being detected (the host id): the first batch waits for them, as the SDK's processor does.
      if (!this.awaitingResource) {
        this.awaitingResource = true;
        void resource.waitForAsyncAttributes?.().then(() => {
          this.awaitingResource = false;
          this.flushBatch();
        });
      }
      return;
    }
    if (this.encodedResource === null) {
      const w = new ProtoWriter(1024);
      encodeResource(w, 1, resource); // ResourceSpans.resource
      this.encodedResource = Buffer.from(w.bytes());
    }
    const batch = this.assemble(this.encodedResource, this.batchCount);
    this.batchCount = 0;
    for (const spans of this.scopes.values()) spans.reset();
    // Outside any request's context, and with tracing suppressed so the export's own HTTP request makes no span.
    context.with(suppressTracing(ROOT_CONTEXT), () => this.delegate.export(batch, (result) => this.exported(batch, result)));
  }

  private assemble(encodedResource: Uint8Array, count: number): EncodedBatch {
    let size = encodedResource.length + 16;
    for (const spans of this.scopes.values()) size += spans.pos + 256;
    // A spare buffer too small for this batch is let go; the new one has room for batches a little larger.
    const spare = this.spareBuffers.pop();
    const w = spare !== undefined && spare.length >= size ? new ProtoWriter(spare) : new ProtoWriter(size + (size >> 2));
    const resourceSpans = w.begin(1); // ExportTraceServiceRequest.resource_spans
    w.append(encodedResource);
    for (const [scope, spans] of this.scopes) {
      if (spans.pos === 0) continue;
      const scopeSpans = w.begin(2); // ResourceSpans.scope_spans
      encodeScope(w, 1, scope); // ScopeSpans.scope
      w.append(spans.bytes());
      w.end(scopeSpans);
    }
    w.end(resourceSpans);
    // A buffer of its own per batch in flight: the delegate may resend these bytes until it reports the export's result.
    return { bytes: w.bytes(), count, buffer: w.buf };
  }

  private exported(batch: EncodedBatch, result: ExportResult): void {
    const count = batch.count;
    this.queued -= count;
    if (this.spareBuffers.length < this.maxSpareBuffers) this.spareBuffers.push(batch.buffer);
    if (result.code === ExportResultCode.SUCCESS) this.processed.add(count, this.attributes);
    else {
      this.processed.add(count, { ...this.attributes, 'error.type': result.error?.name ?? 'export_failed' });
      diag.warn(`@mirador/agent: ${count} spans not exported: ${String(result.error)}`);
    }
  }

  async forceFlush(): Promise<void> {
    await this.resource?.waitForAsyncAttributes?.();
    this.flushBatch();
    await this.delegate.forceFlush();
  }

  async shutdown(): Promise<void> {
    if (this.stopped) return;
    await this.forceFlush();
    this.stopped = true;
    await this.delegate.shutdown();
  }
}
