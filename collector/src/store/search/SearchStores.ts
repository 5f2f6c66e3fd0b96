import path from 'node:path';
import type { CollectorConfig } from '../../config/config.ts';
import type { SelfMetrics } from '../../telemetry/SelfMetrics.ts';
import type { CollectorLog } from '../../telemetry/log.ts';
import type { ReplicaCoordination } from '../types.ts';
import { BulkSpool } from './BulkSpool.ts';
import { SearchAlertHistory, SearchAlertStateStore, SearchLease, SearchSharedRules } from './SearchCoordination.ts';
import { IndexNames } from './documents.ts';
import { indexTemplates } from './indexTemplates.ts';
import { connectSearchEngine, type SearchConnection } from './SearchEngine.ts';
import { SearchLogStore } from './SearchLogStore.ts';
import { SearchSpanStore } from './SearchSpanStore.ts';

/** How long closing waits for the spool to reach the cluster before leaving the rest on disk for the next start. */
const CLOSE_DRAIN_MS = 10_000;

/** The span and log stores on Elasticsearch or OpenSearch, sharing one engine client and one spool. */
export interface SearchStores {
  spans: SearchSpanStore;
  logs: SearchLogStore;
  description: string;
  /** The alerting lease and shared alert state, in the same cluster. */
  coordination: ReplicaCoordination;
  /** Waits until everything accepted so far is indexed and searchable. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Connects to the cluster of `storage.backend` and opens the spool in
 * `DATA_DIR/search-spool/`. The collector starts even when the cluster is
 * away: data is spooled, and the index templates are installed before the
 * first write reaches it.
 */
export async function openSearchStores(
  config: CollectorConfig,
  metrics: SelfMetrics,
  log: CollectorLog,
  transport?: SearchConnection['elasticTransport'],
): Promise<SearchStores> {
  const flavor = config.storage.backend === 'elasticsearch' ? 'elasticsearch' : 'opensearch';
  const engine = connectSearchEngine({
    flavor,
    nodes: config.storage.searchUrls,
    ...(config.storage.searchUsername !== '' && { username: config.storage.searchUsername, password: config.storage.searchPassword }),
    ...(config.storage.searchApiKey !== '' && { apiKey: config.storage.searchApiKey }),
    requestTimeoutMs: config.query.timeoutMs,
    ...(transport && { elasticTransport: transport }),
  });
  const names = new IndexNames(config.storage.indexPrefix);
  const templates = indexTemplates(names, { shards: 1, replicas: config.storage.indexReplicas });
  // Templates go in before anything is written; a failure is tried again by the next caller.
  let installed: Promise<void> | null = null;
  const ready = () => {
    installed ??= (async () => {
      for (const [name, body] of Object.entries(templates)) await engine.putIndexTemplate(name, body);
    })().catch((error: unknown) => {
      installed = null;
      throw error;
    });
    return installed;
  };
  const spool = await BulkSpool.open(
    engine,
    { dir: path.join(config.dataDir, 'search-spool'), maxBytes: config.storage.spoolBytes, prepare: ready },
    {
      indexed: (n) => metrics.searchIndexed.inc(n),
      retried: (error) => {
        metrics.searchRetries.inc();
        log.debug('the search cluster did not take a batch; retrying', { error });
      },
      rejected: (d) => {
        metrics.searchRejected.inc({ status: String(d.status) });
        log.error('the search cluster refused a document; it is dropped', { index: d.index, id: d.id, status: d.status, reason: d.reason });
      },
      pending: (bytes) => metrics.searchSpoolBytes.set(bytes),
    },
  );
  return {
    spans: new SearchSpanStore(engine, spool, names),
    logs: new SearchLogStore(engine, spool, names),
    description: `${flavor} ${config.storage.searchUrls.join(',')} (indices ${names.prefix}-*)`,
    coordination: {
      alertingLease: new SearchLease(engine, names.alerting(), 'alerting', ready),
      alertState: new SearchAlertStateStore(engine, names.alerting(), ready),
      ruleEdits: new SearchSharedRules(engine, names.alerting(), ready),
      alertHistory: new SearchAlertHistory(engine, spool, names),
    },
    async flush() {
      await spool.drained();
      await engine.refresh(`${names.prefix}-*`);
    },
    async close() {
      await spool.close(CLOSE_DRAIN_MS);
      await engine.close();
    },
  };
}
