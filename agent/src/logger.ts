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

/**
 * The service's logger: JSON lines on stdout carrying trace_id and span_id,
 * readable at a glance, and the same records shipped to the collector.
 */
export function createAgentLogger(serviceName: string, level: string): winston.Logger {
  return winston.createLogger({
    level,
    format: winston.format.combine(traceContext(serviceName), winston.format.timestamp(), winston.format.json()),
    transports: [new winston.transports.Console(), new OtlpTransport()],
  });
}
