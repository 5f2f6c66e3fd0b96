import type { Labels, MetricSample } from '../model/metric.ts';

/** How a rule's last evaluation went, as /api/v1/rules reports it. */
export type RuleHealth = 'unknown' | 'ok' | 'err';

/** One sample of an instant query's result (a scalar comes back as one sample without labels). */
export interface InstantSample {
  labels: Labels;
  value: number;
}

/** Evaluates PromQL at one time: the embedded engine or a remote Prometheus-compatible API. */
export interface RuleQuery {
  instant(expr: string, timeMs: number): Promise<InstantSample[]>;
  /** Called before a group is evaluated at timeMs with its rules' expressions (to load what they read at once). */
  prepare?(exprs: readonly string[], timeMs: number): Promise<void>;
  /** Called with what the rules wrote, so data read earlier is read anew. */
  written?(samples: readonly MetricSample[]): void;
}

/** What every rule of a group sees when it is evaluated. */
export interface EvalContext {
  externalLabels: Labels;
  externalURL: string;
  /** The group's limit on alerts or series per rule; 0 for none. */
  limit: number;
}

/** How a rule's last evaluation went: what /api/v1/rules reports beside the rule's definition. */
export class RuleStatus {
  health: RuleHealth = 'unknown';
  lastError = '';
  lastEvaluationMs: number | null = null;
  evaluationSeconds = 0;
}
