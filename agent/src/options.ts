import type { Instrumentation } from '@opentelemetry/instrumentation';

/** Instrumentations a service can add to the curated default set by name (MIRADOR_INSTRUMENTATIONS). */
export const EXTRA_INSTRUMENTATIONS = ['express'] as const;
export type ExtraInstrumentation = (typeof EXTRA_INSTRUMENTATIONS)[number];

/** The OTEL_TRACES_SAMPLER values of the OpenTelemetry specification. */
export const SAMPLERS = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'] as const;
export type SamplerName = (typeof SAMPLERS)[number];

/** OTEL_EXPORTER_OTLP_PROTOCOL values the agent speaks (gRPC is not among them). */
export const PROTOCOLS = ['http/protobuf', 'http/json'] as const;
export type OtlpProtocol = (typeof PROTOCOLS)[number];
/** OTEL_LOG_LEVEL's values: how much of OpenTelemetry's and the agent's own diagnostics reach stderr. */
export const DIAG_LEVELS = ['none', 'error', 'warn', 'info', 'debug', 'verbose', 'all'] as const;
export type DiagLevelName = (typeof DIAG_LEVELS)[number];

/** What a service tells the agent; every field has an environment variable and a default. */
export interface AgentOptions {
  /** `service.name` of everything the service emits. Env: OTEL_SERVICE_NAME. */
  serviceName?: string;
  /** Base URL of the collector's OTLP/HTTP port. Env: OTEL_EXPORTER_OTLP_ENDPOINT. Default http://127.0.0.1:4318. */
  collectorUrl?: string;
  /** The collector's ingest token for this service, sent as `Authorization: Bearer` with spans, logs and metrics. Env: MIRADOR_INGEST_TOKEN. Default none. */
  ingestToken?: string;
  /** Lowest winston level the logger writes. Env: MIRADOR_LOG_LEVEL. Default info. */
  logLevel?: string;
  /** Encoding of spans and log records on the wire. Env: OTEL_EXPORTER_OTLP_PROTOCOL. Default http/protobuf, the OTLP specification's default. */
  protocol?: OtlpProtocol;
  /** How log lines look on stdout: json, pretty, or auto (pretty on a terminal, JSON otherwise). Env: MIRADOR_LOG_FORMAT. Default auto. */
  logFormat?: 'auto' | 'json' | 'pretty';
  /** Which root spans are kept. Env: OTEL_TRACES_SAMPLER. Default parentbased_always_on. */
  sampler?: SamplerName;
  /** Ratio for the traceidratio samplers, 0 to 1. Env: OTEL_TRACES_SAMPLER_ARG. Default 1. */
  samplerRatio?: number;
  /** Named instrumentations to add to the default set. Env: MIRADOR_INSTRUMENTATIONS (comma-separated). */
  extraInstrumentations?: ExtraInstrumentation[];
  /** Further OpenTelemetry instrumentation objects, enabled beside the agent's. */
  instrumentations?: Instrumentation[];
  /**
   * Spans per export request. Env: OTEL_BSP_MAX_EXPORT_BATCH_SIZE. Default 512, as in OpenTelemetry. (It was 256 while
   * a batch was serialized in one go on the service's thread, a pause that showed as +3 ms of p99 at half load; spans
   * are now encoded one by one as they end, and half as many export requests in flight leave fewer objects alive
   * through young-generation collections: 19 → 15 B a request survived them, `--trace-gc-nvp`.)
   */
  maxExportBatchSize?: number;
  /** Ended spans held for export at most; beyond, spans are dropped and counted. Env: OTEL_BSP_MAX_QUEUE_SIZE. Default 2048. */
  maxQueuedSpans?: number;
  /** Log records held for export at most; beyond, records are dropped and counted. Env: OTEL_BLRP_MAX_QUEUE_SIZE. Default 2048. */
  maxQueuedLogs?: number;
  /** Longest wait for one export to the collector, retries included. Env: OTEL_EXPORTER_OTLP_TIMEOUT. Default 10000. */
  exportTimeoutMs?: number;
  /** How often the metrics registry is pushed to the collector; 0 turns pushing off. Env: MIRADOR_METRICS_PUSH_INTERVAL. Default 15000. */
  metricsPushIntervalMs?: number;
  /** Serve the registry on http://0.0.0.0:PORT/metrics for a Prometheus that scrapes; 0 picks a free port. Env: MIRADOR_METRICS_PORT. Default off. */
  metricsPort?: number;
  /** Longest time shutdown() spends flushing. Env: MIRADOR_SHUTDOWN_TIMEOUT. Default 5000. */
  shutdownTimeoutMs?: number;
  /**
   * Record `nodejs_gc_duration_seconds`, prom-client's GC-duration histogram. Env: MIRADOR_GC_METRICS (true or false).
   * Default true. Its GC observer makes V8 keep more of each request through young-generation collections, so off
   * saves memory under load (nodeMetrics.ts has the measurements).
   */
  gcMetrics?: boolean;
}

