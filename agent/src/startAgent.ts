import { diag, trace, type Tracer } from '@opentelemetry/api';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { AmqplibInstrumentation } from '@opentelemetry/instrumentation-amqplib';
import { ExpressInstrumentation } from '@opentelemetry/instrumentation-express';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { BatchLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace';
import { Registry, collectDefaultMetrics, type OpenMetricsContentType } from 'prom-client';
import type winston from 'winston';
import { createAgentLogger } from './logger.ts';
import { flushOnSignals } from './signals.ts';
import { RequestDurationRecorder } from './RequestDurationRecorder.ts';
import { resolveAgentOptions, type AgentOptions } from './options.ts';

/** What a service gets from the agent. */
export interface Agent {
  /** winston logger whose records carry trace_id and span_id and reach the collector. */
  logger: winston.Logger;
  /** prom-client registry for the service's own (business) metrics, default Node metrics included. */
  metrics: Registry<OpenMetricsContentType>;
  tracer: Tracer;
  /** Flushes spans and logs; safe to call twice. */
  shutdown(): Promise<void>;
}

let current: Agent | null = null;

/** The agent started in this process (by startAgent or the register entry), if any. */
export function currentAgent(): Agent | null {
  return current;
}

/**
 * Starts traces (HTTP and Express spans, W3C trace context), trace-correlated
 * logs and a metrics registry for this process. Options come from the
 * argument, then the environment, then defaults; a bad one is reported once
 * and replaced by its default, never thrown.
 */
export function startAgent(options: AgentOptions = {}): Agent {
  if (current !== null) return current;
  const resolved = resolveAgentOptions(options, process.env, (message) => process.emitWarning(`@mirador/agent: ${message}`));
  // OpenMetrics, because only it carries exemplars.
  const metrics = new Registry<OpenMetricsContentType>();
  metrics.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  collectDefaultMetrics({ register: metrics });
  const sdk = new NodeSDK({
    serviceName: resolved.serviceName,
    spanProcessors: [
      new RequestDurationRecorder(metrics),
      new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: `${resolved.collectorUrl}/v1/traces` }), scheduledDelayMillis: resolved.spanExportDelayMs }),
    ],
    logRecordProcessors: [
      new BatchLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `${resolved.collectorUrl}/v1/logs` }), scheduledDelayMillis: resolved.logExportDelayMs }),
    ],
    // Metrics are prom-client's (agent.metrics), not the SDK's.
    metricReaders: [],
    // A curated set, for start-up time and per-request cost: incoming and outgoing HTTP, fetch, Express routes, RabbitMQ, PostgreSQL.
    instrumentations: [new HttpInstrumentation(), new UndiciInstrumentation(), new ExpressInstrumentation(), new AmqplibInstrumentation(), new PgInstrumentation()],
  });
  sdk.start();
  let stopping: Promise<void> | null = null;
  const agent: Agent = {
    logger: createAgentLogger(resolved.serviceName, resolved.logLevel),
    metrics,
    tracer: trace.getTracer('@mirador/agent'),
    shutdown() {
      stopping ??= sdk.shutdown().catch((error: unknown) => diag.error('@mirador/agent: shutdown failed', error));
      return stopping;
    },
  };
  flushOnSignals(() => agent.shutdown());
  current = agent;
  return agent;
}
