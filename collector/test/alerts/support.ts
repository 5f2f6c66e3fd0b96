import { STALE_NAN, type MetricSample } from '../../src/model/metric.ts';
import { EngineRuleQuery } from '../../src/alerts/ruleQueries.ts';
import { DEFAULT_QUERY_LIMITS } from '../../src/promql/Engine.ts';
import { openDuckDbStores } from '../../src/store/duckdb/DuckDbStores.ts';
import type { Stores } from '../../src/store/types.ts';
import { tempDataDir } from '../support/testCollector.ts';

/** An embedded store and the rule query over it, for rules evaluated at stepped times. */
export interface RuleBench {
  stores: Stores;
  query: EngineRuleQuery;
  /** Writes a gauge sample (null writes a stale marker: the series ends there). */
  set(labels: Record<string, string>, timeMs: number, value: number | null): Promise<void>;
  /** Everything written to the output, in order. */
  written: MetricSample[];
  output: { write(samples: MetricSample[]): Promise<void> };
  close(): Promise<void>;
}

export async function ruleBench(): Promise<RuleBench> {
  const stores = await openDuckDbStores({ dataDir: tempDataDir(), memoryLimit: '256MB' });
  const written: MetricSample[] = [];
  return {
    stores,
    query: new EngineRuleQuery(stores.metrics, DEFAULT_QUERY_LIMITS),
    set: (labels, timeMs, value) => stores.metrics.appendSamples([value === null ? { labels, timestampMs: timeMs, value: STALE_NAN, stale: true } : { labels, timestampMs: timeMs, value }]),
    written,
    output: {
      write: async (samples) => {
        written.push(...samples);
        await stores.metrics.appendSamples(samples);
      },
    },
    close: () => stores.close(),
  };
}