/** Options with every default applied. */
export interface ResolvedAgentOptions {
  serviceName: string;
  collectorUrl: string;
  /** Empty when the collector asks for no token. */
  ingestToken: string;
  logLevel: string;
  logFormat: 'auto' | 'json' | 'pretty';
  protocol: OtlpProtocol;
  sampler: SamplerName;
  samplerRatio: number;
  extraInstrumentations: ExtraInstrumentation[];
  instrumentations: Instrumentation[];
  maxExportBatchSize: number;
  maxQueuedSpans: number;
  maxQueuedLogs: number;
  exportTimeoutMs: number;
  metricsPushIntervalMs: number;
  metricsPort: number | null;
  shutdownTimeoutMs: number;
  gcMetrics: boolean;
  /** OTEL_BSP_SCHEDULE_DELAY: longest wait before buffered spans are sent. */
  spanExportDelayMs: number;
  /** The agent's and OpenTelemetry's own diagnostics (export failures, retries) on stderr. Env: OTEL_LOG_LEVEL. Default none. */
  diagLevel: DiagLevelName;
  /** OTEL_BLRP_SCHEDULE_DELAY: longest wait before buffered log records are sent. */
  logExportDelayMs: number;
}

/** The collector's OTLP/HTTP address on the same machine. */
export const DEFAULT_COLLECTOR_URL = 'http://127.0.0.1:4318';
const LOG_LEVELS = ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'];

/** A parser turns an option's text or value into its value, or says what it expected. */
type Parse<T> = (raw: unknown) => T | { expected: string };

/** The longest delay Node's timers take (2^31 − 1 ms, about 24.8 days); a longer one fires at once. Millisecond options are timer delays. */
const MAX_TIMER_MS = 2 ** 31 - 1;

const wholeNumber =
  (min: number, max = Number.MAX_SAFE_INTEGER, unit = ''): Parse<number> =>
  (raw) => {
    const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
    return typeof n === 'number' && Number.isInteger(n) && n >= min && n <= max ? n : { expected: `a whole number${unit} from ${min}${max === Number.MAX_SAFE_INTEGER ? ' up' : ` to ${max}`}` };
  };

const oneOf =
  <T extends string>(values: readonly T[]): Parse<T> =>
  (raw) =>
    typeof raw === 'string' && (values as readonly string[]).includes(raw.trim().toLowerCase()) ? (raw.trim().toLowerCase() as T) : { expected: `one of ${values.join(', ')}` };

const ratio: Parse<number> = (raw) => {
  const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
  return typeof n === 'number' && n >= 0 && n <= 1 ? n : { expected: 'a number from 0 to 1' };
};

const httpUrl: Parse<string> = (raw) =>
  typeof raw === 'string' && /^https?:\/\/[^/]+/.test(raw.trim()) ? raw.trim().replace(/\/+$/, '') : { expected: `an http(s) URL such as ${DEFAULT_COLLECTOR_URL}` };

