import path from 'node:path';
import type { CollectorConfig } from '../config/config.ts';
import type { SelfMetrics } from '../telemetry/SelfMetrics.ts';
import type { CollectorLog } from '../telemetry/log.ts';
import { openDuckDbStores } from './duckdb/DuckDbStores.ts';
import { PrometheusApiClient } from './prometheus/PrometheusApiClient.ts';
import { PrometheusMetricStore } from './prometheus/PrometheusMetricStore.ts';
import { RemoteWriteQueue } from './prometheus/RemoteWriteQueue.ts';
import { openSearchStores } from './search/SearchStores.ts';
import type { SearchConnection } from './search/SearchEngine.ts';
import type { MetricStore, Stores } from './types.ts';

/** What opening the stores may take besides the configuration; tests pass their own. */
export interface StoreDeps {
  /** The Elasticsearch client's Transport (see SearchConnection.elasticTransport). */
  elasticTransport?: SearchConnection['elasticTransport'];
}

/**
 * The stores the configuration asks for. Spans and logs: the embedded DuckDB
 * file, or Elasticsearch/OpenSearch (`storage.backend`, spooled in
 * `DATA_DIR/search-spool/`). Metrics: the embedded file, or a
 * Prometheus-compatible store by remote write (`metrics.backend: prometheus`,
 * buffered in `DATA_DIR/remote-write/`). The DuckDB file is only opened when
 * something is kept in it.
 */
export async function openStores(config: CollectorConfig, metrics: SelfMetrics, log: CollectorLog, deps: StoreDeps = {}): Promise<Stores> {
  const needsEmbedded = config.storage.backend === 'embedded' || config.metrics.backend === 'embedded';
  const embedded = needsEmbedded ? await openDuckDbStores({ dataDir: config.dataDir, memoryLimit: config.storage.memoryLimit }) : null;
  const search = config.storage.backend === 'embedded' ? null : await openSearchStores(config, metrics, log, deps.elasticTransport);
  const remote = config.metrics.backend === 'prometheus' ? await openRemoteMetrics(config, metrics, log) : null;
  const spansAndLogs = search ?? embedded!;
  const metricStore: MetricStore = remote?.store ?? embedded!.metrics;
  const descriptions = [search?.description ?? embedded!.description];
  if (remote !== null) descriptions.push(`metrics by remote write to ${config.metrics.remoteWriteUrl}`);
  else if (search !== null) descriptions.push(`metrics in ${embedded!.description}`);
  return {
    spans: spansAndLogs.spans,
    logs: spansAndLogs.logs,
    metrics: metricStore,
    description: descriptions.join('; '),
    coordination: search?.coordination ?? null,
    async flush() {
      await search?.flush();
    },
    async close() {
      await search?.close();
      await remote?.queue.close();
      await embedded?.close();
    },
  };
}

async function openRemoteMetrics(config: CollectorConfig, metrics: SelfMetrics, log: CollectorLog): Promise<{ store: MetricStore; queue: RemoteWriteQueue }> {
  const queue = await RemoteWriteQueue.open(
    { url: config.metrics.remoteWriteUrl, dir: path.join(config.dataDir, 'remote-write'), shards: config.metrics.remoteWriteShards, maxBufferBytes: config.metrics.remoteWriteBufferBytes, timeoutMs: 30_000 },
    {
      sent: (shard, bytes) => metrics.remoteWriteBytes.inc({ shard: String(shard) }, bytes),
      retried: (shard, error) => {
        metrics.remoteWriteRetries.inc({ shard: String(shard) });
        log.debug('remote write failed; retrying', { shard, error });
      },
      refused: (shard, status, message) => {
        metrics.remoteWriteRefused.inc({ shard: String(shard), status: String(status) });
        log.error('the metrics backend refused a remote-write request; its samples are dropped', { shard, status, message });
      },
      pending: (bytes) => metrics.remoteWritePending.set(bytes),
    },
  );
  return { store: new PrometheusMetricStore(queue, new PrometheusApiClient(config.metrics.queryUrl, config.query.timeoutMs)), queue };
}
