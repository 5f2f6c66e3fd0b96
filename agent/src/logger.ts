import { context, logs, trace, type Context } from '@opentelemetry/api';
import winston from 'winston';
import Transport from 'winston-transport';

/** Where the trace context of a log call travels through winston's asynchronous pipeline. */
const CONTEXT = Symbol('mirador.context');

/** OTel severity numbers of winston's npm levels. */
const SEVERITY: Record<string, number> = { error: 17, warn: 13, info: 9, http: 9, verbose: 5, debug: 5, silly: 1 };

/** Adds trace_id, span_id and the service name to every record made inside a span, and keeps the context for shipping. */
function traceContext(serviceName: string) {
  return winston.format((info) => {
    const active = context.active();
    const span = trace.getSpan(active)?.spanContext();
    if (span !== undefined && trace.isSpanContextValid(span)) {
      info.trace_id = span.traceId;
      info.span_id = span.spanId;
    }
    info.service = serviceName;
    (info as Record<symbol, unknown>)[CONTEXT] = active;
    return info;
  })();
}

/** Ships every record to the collector as an OTLP log record through the OpenTelemetry logs SDK. */
class OtlpTransport extends Transport {
  private readonly otelLogger = logs.getLogger('@mirador/agent');

  override log(info: Record<string | symbol, unknown>, next: () => void): void {
    const { level, message, trace_id: _t, span_id: _s, service: _svc, timestamp: _ts, ...attributes } = info as Record<string, unknown>;
    this.otelLogger.emit({
      severityNumber: SEVERITY[String(level)] ?? 9,
      severityText: String(level).toUpperCase(),
      body: typeof message === 'string' ? message : JSON.stringify(message),
      attributes: attributes as Record<string, string | number | boolean>,
      context: info[CONTEXT] as Context | undefined,
    });
    next();
  }
}

/** One line a developer reads: time, level, message, then the fields, the trace id last. */
const pretty = winston.format.printf((info) => {
  const { level, message, timestamp, service: _service, trace_id: traceId, span_id: _span, ...fields } = info as Record<string, unknown>;
  const rest = Object.entries(fields)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  return `${String(timestamp)} ${String(level).padEnd(5)} ${String(message)}${rest === '' ? '' : ` ${rest}`}${traceId === undefined ? '' : ` trace_id=${String(traceId)}`}`;
});

/**
 * The service's logger: on stdout, JSON lines carrying trace_id, span_id and
 * the service (what log shippers read), or readable lines for a developer
 * (`pretty`, the default on a terminal); the same records are shipped to the
 * collector either way.
 */
export function createAgentLogger(serviceName: string, level: string, format: 'json' | 'pretty' = 'json'): winston.Logger {
  return winston.createLogger({
    level,
    format: winston.format.combine(traceContext(serviceName), winston.format.timestamp(), format === 'pretty' ? pretty : winston.format.json()),
    transports: [new winston.transports.Console(), new OtlpTransport()],
  });
}