const flag: Parse<boolean> = (raw) => {
  if (typeof raw === 'boolean') return raw;
  const word = typeof raw === 'string' ? raw.trim().toLowerCase() : '';
  return word === 'true' ? true : word === 'false' ? false : { expected: 'true or false' };
};

const text: Parse<string> = (raw) => (typeof raw === 'string' && raw.trim() !== '' ? raw.trim() : { expected: 'a non-empty string' });

const nameList: Parse<ExtraInstrumentation[]> = (raw) => {
  const names = typeof raw === 'string' ? raw.split(',').map((s) => s.trim()).filter((s) => s !== '') : raw;
  if (!Array.isArray(names) || !names.every((n) => (EXTRA_INSTRUMENTATIONS as readonly unknown[]).includes(n))) return { expected: `a list of ${EXTRA_INSTRUMENTATIONS.join(', ')}` };
  return names as ExtraInstrumentation[];
};

/** One row per option: its key, its environment variable, its parser and its default. */
interface OptionRow<K extends keyof ResolvedAgentOptions> {
  key: K;
  /** Option key in AgentOptions, when it has one. */
  option?: keyof AgentOptions;
  env?: string;
  parse: Parse<ResolvedAgentOptions[K]>;
  fallback: ResolvedAgentOptions[K];
}

const row = <K extends keyof ResolvedAgentOptions>(r: OptionRow<K>) => r;

