import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import express from 'express';
import { createAlerting, type Alerting } from './alerts/startAlerting.ts';
import { alertRulesApiRouter } from './api/alertRulesApi.ts';
import { alertsApiRouter } from './api/alertsApi.ts';
import { jaegerApiRouter } from './api/jaegerApi.ts';
import { logsApiRouter } from './api/logsApi.ts';
import { prometheusApiRouter } from './api/prometheusApi.ts';
import { prometheusProxyRouter } from './api/prometheusProxy.ts';
import { dashboardDir, dashboardRouter, securityHeaders } from './api/dashboardRouter.ts';
import type { CollectorConfig } from './config/config.ts';
import { parseExposition } from './metrics/exposition.ts';
import { Ingest } from './pipeline/Ingest.ts';
import { ByteBudget } from './receive/ByteBudget.ts';
import { OtlpGrpcReceiver } from './receive/OtlpGrpcReceiver.ts';
import { otlpHttpRouter } from './receive/OtlpHttpReceiver.ts';
import { pushRouter } from './receive/PushReceiver.ts';
import { remoteWriteRouter } from './receive/RemoteWriteReceiver.ts';
import { RetentionJob } from './retention/RetentionJob.ts';
import { Redaction } from './otlp/redaction.ts';
import { readAccessFiles } from './auth/accessFiles.ts';
import { ingestAuth } from './auth/IngestTokens.ts';
import { authRouter, requireUser } from './auth/queryAuth.ts';
import { Sessions } from './auth/Users.ts';
import { openStores, type StoreDeps } from './store/openStores.ts';
import type { Stores } from './store/types.ts';
import { SelfMetrics } from './telemetry/SelfMetrics.ts';
import { createLog, type CollectorLog } from './telemetry/log.ts';

/** A running collector: its bound addresses and how to stop it. */
export interface RunningCollector {
  /** Base URL of the HTTP port, e.g. http://127.0.0.1:4318. */
  url: string;
  httpPort: number;
  /** Bound gRPC port, or -1 when gRPC is off. */
  grpcPort: number;
  stores: Stores;
  metrics: SelfMetrics;
  alerting: Alerting;
  /** Stops accepting, writes what is queued, closes the store. Safe to call twice. */
  stop(): Promise<void>;
}

/** What a collector needs besides its configuration; tests pass their own clock or log. */
export interface CollectorDeps extends StoreDeps {
  now?: () => number;
  log?: CollectorLog;
}

