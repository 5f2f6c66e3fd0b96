/**
 * Index templates for the daily indices, installed before the first write
 * (replacing an older version of ours). Every template maps only the fields
 * the stores query and sets `dynamic: false`: anything else, the ECS
 * `labels.*` of span and log attributes included, stays in `_source`
 * unindexed (Discover shows it), so arbitrary attribute keys never add
 * mapping entries. Tag search goes through the trace summaries' `tags`
 * keywords instead. The same templates serve both engines: a type for
 * arbitrary keys exists in each (`flattened`, `flat_object`) but not in both.
 */
import type { IndexNames } from './documents.ts';

const keyword = { type: 'keyword' } as const;
const long = { type: 'long' } as const;
const stored = { type: 'text', index: false } as const;

/** The settings every index of ours shares. */
export interface TemplateSettings {
  shards: number;
  replicas: number;
}

/** Template name → body, for every kind of index. */
export function indexTemplates(names: IndexNames, settings: TemplateSettings): Record<string, Record<string, unknown>> {
  const index = { number_of_shards: settings.shards, number_of_replicas: settings.replicas, refresh_interval: '1s' };
  const template = (pattern: string, properties: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    index_patterns: [pattern],
    priority: 200,
    _meta: { managed_by: 'mirador', version: TEMPLATE_VERSION },
    template: { settings: { index: { ...index, ...extra } }, mappings: { dynamic: false, properties } },
  });
  return {
    [`${names.prefix}-spans`]: template(names.all('spans'), {
      '@timestamp': { type: 'date_nanos' },
      trace: { properties: { id: keyword } },
      span: { properties: { id: keyword, name: keyword, kind: keyword } },
      parent: { properties: { id: keyword } },
      service: { properties: { name: keyword } },
      event: { properties: { duration: long, outcome: keyword } },
      mirador: { properties: { start: long, record: stored } },
    }),
    [`${names.prefix}-logs`]: template(names.all('logs'), {
      '@timestamp': { type: 'date_nanos' },
      // `message.lower` answers case-insensitive substring searches (a wildcard query on lower-cased text).
      message: { type: 'text', fields: { lower: { type: 'keyword', normalizer: 'mirador_lowercase', ignore_above: 8191 } } },
      log: { properties: { level: keyword } },
      service: { properties: { name: keyword } },
      trace: { properties: { id: keyword } },
      span: { properties: { id: keyword } },
      mirador: { properties: { time: long, id: keyword, severity: { type: 'integer' }, severity_text: keyword, record: stored } },
    }, { analysis: { normalizer: { mirador_lowercase: { type: 'custom', filter: ['lowercase'] } } } }),
    [`${names.prefix}-traces`]: template(names.all('traces'), {
      '@timestamp': { type: 'date_nanos' },
      trace: { properties: { id: keyword } },
      start: long,
      end: long,
      duration: long,
      error: { type: 'boolean' },
      services: keyword,
      span_count: { type: 'integer' },
      root: { properties: { service: keyword, name: keyword, duration: long } },
      spans: {
        type: 'nested',
        properties: { id: keyword, service: keyword, name: keyword, kind: { type: 'byte' }, status: { type: 'byte' }, error: { type: 'boolean' }, start: long, duration: long, tags: keyword },
      },
      calls: { type: 'nested', properties: { parent: keyword, child: keyword, start: long, parent_start: long } },
    }, { mapping: { nested_objects: { limit: MAX_SUMMARY_SPANS * 2 } } }),
    // The alerting lease and the alert state replicas share: one index, not daily.
    [`${names.prefix}-alerting`]: template(names.alerting(), {
      holder: keyword,
      expires: long,
      renewed: long,
      state: stored,
      saved_at: long,
      version: long,
      files: stored,
    }),
    [`${names.prefix}-alerthistory`]: template(names.all('alerthistory'), {
      '@timestamp': { type: 'date' },
      time_ms: long,
      kind: keyword,
      group: keyword,
      rule: keyword,
      entry: stored,
    }),
    [`${names.prefix}-operations`]: template(names.all('operations'), {
      service: { properties: { name: keyword } },
      span: { properties: { name: keyword, kind: { type: 'byte' } } },
    }),
  };
}

/** Bumped when a mapping changes, so a newer collector replaces the templates. */
const TEMPLATE_VERSION = 1;

/** Spans a trace summary holds at most (nested documents cost the engine; a trace beyond it is still stored whole in the span index). */
export const MAX_SUMMARY_SPANS = 20_000;
