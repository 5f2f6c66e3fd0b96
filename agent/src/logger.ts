import { createRequire } from 'node:module';
import { context, logs, trace, type Context } from '@opentelemetry/api';
import type winston from 'winston';
import type TransportStream from 'winston-transport';

// winston is loaded when the first logger is made, not with the agent: a service
// started zero-code never asks for `agent.logger`, and winston with its formats
// is about 1.5 MiB of RSS in every such process (the hello app idle, one-off runs).
const require = createRequire(import.meta.url);

/** Where the trace context of a log call travels through winston's asynchronous pipeline. */
const CONTEXT = Symbol('mirador.context');

/** OTel severity numbers of winston's npm levels. */
const SEVERITY: Record<string, number> = { error: 17, warn: 13, info: 9, http: 9, verbose: 5, debug: 5, silly: 1 };

/** Adds trace_id, span_id and the service name to every record made inside a span, and keeps the context for shipping. */
function traceContext(w: typeof winston, serviceName: string) {
  return w.format((info) => {
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

interface WinstonParts {
  winston: typeof winston;
  OtlpTransport: new () => TransportStream;
  pretty: winston.Logform.Format;
}
let parts: WinstonParts | undefined;

/** winston, and the agent's transport and console format on it, loaded once. */
function winstonParts(): WinstonParts {
  if (parts !== undefined) return parts;
  const w = require('winston') as typeof winston;
  const Transport = require('winston-transport') as typeof TransportStream;

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
  const pretty = w.format.printf((info) => {
    const { level, message, timestamp, service: _service, trace_id: traceId, span_id: _span, ...fields } = info as Record<string, unknown>;
    const rest = Object.entries(fields)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    return `${String(timestamp)} ${String(level).padEnd(5)} ${String(message)}${rest === '' ? '' : ` ${rest}`}${traceId === undefined ? '' : ` trace_id=${String(traceId)}`}`;
  });

  parts = { winston: w, OtlpTransport, pretty };
  return parts;
}

/**
 * The service's logger: on stdout, JSON lines carrying trace_id, span_id and
 * the service (what log shippers read), or readable lines for a developer
 * (`pretty`, the default on a terminal); the same records are shipped to the
 * collector either way.
 */
export function createAgentLogger(serviceName: string, level: string, format: 'json' | 'pretty' = 'json'): winston.Logger {
  const { winston: w, OtlpTransport, pretty } = winstonParts();
  return w.createLogger({
    level,
    format: w.format.combine(traceContext(w, serviceName), w.format.timestamp(), format === 'pretty' ? pretty : w.format.json()),
    transports: [new w.transports.Console(), new OtlpTransport()],
  });
}
