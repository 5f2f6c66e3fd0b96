import path from 'node:path';
import type { CollectorConfig } from '../config/config.ts';
import type { SelfMetrics } from '../telemetry/SelfMetrics.ts';
import type { CollectorLog } from '../telemetry/log.ts';
import { openDuckDbStores } from './duckdb/DuckDbStores.ts';
import { PrometheusApiClient } from './prometheus/PrometheusApiClient.ts';
import { PrometheusMetricStore } from './prometheus/PrometheusMetricStore.ts';
import { RemoteWriteQueue } from './prometheus/RemoteWriteQueue.ts';
import type { Stores } from './types.ts';

/**
 * The stores the configuration asks for: spans and logs in the embedded
 * DuckDB file; metrics there too, or in a Prometheus-compatible store by
 * remote write (`metrics.backend: prometheus`, buffered in
 * `DATA_DIR/remote-write/`).
 */
export async function openStores(config: CollectorConfig, metrics: SelfMetrics, log: CollectorLog): Promise<Stores> {
  const embedded = await openDuckDbStores({ dataDir: config.dataDir, memoryLimit: config.storage.memoryLimit });
  if (config.metrics.backend === 'embedded') return embedded;
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
  const store = new PrometheusMetricStore(queue, new PrometheusApiClient(config.metrics.queryUrl, config.query.timeoutMs));
  return {
    spans: embedded.spans,
    logs: embedded.logs,
    metrics: store,
    description: `${embedded.description}; metrics by remote write to ${config.metrics.remoteWriteUrl}`,
    async close() {
      await embedded.close();
      await queue.close();
    },
  };
}
