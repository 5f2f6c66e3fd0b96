import type { Labels, MetricMetadata, MetricSample, MetricType } from '../../model/metric.ts';
import type { LabelMatcher, MetricStore, SeriesExemplars, SeriesSamples } from '../types.ts';
import { PrometheusApiClient, selectorText } from './PrometheusApiClient.ts';
import type { RemoteWriteQueue } from './RemoteWriteQueue.ts';

/**
 * Metrics kept in a Prometheus-compatible store: written by remote write
 * through the on-disk queue, read through the store's HTTP API. The
 * collector's PromQL API is proxied to that store as a whole (see
 * api/prometheusProxy.ts); these reads serve the rest of the collector.
 * Retention is the store's own, and the series limits count only series
 * seen since the collector started.
 */
export class PrometheusMetricStore implements MetricStore {
  readonly queue: RemoteWriteQueue;
  private readonly api: PrometheusApiClient;

  constructor(queue: RemoteWriteQueue, api: PrometheusApiClient) {
    this.queue = queue;
    this.api = api;
  }

  appendSamples(samples: readonly MetricSample[], metadata: readonly MetricMetadata[] = []): Promise<void> {
    return this.queue.append(samples, metadata);
  }

  /** The raw samples of a range-vector selector evaluated at endMs (`{...}[range]`). */
  async selectSeries(matchers: readonly LabelMatcher[], startMs: number, endMs: number): Promise<SeriesSamples[]> {
    const range = Math.max(1, Math.round(endMs - startMs));
    const data = await this.api.call<{ result: Array<{ metric: Labels; values: Array<[number, string]> }> }>('/api/v1/query', [
      ['query', `${selectorText(matchers)}[${range}ms]`],
      ['time', String(endMs / 1000)],
    ]);
    return data.result.map((r) => ({ labels: r.metric, timestampsMs: r.values.map(([t]) => Math.round(t * 1000)), values: r.values.map(([, v]) => Number(v)) }));
  }

  async selectExemplars(matchers: readonly LabelMatcher[], startMs: number, endMs: number): Promise<SeriesExemplars[]> {
    const data = await this.api.call<Array<{ seriesLabels: Labels; exemplars: Array<{ labels: Labels; value: string; timestamp: number }> }>>('/api/v1/query_exemplars', [
      ['query', selectorText(matchers)],
      ['start', String(startMs / 1000)],
      ['end', String(endMs / 1000)],
    ]);
    return data.map((s) => ({ seriesLabels: s.seriesLabels, exemplars: s.exemplars.map((e) => ({ labels: e.labels, value: Number(e.value), timestampMs: Math.round(e.timestamp * 1000) })) }));
  }

  /** Series count toward the limits from the collector's start: listing a remote store's every series is no start-up task. */
  async seriesLabels(): Promise<Labels[]> {
    return [];
  }

  labelNames(matchers: readonly LabelMatcher[]): Promise<string[]> {
    return this.api.call('/api/v1/labels', matchers.length === 0 ? [] : [['match[]', selectorText(matchers)]]);
  }

  labelValues(name: string, matchers: readonly LabelMatcher[]): Promise<string[]> {
    return this.api.call(`/api/v1/label/${encodeURIComponent(name)}/values`, matchers.length === 0 ? [] : [['match[]', selectorText(matchers)]]);
  }

  async metadata(): Promise<MetricMetadata[]> {
    const data = await this.api.call<Record<string, Array<{ type: string; help: string; unit: string }>>>('/api/v1/metadata', []);
    return Object.entries(data).map(([metric, [m]]) => ({ metric, type: (m?.type ?? 'unknown') as MetricType, help: m?.help ?? '', unit: m?.unit ?? '' }));
  }

  /** The remote store keeps its own retention. */
  async deleteBefore(): Promise<number> {
    return 0;
  }
}
