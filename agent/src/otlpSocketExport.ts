import { diag, type MeterProvider } from '@opentelemetry/api';
import { OTLPExporterError, createOtlpNetworkExportDelegate, type ExportResponse, type IExporterTransport, type IOtlpExportDelegate } from '@opentelemetry/otlp-exporter-base';
import { createOtlpHttpExporterMetrics, type convertLegacyHttpOptions } from '@opentelemetry/otlp-exporter-base/node-http';
import type { IExporterMetricsHelper, ISerializer } from '@opentelemetry/otlp-transformer';
import { HttpExchangeError, agentHttpClient, retryAfterMillis, type SocketHttpClient, type TlsOptions } from './socketHttp.ts';

const { promisify } = process.getBuiltinModule('node:util');
const zlib = process.getBuiltinModule('node:zlib');
const gzip = promisify(zlib.gzip);

/** The OTLP/HTTP exporters' configuration (endpoint, headers, timeout, concurrency, compression), as OpenTelemetry resolves it from options and environment. */
export type OtlpHttpConfig = ReturnType<typeof convertLegacyHttpOptions>;

/*
 * OTLP/HTTP export over the agent's socket client (socketHttp.ts says why not
 * Node's http client), plugged into OpenTelemetry's export delegate, which
 * keeps its part: serializing, the concurrency limit, timeouts, the
 * exporter's own metrics. What OpenTelemetry's HTTP transport decides, this
 * one decides the same way, from the OTLP/HTTP specification: a 2xx is
 * success; 429, 502, 503 and 504 are retried, after Retry-After when the
 * answer has one; a refused, reset or timed-out connection is retried; every
 * other answer fails the export.
 */

const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);
const RETRYABLE_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT']);

/** Retries: at most 5 after the first attempt, from 1 s growing 1.5 times each up to 5 s, ±20% jitter, all within the export's timeout (OpenTelemetry JS's policy). */
const MAX_RETRIES = 5;
const INITIAL_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 5000;
const BACKOFF_MULTIPLIER = 1.5;
const JITTER = 0.2;

const USER_AGENT = '@mirador/agent (OTLP/HTTP)';

/** One POST of OTLP bytes to the configured endpoint, its answer as the export delegate takes it. */
export function socketTransport(config: OtlpHttpConfig, client: SocketHttpClient = agentHttpClient): IExporterTransport {
  const url = new URL(config.url);
  // Root and client certificates (OTEL_EXPORTER_OTLP_CERTIFICATE, _CLIENT_CERTIFICATE, _CLIENT_KEY) are in the https.Agent options OpenTelemetry's configuration makes.
  let tls: Promise<TlsOptions> | undefined;
  const tlsOptions = () =>
    (tls ??= Promise.resolve(config.agentFactory('https:')).then((agent) => {
      const { ca, cert, key } = (agent as { options?: TlsOptions }).options ?? {};
      return { ca, cert, key };
    }));
  return {
    async send(data: Uint8Array, timeoutMillis: number): Promise<ExportResponse> {
      const headers: Record<string, string> = { ...(await config.headers()), 'User-Agent': config.userAgent ? `${config.userAgent} ${USER_AGENT}` : USER_AGENT };
      let body = data;
      if (config.compression === 'gzip') {
        body = await gzip(data);
        headers['Content-Encoding'] = 'gzip';
      }
      try {
        const answer = await client.post(url, headers, body, timeoutMillis, url.protocol === 'https:' ? await tlsOptions() : undefined);
        if (answer.statusCode >= 200 && answer.statusCode <= 299) return { status: 'success', data: answer.body };
        if (RETRYABLE_STATUS.has(answer.statusCode)) return { status: 'retryable', retryInMillis: retryAfterMillis(answer.headers['retry-after']) };
        return { status: 'failure', error: new OTLPExporterError(answer.statusMessage, answer.statusCode, answer.body.toString()) };
      } catch (error) {
        const e = error as Error;
        return error instanceof HttpExchangeError && RETRYABLE_CODES.has(error.code) ? { status: 'retryable', error: e } : { status: 'failure', error: e };
      }
    },
    shutdown() {},
  };
}

/** Sends again what `transport` answers as retryable, backing off, until success, failure, the retries run out, or the next wait would pass the timeout. */
export function retrying(transport: IExporterTransport): IExporterTransport {
  return {
    async send(data: Uint8Array, timeoutMillis: number): Promise<ExportResponse> {
      const deadline = Date.now() + timeoutMillis;
      let backoff = INITIAL_BACKOFF_MS;
      let result = await transport.send(data, timeoutMillis);
      for (let retries = 0; result.status === 'retryable' && retries < MAX_RETRIES; retries++) {
        const jittered = Math.min(backoff * (1 + (Math.random() * 2 - 1) * JITTER), MAX_BACKOFF_MS);
        backoff *= BACKOFF_MULTIPLIER;
        const wait = result.retryInMillis ?? jittered;
        const left = deadline - Date.now();
        if (wait > left) {
          diag.info(`@mirador/agent: export retry in ${Math.round(wait)} ms would pass the timeout (${Math.round(left)} ms left); not retried`);
          return result;
        }
        await new Promise((r) => setTimeout(r, wait));
        result = await transport.send(data, deadline - Date.now());
      }
      return result;
    },
    shutdown: () => transport.shutdown(),
  };
}

/** An OpenTelemetry export delegate (for OTLPExporterBase, or a span processor's own use) sending over the agent's socket client. */
export function socketExportDelegate<Internal, Response>(
  config: OtlpHttpConfig,
  serializer: ISerializer<Internal, Response>,
  componentType: string,
  metricsHelper: IExporterMetricsHelper<Internal>,
  meterProvider: MeterProvider | undefined,
): IOtlpExportDelegate<Internal> {
  return createOtlpNetworkExportDelegate(config, serializer, createOtlpHttpExporterMetrics(componentType, metricsHelper, config.url, meterProvider), retrying(socketTransport(config)));
}