const ROWS = [
  row({ key: 'serviceName', option: 'serviceName', env: 'OTEL_SERVICE_NAME', parse: text, fallback: 'unknown_service:node' }),
  row({ key: 'collectorUrl', option: 'collectorUrl', env: 'OTEL_EXPORTER_OTLP_ENDPOINT', parse: httpUrl, fallback: DEFAULT_COLLECTOR_URL }),
  row({ key: 'ingestToken', option: 'ingestToken', env: 'MIRADOR_INGEST_TOKEN', parse: text, fallback: '' }),
  row({ key: 'logLevel', option: 'logLevel', env: 'MIRADOR_LOG_LEVEL', parse: oneOf(LOG_LEVELS), fallback: 'info' }),
  row({ key: 'logFormat', option: 'logFormat', env: 'MIRADOR_LOG_FORMAT', parse: oneOf(['auto', 'json', 'pretty'] as const), fallback: 'auto' }),
  row({ key: 'protocol', option: 'protocol', env: 'OTEL_EXPORTER_OTLP_PROTOCOL', parse: oneOf(PROTOCOLS), fallback: 'http/protobuf' }),
  row({ key: 'sampler', option: 'sampler', env: 'OTEL_TRACES_SAMPLER', parse: oneOf(SAMPLERS), fallback: 'parentbased_always_on' }),
  row({ key: 'samplerRatio', option: 'samplerRatio', env: 'OTEL_TRACES_SAMPLER_ARG', parse: ratio, fallback: 1 }),
  row({ key: 'extraInstrumentations', option: 'extraInstrumentations', env: 'MIRADOR_INSTRUMENTATIONS', parse: nameList, fallback: [] }),
  row({ key: 'maxExportBatchSize', option: 'maxExportBatchSize', env: 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE', parse: wholeNumber(1), fallback: 512 }),
  row({ key: 'maxQueuedSpans', option: 'maxQueuedSpans', env: 'OTEL_BSP_MAX_QUEUE_SIZE', parse: wholeNumber(1), fallback: 2048 }),
  row({ key: 'maxQueuedLogs', option: 'maxQueuedLogs', env: 'OTEL_BLRP_MAX_QUEUE_SIZE', parse: wholeNumber(1), fallback: 2048 }),
  row({ key: 'exportTimeoutMs', option: 'exportTimeoutMs', env: 'OTEL_EXPORTER_OTLP_TIMEOUT', parse: wholeNumber(1, MAX_TIMER_MS, ' of milliseconds'), fallback: 10_000 }),
  row({ key: 'metricsPushIntervalMs', option: 'metricsPushIntervalMs', env: 'MIRADOR_METRICS_PUSH_INTERVAL', parse: wholeNumber(0, MAX_TIMER_MS, ' of milliseconds'), fallback: 15_000 }),
  row({ key: 'metricsPort', option: 'metricsPort', env: 'MIRADOR_METRICS_PORT', parse: wholeNumber(0, 65535) as Parse<number | null>, fallback: null }),
  row({ key: 'shutdownTimeoutMs', option: 'shutdownTimeoutMs', env: 'MIRADOR_SHUTDOWN_TIMEOUT', parse: wholeNumber(1, MAX_TIMER_MS, ' of milliseconds'), fallback: 5000 }),
  row({ key: 'gcMetrics', option: 'gcMetrics', env: 'MIRADOR_GC_METRICS', parse: flag, fallback: true }),
  // The OpenTelemetry defaults: spans every 5 s, log records every second.
  row({ key: 'spanExportDelayMs', env: 'OTEL_BSP_SCHEDULE_DELAY', parse: wholeNumber(0, MAX_TIMER_MS, ' of milliseconds'), fallback: 5000 }),
  // Off unless asked for, as in OpenTelemetry JS: a collector outage would otherwise write a line per failed batch.
  row({ key: 'diagLevel', env: 'OTEL_LOG_LEVEL', parse: oneOf(DIAG_LEVELS), fallback: 'none' }),
  row({ key: 'logExportDelayMs', env: 'OTEL_BLRP_SCHEDULE_DELAY', parse: wholeNumber(0, MAX_TIMER_MS, ' of milliseconds'), fallback: 1000 }),
];

/** Every MIRADOR_* variable the agent reads; any other is reported as unknown. */
export const MIRADOR_VARIABLES = ROWS.map((r) => r.env).filter((e): e is string => e?.startsWith('MIRADOR_') === true);

/**
 * Applies options, then environment, then defaults. A malformed value or an
 * unknown option is reported through `warn` with what was expected, and the
 * default used: the agent never stops a service from starting.
 */
export function resolveAgentOptions(options: AgentOptions, env: Readonly<Record<string, string | undefined>>, warn: (message: string) => void): ResolvedAgentOptions {
  const known = new Set<string>(ROWS.map((r) => r.option).filter((o) => o !== undefined));
  known.add('instrumentations');
  for (const key of Object.keys(options)) if (!known.has(key)) warn(`unknown option ${JSON.stringify(key)}; expected one of ${[...known].join(', ')}`);
  for (const name of Object.keys(env)) {
    if (name.startsWith('MIRADOR_') && !MIRADOR_VARIABLES.includes(name)) warn(`unknown environment variable ${name}; the agent reads ${MIRADOR_VARIABLES.join(', ')}`);
  }
  const resolved: Record<string, unknown> = { instrumentations: Array.isArray(options.instrumentations) ? options.instrumentations : [] };
  for (const r of ROWS) {
    const fromOption = r.option === undefined ? undefined : options[r.option];
    const fromEnv = r.env === undefined || env[r.env] === '' ? undefined : env[r.env];
    const raw = fromOption ?? fromEnv;
    if (raw === undefined) {
      resolved[r.key] = r.fallback;
      continue;
    }
    const value = (r.parse as Parse<unknown>)(raw);
    if (value !== null && typeof value === 'object' && 'expected' in value) {
      const where = [r.option, r.env].filter((x) => x !== undefined).join(' / ');
      warn(`${where}: expected ${value.expected}, got ${JSON.stringify(raw)}; using ${JSON.stringify(r.fallback)}`);
      resolved[r.key] = r.fallback;
    } else {
      resolved[r.key] = value;
    }
  }
  return resolved as unknown as ResolvedAgentOptions;
}
