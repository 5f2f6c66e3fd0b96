export { startCollector } from './Collector.ts';
export type { CollectorDeps, RunningCollector } from './Collector.ts';
export { resolveConfig, ConfigError, helpText } from './config/config.ts';
export type { CollectorConfig, ConfigSources } from './config/config.ts';
export { main } from './cli.ts';
export type { SpanStore, LogStore, MetricStore, Stores, TraceQuery, LogQuery, LabelMatcher, SeriesSamples } from './store/types.ts';
export type { SpanRecord, SpanEvent, SpanLink } from './model/span.ts';
export type { LogRecord } from './model/log.ts';
export type { MetricSample, MetricMetadata, Labels } from './model/metric.ts';
