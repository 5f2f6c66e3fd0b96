import { context, diag, logs, propagation, trace, type MeterProvider } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator, type InstrumentationScope } from '@opentelemetry/core';
import { OTLPExporterBase } from '@opentelemetry/otlp-exporter-base';
import { convertLegacyHttpOptions } from '@opentelemetry/otlp-exporter-base/node-http';
import { JsonLogsSerializer, JsonTraceSerializer, LogsExporterMetricsHelper, ProtobufLogsSerializer, TraceExporterMetricsHelper } from '@opentelemetry/otlp-transformer';
import { detectResources, envDetector, hostDetector, processDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider, type ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { AlwaysOffSampler, AlwaysOnSampler, BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler, TracerProvider, type ReadableSpan, type Sampler, type SpanLimits } from '@opentelemetry/sdk-trace';
import { EncodingSpanProcessor } from './encodingSpanProcessor.ts';
import { socketExportDelegate } from './otlpSocketExport.ts';
import { ServerSpans } from './serverSpan.ts';
import type { ResolvedAgentOptions, SamplerName } from './options.ts';

/** The instrumentation scope of the agent's own spans (its tracer's name). */
export const AGENT_SCOPE = '@mirador/agent';

/**
 * Limits on what one span records, for the tracer provider's spans and the
 * agent's server spans alike: OpenTelemetry's defaults (128 attributes,
 * events and links a span, 128 attributes an event or link, values of any
 * length).
 */
export const SPAN_LIMITS: Required<SpanLimits> = {
  attributeCountLimit: 128,
  attributeValueLengthLimit: Infinity,
  eventCountLimit: 128,
  linkCountLimit: 128,
  attributePerEventCountLimit: 128,
  attributePerLinkCountLimit: 128,
};

/** The OpenTelemetry pieces the agent sets up, and how to flush and stop them. */
export interface Sdk {
  tracerProvider: TracerProvider;
  loggerProvider: LoggerProvider;
  /** The spans of requests served (httpServerSpans.ts), made with the tracer provider's sampler, processor and resource. */
  serverSpans: ServerSpans;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

function samplerOf(name: SamplerName, ratio: number): Sampler {
  const root = name.endsWith('always_off') ? new AlwaysOffSampler() : name.endsWith('traceidratio') ? new TraceIdRatioBasedSampler(ratio) : new AlwaysOnSampler();
  return name.startsWith('parentbased_') ? new ParentBasedSampler({ root }) : root;
}

/**
 * Tracer and logger providers with batch processors and the OTLP/HTTP
 * exporters (protobuf or JSON), the async-local-storage context manager and W3C trace-context
 * and baggage propagation, registered as the process's globals.
 *
 * These are the OpenTelemetry SDK packages the NodeSDK (`@opentelemetry/sdk-node`)
 * assembles, put together here instead of through it: importing sdk-node
 * loads every exporter it can configure (gRPC, protobuf, Zipkin, Prometheus)
 * and costs about 40 MiB of RSS and 300 ms of start-up on its own, more than
 * the whole agent's memory budget.
 */
export function startSdk(options: ResolvedAgentOptions, selfObsMeterProvider: MeterProvider): Sdk {
  const resource = resourceFromAttributes({ 'service.name': options.serviceName }).merge(detectResources({ detectors: [hostDetector, processDetector, envDetector] }));
  const exporterOptions: ExporterOptions = { timeoutMillis: options.exportTimeoutMs, selfObsMeterProvider, headers: authorizationHeader(options.ingestToken) };
  // Protobuf by default, as the OTLP specification has it: a third of JSON's bytes, and cheaper for the collector to read.
  const protobuf = options.protocol === 'http/protobuf';
  const tracesUrl = `${options.collectorUrl}/v1/traces`;
  const batching = {
    scheduledDelayMillis: options.spanExportDelayMs,
    maxQueueSize: options.maxQueuedSpans,
    maxExportBatchSize: Math.min(options.maxExportBatchSize, options.maxQueuedSpans),
  };
  const sampler = samplerOf(options.sampler, options.samplerRatio);
  const spanProcessor = protobuf
    ? // Each span encoded as it ends (encodingSpanProcessor.ts), sent over the agent's socket client (otlpSocketExport.ts).
      new EncodingSpanProcessor({ url: tracesUrl, headers: exporterOptions.headers, timeoutMillis: options.exportTimeoutMs, meterProvider: selfObsMeterProvider, ...batching })
    : new BatchSpanProcessor({ exporter: jsonTraceExporter(tracesUrl, exporterOptions), exportTimeoutMillis: options.exportTimeoutMs, selfObsMeterProvider, ...batching });
  const tracerProvider = new TracerProvider({ resource, sampler, spanProcessors: [spanProcessor], spanLimits: SPAN_LIMITS });
  // The scope of the agent's own tracer, so server spans and the spans a service makes with `agent.tracer` share one.
  const scope = (tracerProvider.getTracer(AGENT_SCOPE) as unknown as { instrumentationScope?: InstrumentationScope }).instrumentationScope ?? { name: AGENT_SCOPE };
  const serverSpans = new ServerSpans({ sampler, processor: spanProcessor, resource, scope, limits: SPAN_LIMITS });
  const loggerProvider = new LoggerProvider({
    resource,
    processors: [
      new BatchLogRecordProcessor({
        exporter: logExporter(`${options.collectorUrl}/v1/logs`, protobuf, exporterOptions),
        scheduledDelayMillis: options.logExportDelayMs,
        maxQueueSize: options.maxQueuedLogs,
        maxExportBatchSize: Math.min(512, options.maxQueuedLogs),
        exportTimeoutMillis: options.exportTimeoutMs,
        selfObsMeterProvider,
      }),
    ],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }));
  trace.setGlobalTracerProvider(tracerProvider);
  logs.setGlobalLoggerProvider(loggerProvider);
  const settle = (what: string, results: PromiseSettledResult<unknown>[]) => {
    for (const r of results) if (r.status === 'rejected') diag.warn(`@mirador/agent: ${what} failed: ${String(r.reason)}`);
  };
  return {
    tracerProvider,
    loggerProvider,
    serverSpans,
    async forceFlush() {
      settle('flush', await Promise.allSettled([tracerProvider.forceFlush(), loggerProvider.forceFlush()]));
    },
    async shutdown() {
      settle('shutdown', await Promise.allSettled([tracerProvider.shutdown(), loggerProvider.shutdown()]));
    },
  };
}

/** What the OTLP/HTTP exporters are given: the export timeout, the ingest token's header, and where their own metrics go. */
interface ExporterOptions {
  timeoutMillis: number;
  headers: Record<string, string>;
  selfObsMeterProvider: MeterProvider;
}

/*
 * The OpenTelemetry OTLP/HTTP exporters, as their packages build them
 * (OTLPExporterBase over an export delegate, configuration from options and
 * OTEL_EXPORTER_OTLP_* variables, the same component names in their own
 * metrics), sending over the agent's socket client (otlpSocketExport.ts).
 */

/** OTLP/HTTP log records, protobuf or JSON. */
function logExporter(url: string, protobuf: boolean, options: ExporterOptions): OTLPExporterBase<ReadableLogRecord[]> {
  const config = convertLegacyHttpOptions({ url, ...options }, 'LOGS', 'v1/logs', { 'Content-Type': protobuf ? 'application/x-protobuf' : 'application/json' });
  return new OTLPExporterBase(socketExportDelegate(config, protobuf ? ProtobufLogsSerializer : JsonLogsSerializer, 'otlp_http_log_exporter', LogsExporterMetricsHelper, options.selfObsMeterProvider));
}

/** OTLP/HTTP JSON spans, for OTEL_EXPORTER_OTLP_PROTOCOL=http/json (protobuf spans are encoded by EncodingSpanProcessor). */
function jsonTraceExporter(url: string, options: ExporterOptions): OTLPExporterBase<ReadableSpan[]> {
  const config = convertLegacyHttpOptions({ url, ...options }, 'TRACES', 'v1/traces', { 'Content-Type': 'application/json' });
  return new OTLPExporterBase(socketExportDelegate(config, JsonTraceSerializer, 'otlp_http_span_exporter', TraceExporterMetricsHelper, options.selfObsMeterProvider));
}

/** The header that carries the ingest token, when there is one. */
export function authorizationHeader(token: string): Record<string, string> {
  return token === '' ? {} : { authorization: `Bearer ${token}` };
}
