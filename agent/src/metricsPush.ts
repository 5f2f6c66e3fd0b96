import type * as Http from 'node:http';
import { context, diag } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import { Counter, type Registry, type RegistryContentType } from 'prom-client';
import { UNTRACED } from './httpServerSpans.ts';
import { agentHttpClient, retryAfterMillis } from './socketHttp.ts';

const http = process.getBuiltinModule('node:http');
const os = process.getBuiltinModule('node:os');

/** What the collector answered a push: its status, and its Retry-After header when it has one. */
interface PushAnswer {
  status: number;
  retryAfter: string | undefined;
}

/**
 * POSTs `body` with the agent's socket client (socketHttp.ts: not Node's http
 * client, whose objects slow down the service's own request handling; not
 * `fetch`, whose first use loads undici's fetch and compiles its WebAssembly
 * HTTP parser, 12 MiB of RSS in a service with the agent). The whole exchange
 * is bounded by `timeoutMs`: a collector that takes the push and never
 * answers fails it.
 */
async function post(url: URL, headers: Record<string, string>, body: string, timeoutMs: number): Promise<PushAnswer> {
  const answer = await agentHttpClient.post(url, headers, body, timeoutMs);
  return { status: answer.statusCode, retryAfter: answer.headers['retry-after'] };
}

/** A registry of either exposition format. */
type AnyRegistry = Registry<RegistryContentType>;

/** Longest pause between pushes after failures, however many in a row. */
const MAX_BACKOFF_MS = 5 * 60_000;

/** The Pushgateway-style path the collector takes a registry on: job = service, instance = host:pid. */
export function pushPath(serviceName: string): string {
  return `/metrics/job/${encodeURIComponent(serviceName)}/instance/${encodeURIComponent(`${os.hostname()}:${process.pid}`)}`;
}

/**
 * Pushes the registry's OpenMetrics text (exemplars included) to the
 * collector every `intervalMs`. One push at a time; a failed push backs off
 * exponentially, and a 429 or 503 waits for its Retry-After. A lost push
 * loses nothing lasting: counters and histograms are cumulative, so the next
 * push carries it. Counted in `mirador_agent_metric_pushes_total{result}`.
 */
export class MetricsPusher {
  private readonly pushes: Counter<'result'>;
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<void> | null = null;
  private failuresInARow = 0;
  private notBefore = 0;

  private readonly registry: AnyRegistry;
  private readonly url: URL;
  private readonly intervalMs: number;
  private readonly timeoutMs: number;
  /** The ingest token's header, when the collector asks for one. */
  private readonly headers: Record<string, string>;

  constructor(registry: AnyRegistry, url: string, intervalMs: number, timeoutMs: number, headers: Record<string, string> = {}) {
    this.headers = headers;
    this.registry = registry;
    this.url = new URL(url);
    this.intervalMs = intervalMs;
    this.timeoutMs = timeoutMs;
    this.pushes = new Counter({ name: 'mirador_agent_metric_pushes_total', help: 'Pushes of this registry to the collector, by result (ok, failed, skipped while one was in flight or backing off).', labelNames: ['result'], registers: [registry] });
  }

  start(): void {
    if (this.intervalMs <= 0 || this.timer !== null) return;
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
  }

  private tick(): Promise<void> {
    if (this.inFlight !== null || Date.now() < this.notBefore) {
      this.pushes.inc({ result: 'skipped' });
      return this.inFlight ?? Promise.resolve();
    }
    return this.push();
  }

  /** Pushes now (waiting for a push already in flight first); never rejects. */
  async push(): Promise<void> {
    if (this.inFlight !== null) await this.inFlight;
    this.inFlight = context.with(suppressTracing(context.active()), () => this.send()).finally(() => (this.inFlight = null));
    return this.inFlight;
  }

  private async send(): Promise<void> {
    try {
      const body = await this.registry.metrics();
      const answer = await post(this.url, { 'content-type': this.registry.contentType, ...this.headers }, body, this.timeoutMs);
      if (answer.status < 200 || answer.status > 299) throw Object.assign(new Error(`collector answered ${answer.status}`), { retryAfter: answer.retryAfter });
      this.pushes.inc({ result: 'ok' });
      this.failuresInARow = 0;
      this.notBefore = 0;
    } catch (error) {
      this.pushes.inc({ result: 'failed' });
      this.failuresInARow++;
      const retryAfterMs = retryAfterMillis((error as { retryAfter?: string }).retryAfter);
      const backoff = retryAfterMs ?? Math.min(MAX_BACKOFF_MS, this.intervalMs * 2 ** (this.failuresInARow - 1));
      this.notBefore = Date.now() + backoff;
      diag.debug(`@mirador/agent: metrics push to ${this.url.href} failed: ${String(error)}`);
    }
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }
}

/** Serves the registry on `GET /metrics` for a Prometheus that scrapes; its requests are not traced. */
export function serveMetrics(registry: AnyRegistry, port: number): Promise<Http.Server> {
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: the agent serves GET /metrics\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (error: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`collecting metrics failed: ${String(error)}\n`),
    );
  });
  (server as unknown as Record<symbol, boolean>)[UNTRACED] = true;
  server.unref();
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => resolve(server));
  });
}
