import { describe, expect, it } from 'vitest';
import { DEFAULT_COLLECTOR_URL, resolveAgentOptions, type AgentOptions } from '../src/options.ts';

function resolve(options: AgentOptions, env: Record<string, string> = {}) {
  const warnings: string[] = [];
  return { resolved: resolveAgentOptions(options, env, (m) => warnings.push(m)), warnings };
}

describe('resolveAgentOptions', () => {
  it('takes options first, then the standard environment variables, then defaults', () => {
    expect(resolve({ serviceName: 'a' }, { OTEL_SERVICE_NAME: 'b' }).resolved.serviceName).toBe('a');
    expect(resolve({}, { OTEL_SERVICE_NAME: 'b', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).resolved).toMatchObject({ serviceName: 'b', collectorUrl: 'http://collector:4318' });
    const { resolved, warnings } = resolve({});
    expect(warnings).toEqual([]);
    expect(resolved).toEqual({
      serviceName: 'unknown_service:node',
      collectorUrl: DEFAULT_COLLECTOR_URL,
      ingestToken: '',
      logLevel: 'info',
      logFormat: 'auto',
      protocol: 'http/protobuf',
      sampler: 'parentbased_always_on',
      samplerRatio: 1,
      extraInstrumentations: [],
      instrumentations: [],
      maxExportBatchSize: 512,
      maxQueuedSpans: 2048,
      maxQueuedLogs: 2048,
      exportTimeoutMs: 10_000,
      metricsPushIntervalMs: 15_000,
      metricsPort: null,
      shutdownTimeoutMs: 5000,
      gcMetrics: true,
      spanExportDelayMs: 5000,
      logExportDelayMs: 1000,
      diagLevel: 'none',
    });
  });

  it('reads the OpenTelemetry sampler variables and the MIRADOR_* ones', () => {
    const { resolved, warnings } = resolve(
      {},
      {
        OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
        OTEL_TRACES_SAMPLER_ARG: '0.25',
        MIRADOR_INSTRUMENTATIONS: 'express',
        MIRADOR_METRICS_PUSH_INTERVAL: '0',
        MIRADOR_METRICS_PORT: '9464',
        OTEL_BSP_MAX_QUEUE_SIZE: '100',
      },
    );
    expect(warnings).toEqual([]);
    expect(resolved).toMatchObject({ sampler: 'parentbased_traceidratio', samplerRatio: 0.25, extraInstrumentations: ['express'], metricsPushIntervalMs: 0, metricsPort: 9464, maxQueuedSpans: 100 });
  });

  it.each([
    [{ collectorUrl: 'collector:4318' }, {}, 'collectorUrl / OTEL_EXPORTER_OTLP_ENDPOINT: expected an http(s) URL such as http://127.0.0.1:4318, got "collector:4318"; using "http://127.0.0.1:4318"'],
    [{ logLevel: 'loud' }, {}, 'logLevel / MIRADOR_LOG_LEVEL: expected one of error, warn, info, http, verbose, debug, silly, got "loud"; using "info"'],
    [{}, { OTEL_BSP_SCHEDULE_DELAY: 'soon' }, 'OTEL_BSP_SCHEDULE_DELAY: expected a whole number of milliseconds from 0 to 2147483647, got "soon"; using 5000'],
    // Beyond 2^31 - 1 ms Node's timers fire at once: a timeout that long would fail every export immediately.
    [{}, { OTEL_EXPORTER_OTLP_TIMEOUT: '3000000000' }, 'exportTimeoutMs / OTEL_EXPORTER_OTLP_TIMEOUT: expected a whole number of milliseconds from 1 to 2147483647, got "3000000000"; using 10000'],
    [{}, { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, 'protocol / OTEL_EXPORTER_OTLP_PROTOCOL: expected one of http/protobuf, http/json, got "grpc"; using "http/protobuf"'],
    [{}, { OTEL_TRACES_SAMPLER: 'sometimes' }, 'sampler / OTEL_TRACES_SAMPLER: expected one of always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio, got "sometimes"; using "parentbased_always_on"'],
    [{}, { OTEL_TRACES_SAMPLER_ARG: '2' }, 'samplerRatio / OTEL_TRACES_SAMPLER_ARG: expected a number from 0 to 1, got "2"; using 1'],
    [{}, { OTEL_LOG_LEVEL: 'loud' }, 'OTEL_LOG_LEVEL: expected one of none, error, warn, info, debug, verbose, all, got "loud"; using "none"'],
    [{}, { MIRADOR_INSTRUMENTATIONS: 'express,fs' }, 'extraInstrumentations / MIRADOR_INSTRUMENTATIONS: expected a list of express, got "express,fs"; using []'],
    [{}, { MIRADOR_GC_METRICS: 'no' }, 'gcMetrics / MIRADOR_GC_METRICS: expected true or false, got "no"; using true'],
    [{}, { MIRADOR_METRICS_PORT: '70000' }, 'metricsPort / MIRADOR_METRICS_PORT: expected a whole number from 0 to 65535, got "70000"; using null'],
    [{}, { MIRADOR_METRIC_PORT: '9464' }, 'unknown environment variable MIRADOR_METRIC_PORT; the agent reads MIRADOR_INGEST_TOKEN, MIRADOR_LOG_LEVEL, MIRADOR_LOG_FORMAT, MIRADOR_INSTRUMENTATIONS, MIRADOR_METRICS_PUSH_INTERVAL, MIRADOR_METRICS_PORT, MIRADOR_SHUTDOWN_TIMEOUT, MIRADOR_GC_METRICS'],
    [{ servicename: 'x' } as AgentOptions, {}, 'unknown option "servicename"; expected one of serviceName, collectorUrl, ingestToken, logLevel, logFormat, protocol, sampler, samplerRatio, extraInstrumentations, maxExportBatchSize, maxQueuedSpans, maxQueuedLogs, exportTimeoutMs, metricsPushIntervalMs, metricsPort, shutdownTimeoutMs, gcMetrics, instrumentations'],
  ])('reports a malformed or unknown option once, saying what was expected, and uses its default (%j %j)', (options, env, warning) => {
    const { warnings } = resolve(options, env);
    expect(warnings).toEqual([warning]);
  });
});
