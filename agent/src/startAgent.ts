import { DiagConsoleLogger, DiagLogLevel, diag, trace, type Tracer } from '@opentelemetry/api';
import { registerInstrumentations, type Instrumentation } from '@opentelemetry/instrumentation';
import { Registry, type OpenMetricsContentType } from 'prom-client';
import type winston from 'winston';
import { traceHttpServers } from './httpServerSpans.ts';
import { defaultInstrumentations, extraInstrumentation } from './instrumentations.ts';
import { createAgentLogger } from './logger.ts';
import { MetricsPusher, pushPath, serveMetrics } from './metricsPush.ts';
import { collectNodeMetrics } from './nodeMetrics.ts';
import { resolveAgentOptions, type AgentOptions, type ResolvedAgentOptions } from './options.ts';
import { RequestDurationHistogram } from './requestDuration.ts';
import { AGENT_SCOPE, authorizationHeader, startSdk } from './sdk.ts';
import { promMeterProvider } from './selfMetrics.ts';
import { flushOnSignals } from './signals.ts';

/** What a service gets from the agent. */
export interface Agent {
  /** winston logger whose records carry trace_id and span_id and reach the collector (made, and winston loaded, at first read). */
  readonly logger: winston.Logger;
  /** prom-client registry for the service's own (business) metrics, default Node metrics included; pushed to the collector. */
  metrics: Registry<OpenMetricsContentType>;
  tracer: Tracer;
  /** The options in effect, defaults and environment applied. */
  options: ResolvedAgentOptions;
  /** Pushes the metrics registry to the collector now (it is also pushed on an interval). */
  pushMetrics(): Promise<void>;
  /** Flushes spans, logs and metrics within the shutdown timeout and stops; safe to call twice. */
  shutdown(): Promise<void>;
}

let current: Agent | null = null;
let instrumentations: Instrumentation[] = [];

/** The instrumentations the agent enabled (for the register entry's loader hook). */
export function enabledInstrumentations(): readonly Instrumentation[] {
  return instrumentations;
}

/** The agent started in this process (by startAgent or the register entry), if any. */
export function currentAgent(): Agent | null {
  return current;
}

/**
 * Starts traces (HTTP server and client, fetch, RabbitMQ and PostgreSQL spans,
 * W3C trace context), trace-correlated logs and a pushed metrics registry for
 * this process. Options come from the argument, then the environment, then
 * defaults; a bad one is reported once and replaced by its default, never
 * thrown. A second call returns the agent already started.
 */
export function startAgent(options: AgentOptions = {}): Agent {
  if (current !== null) return current;
  const resolved = resolveAgentOptions(options, process.env, (message) => process.emitWarning(`@mirador/agent: ${message}`));
  if (resolved.diagLevel !== 'none') diag.setLogger(new DiagConsoleLogger(), { logLevel: DiagLogLevel[resolved.diagLevel.toUpperCase() as Uppercase<typeof resolved.diagLevel>], suppressOverrideMessage: true });
  // OpenMetrics, because only it carries exemplars.
  const metrics = new Registry<OpenMetricsContentType>();
  metrics.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  collectNodeMetrics(metrics, { gc: resolved.gcMetrics });
  const sdk = startSdk(resolved, promMeterProvider(metrics));
  const tracer = trace.getTracer(AGENT_SCOPE);
  const untraceServers = traceHttpServers(sdk.serverSpans, new RequestDurationHistogram(metrics).record);
  instrumentations = [...defaultInstrumentations(), ...resolved.extraInstrumentations.map(extraInstrumentation), ...resolved.instrumentations];
  const unregister = registerInstrumentations({ tracerProvider: sdk.tracerProvider, instrumentations });
  const pusher = new MetricsPusher(metrics, `${resolved.collectorUrl}${pushPath(resolved.serviceName)}`, resolved.metricsPushIntervalMs, resolved.exportTimeoutMs, authorizationHeader(resolved.ingestToken));
  pusher.start();
  const metricsServer = resolved.metricsPort === null ? null : serveMetrics(metrics, resolved.metricsPort).catch((error: unknown) => {
    process.emitWarning(`@mirador/agent: cannot serve /metrics on port ${resolved.metricsPort}: ${String(error)}`);
    return null;
  });

  let stopping: Promise<void> | null = null;
  const stop = async () => {
    pusher.stop();
    untraceServers();
    unregister();
    // Spans and logs first, so the last push counts what they exported.
    await sdk.shutdown();
    await pusher.push();
    (await metricsServer)?.close();
  };
  let logger: winston.Logger | undefined;
  const agent: Agent = {
    // Made at first use: a service started zero-code never asks for it, and so never loads winston.
    get logger() {
      logger ??= createAgentLogger(resolved.serviceName, resolved.logLevel, resolved.logFormat === 'auto' ? (process.stdout.isTTY ? 'pretty' : 'json') : resolved.logFormat);
      return logger;
    },
    metrics,
    tracer,
    options: resolved,
    pushMetrics: () => pusher.push(),
    shutdown() {
      stopping ??= new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          diag.warn(`@mirador/agent: shutdown took longer than ${resolved.shutdownTimeoutMs} ms; what was not flushed is dropped`);
          resolve();
        }, resolved.shutdownTimeoutMs);
        timer.unref();
        stop().then(
          () => resolve(),
          (error: unknown) => {
            diag.error('@mirador/agent: shutdown failed', error);
            resolve();
          },
        ).finally(() => clearTimeout(timer));
      });
      return stopping;
    },
  };
  flushOnSignals(() => agent.shutdown());
  current = agent;
  return agent;
}
