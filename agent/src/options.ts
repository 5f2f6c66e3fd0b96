/** What a service tells the agent; every field has an environment variable and a default. */
export interface AgentOptions {
  /** `service.name` of everything the service emits. Env: OTEL_SERVICE_NAME. */
  serviceName?: string;
  /** Base URL of the collector's OTLP/HTTP port. Env: OTEL_EXPORTER_OTLP_ENDPOINT. Default http://127.0.0.1:4318. */
  collectorUrl?: string;
  /** Lowest winston level the logger writes. Env: MIRADOR_LOG_LEVEL. Default info. */
  logLevel?: string;
}

/** Options with every default applied. */
export interface ResolvedAgentOptions {
  serviceName: string;
  collectorUrl: string;
  logLevel: string;
  /** OTEL_BSP_SCHEDULE_DELAY: longest wait before buffered spans are sent. */
  spanExportDelayMs: number;
  /** OTEL_BLRP_SCHEDULE_DELAY: longest wait before buffered log records are sent. */
  logExportDelayMs: number;
}

/** The collector's OTLP/HTTP address on the same machine. */
export const DEFAULT_COLLECTOR_URL = 'http://127.0.0.1:4318';
const LOG_LEVELS = ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'];

/**
 * Applies environment and defaults. A malformed value is reported through
 * `warn` with what was expected, and its default used: the agent never
 * stops a service from starting.
 */
export function resolveAgentOptions(options: AgentOptions, env: Readonly<Record<string, string | undefined>>, warn: (message: string) => void): ResolvedAgentOptions {
  const serviceName = options.serviceName ?? env.OTEL_SERVICE_NAME ?? 'unknown_service:node';
  let collectorUrl = (options.collectorUrl ?? env.OTEL_EXPORTER_OTLP_ENDPOINT ?? DEFAULT_COLLECTOR_URL).replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]+/.test(collectorUrl)) {
    warn(`collectorUrl / OTEL_EXPORTER_OTLP_ENDPOINT: expected an http(s) URL such as ${DEFAULT_COLLECTOR_URL}, got ${JSON.stringify(collectorUrl)}; using ${DEFAULT_COLLECTOR_URL}`);
    collectorUrl = DEFAULT_COLLECTOR_URL;
  }
  let logLevel = options.logLevel ?? env.MIRADOR_LOG_LEVEL ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) {
    warn(`logLevel / MIRADOR_LOG_LEVEL: expected one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(logLevel)}; using info`);
    logLevel = 'info';
  }
  const delay = (name: string, fallback: number) => {
    const text = env[name];
    if (text === undefined || text === '') return fallback;
    const n = Number(text);
    if (Number.isInteger(n) && n >= 0) return n;
    warn(`${name}: expected milliseconds as a whole number, got ${JSON.stringify(text)}; using ${fallback}`);
    return fallback;
  };
  // The OpenTelemetry defaults: spans every 5 s, log records every second.
  return { serviceName, collectorUrl, logLevel, spanExportDelayMs: delay('OTEL_BSP_SCHEDULE_DELAY', 5000), logExportDelayMs: delay('OTEL_BLRP_SCHEDULE_DELAY', 1000) };
}
