import type { MetricSample } from '../model/metric.ts';
import { labelsKey } from '../promql/Engine.ts';
import type { RuleDefinition } from './ruleFiles.ts';
import { RuleStatus, type EvalContext, type RuleQuery } from './ruleTypes.ts';

/** A recording rule: evaluates its expression and writes the result as a new metric (Prometheus' rules/recording.go). */
export class RecordingRule extends RuleStatus {
  readonly kind = 'record';
  readonly definition: RuleDefinition;

  constructor(definition: RuleDefinition) {
    super();
    this.definition = definition;
  }

  /** The samples to write at ts: the result named after the rule, with the rule's labels set. */
  async eval(ts: number, query: RuleQuery, context: EvalContext): Promise<{ samples: MetricSample[] }> {
    const result = await query.instant(this.definition.expr, ts);
    const seen = new Set<string>();
    const samples: MetricSample[] = [];
    for (const s of result) {
      const labels = { ...s.labels, ...this.definition.labels, __name__: this.definition.name };
      const key = labelsKey(labels);
      if (seen.has(key)) throw new Error('vector contains metrics with the same labelset after applying rule labels');
      seen.add(key);
      samples.push({ labels, timestampMs: ts, value: s.value });
    }
    if (context.limit > 0 && samples.length > context.limit) throw new Error(`exceeded limit of ${context.limit} with ${samples.length} series`);
    return { samples };
  }
}