/** Opens the store and starts the HTTP and gRPC servers. */
export async function startCollector(config: CollectorConfig, deps: CollectorDeps = {}): Promise<RunningCollector> {
  const now = deps.now ?? Date.now;
  const log = deps.log ?? createLog(config.logLevel);
  const metrics = new SelfMetrics();
  // Read first: a tokens, users or certificate file that cannot be used stops the start before anything is opened.
  // TLS, when configured, is on the collector's port (OTLP/HTTP, API, dashboard) and on OTLP/gRPC.
  const { tokens, users, tls } = readAccessFiles(config);
  const sessions = Sessions.open(config.auth.sessionSecret, config.dataDir);
  const stores = await openStores(config, metrics, log, deps);
  const ingest = new Ingest(
    stores,
    {
      limits: {
        maxAttributes: config.limits.maxAttributes,
        maxValueBytes: config.limits.maxAttributeValueBytes,
        maxDepth: config.limits.maxAttributeDepth,
        ...((config.redaction.keys !== '' || config.redaction.values.length > 0) && { redaction: new Redaction(config.redaction) }),
      },
      batching: { maxBatchItems: config.queue.maxBatchItems, maxDelayMs: config.queue.maxDelayMs, maxQueuedItems: config.queue.maxQueuedItems },
      retentionMs: config.retentionMs,
      now,
      edgeWaitMs: config.derive.edgeWaitMs,
      seriesLimits: config.metrics,
    },
    metrics,
    log,
    await stores.metrics.seriesLabels(),
  );
  let ready = false;
  let url = '';
  let alerting: Alerting;
  try {
    alerting = await createAlerting(config, {
      ingest,
      metricStore: stores.metrics,
      metrics,
      log,
      now,
      url: () => url,
      coordination: stores.coordination,
      replicaName: config.replicaName !== '' ? config.replicaName : `${os.hostname()}-${process.pid}`,
    });
  } catch (error) {
    await ingest.close();
    await stores.close();
    throw error;
  }

  const app = express();
  app.disable('x-powered-by');
  const budget = new ByteBudget(config.limits.maxInFlightBytes, config.limits.maxRss, config.limits.maxEventLoopDelayMs);
  app.use(securityHeaders);
  if (tokens.size > 0) app.use(ingestAuth(tokens, metrics));
  app.use(authRouter(users, sessions, { now, metrics, log }));
  if (users.size > 0) app.use(requireUser(users, sessions, now));
  app.use(otlpHttpRouter(ingest, config.limits.maxBodyBytes, budget, metrics, log));
  app.use(remoteWriteRouter(ingest, config.limits.maxBodyBytes, { maxLabels: config.limits.maxAttributes, maxLabelValueBytes: config.limits.maxAttributeValueBytes }, budget, metrics, log));
  app.use(pushRouter(ingest, config.limits.maxBodyBytes, { maxLabels: config.limits.maxAttributes, maxLabelValueBytes: config.limits.maxAttributeValueBytes }, budget, metrics, log));
  app.use(jaegerApiRouter(stores.spans, { maxTraceLimit: config.query.maxTraceLimit, now, log }));
  if (config.metrics.backend === 'prometheus') app.use(prometheusProxyRouter(config.metrics.queryUrl, { timeoutMs: config.query.timeoutMs, log }));
  else app.use(prometheusApiRouter(stores.metrics, { log, now, limits: { timeoutMs: config.query.timeoutMs, maxSamples: config.query.maxSamples, lookbackMs: config.query.lookbackDeltaMs } }));
  app.use(logsApiRouter(stores.logs, { maxLogLimit: config.query.maxLogLimit, now, log }));
  app.use(alertsApiRouter(alerting.manager, alerting.editor, alerting.history, { now, log }));
  app.use(alertRulesApiRouter(alerting.manager, alerting.editor, { log }));
  app.get('/healthz', (_req, res) => res.json({ status: 'ok' }));
  app.get('/readyz', (_req, res) => (ready ? res.json({ status: 'ready' }) : res.status(503).json({ status: 'starting' })));
  app.get('/metrics', (_req, res) => {
    metrics.registry.metrics().then(
      (text) => res.type(metrics.registry.contentType).send(text),
      (error: unknown) => res.status(500).type('text/plain').send(String(error)),
    );
  });
  app.use(dashboardRouter(dashboardDir(config.dashboardDir), stores.description));
  app.use((req, res) => res.status(404).json({ error: `no route for ${req.method} ${req.path}` }));

  // Node checks request and header timeouts every connectionsCheckingInterval: often enough for the limit to hold.
  const checking = { connectionsCheckingInterval: Math.max(250, Math.min(30_000, Math.floor(config.limits.requestTimeoutMs / 4))) };
  const server = tls === null ? http.createServer(checking, app) : https.createServer({ ...checking, cert: tls.cert, key: tls.key }, app);
  server.keepAliveTimeout = 65_000;
  // A slow client (slow-loris) holds a connection at most this long for its headers, and for the whole request.
  server.headersTimeout = Math.min(config.limits.requestTimeoutMs, 60_000);
  server.requestTimeout = config.limits.requestTimeoutMs;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const httpPort = (server.address() as AddressInfo).port;

  let grpc: OtlpGrpcReceiver | null = null;
  let grpcPort = -1;
  if (config.grpcPort >= 0) {
    grpc = new OtlpGrpcReceiver(ingest, config.limits.maxBodyBytes, budget, metrics, log, tokens.size > 0 ? tokens : null);
    grpcPort = await grpc.listen(config.host, config.grpcPort, tls);
  }

  const retention = new RetentionJob(stores, config.retentionMs, metrics, log);
  retention.start(now);
  // Series deleted by retention stop counting against the limits: they are counted anew every 10 minutes.
  const resyncTimer = setInterval(() => {
    stores.metrics.seriesLabels().then((labels) => ingest.resyncSeries(labels), (error: unknown) => log.error('counting series failed', { error }));
  }, 600_000);
  resyncTimer.unref();
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  url = `${tls === null ? 'http' : 'https'}://${host}:${httpPort}`;
  // Derived metrics are written on an interval, as a Prometheus would scrape them; so are the
  // collector's own metrics (job "mirador-collector"), so rules can watch the collector too.
  const selfLabels = { job: 'mirador-collector', instance: `${host}:${httpPort}` };
  const deriveTimer = setInterval(() => {
    ingest.writeDerived().catch((error: unknown) => log.error('writing derived metrics failed', { error }));
    metrics.registry
      .metrics()
      .then((text) => ingest.pushedMetrics(parseExposition(text, 'prometheus', { maxLabels: 64, maxLabelValueBytes: 4096 }), selfLabels))
      .catch((error: unknown) => log.error("storing the collector's own metrics failed", { error }));
  }, config.derive.intervalMs);
  deriveTimer.unref();
  alerting.start();
  ready = true;

  let stopping: Promise<void> | null = null;
  return {
    url,
    httpPort,
    grpcPort,
    stores,
    metrics,
    alerting,
    stop() {
      stopping ??= (async () => {
        ready = false;
        await Promise.all([
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeIdleConnections();
          }),
          grpc?.close(),
        ]);
        clearInterval(deriveTimer);
        budget.stop();
        await alerting.stop();
        clearInterval(resyncTimer);
        await retention.stop();
        await ingest.close();
        await stores.close();
      })();
      return stopping;
    },
  };
}
