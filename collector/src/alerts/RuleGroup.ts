import { performance } from 'node:perf_hooks';
import { STALE_NAN, type Labels, type MetricSample } from '../model/metric.ts';
import { labelsKey } from '../promql/Engine.ts';
import { AlertingRule, type Alert, type AlertTransition } from './AlertingRule.ts';
import { RecordingRule } from './RecordingRule.ts';
import type { GroupDefinition } from './ruleFiles.ts';
import type { EvalContext, RuleQuery } from './ruleTypes.ts';

/** Where rule results go: the embedded store, or a remote store by remote write. */
export interface RuleOutput {
  /** Resolves once the samples are stored (a later rule may read them). */
  write(samples: MetricSample[]): Promise<void>;
}

/** An alerting or recording rule. */
export type Rule = AlertingRule | RecordingRule;

/** What one evaluation of a group came to. */
export interface GroupEvaluation {
  /** Alerts due to be sent, with the rule that made them. */
  toSend: Array<{ rule: AlertingRule; alert: Alert }>;
  transitions: Array<{ rule: AlertingRule; transition: AlertTransition }>;
  /** Rules whose evaluation failed, with the reason. */
  failures: Array<{ rule: Rule; error: string }>;
  /** Results that could not be written (the store refused or was away); evaluation went on. */
  writeErrors: string[];
}

/** What a group needs to evaluate. */
export interface GroupDeps {
  query: RuleQuery;
  output: RuleOutput;
  externalLabels: Labels;
  externalURL: string;
  resendDelayMs: number;
}

/**
 * A rule group (Prometheus' rules/group.go): its rules evaluated in order at
 * one time, so a recording rule's result is there for the rules after it.
 * Series a rule wrote last time and not this time get a stale marker, so
 * they end at once in PromQL instead of lingering for the lookback.
 */
export class RuleGroup {
  readonly definition: GroupDefinition;
  readonly intervalMs: number;
  readonly rules: Rule[];
  lastEvaluationMs: number | null = null;
  evaluationSeconds = 0;
  private previousSeries: Array<Map<string, Labels>>;
  /** Series of rules a reload removed from this group: marked stale at the next evaluation. */
  private orphanedSeries: Labels[] = [];

  constructor(definition: GroupDefinition, defaultIntervalMs: number) {
    this.definition = definition;
    this.intervalMs = definition.intervalMs ?? defaultIntervalMs;
    this.rules = definition.rules.map((r) => (r.kind === 'alert' ? new AlertingRule(r) : new RecordingRule(r)));
    this.previousSeries = this.rules.map(() => new Map());
  }

  get name(): string {
    return this.definition.name;
  }

  /**
   * The key that carries a rule's state across reloads and restarts: group,
   * kind, name and labels (as Prometheus matches rules), and which of those it is.
   */
  ruleKeys(): string[] {
    const seen = new Map<string, number>();
    return this.rules.map((r) => {
      const base = `${this.name}\xff${r.kind}\xff${r.definition.name}\xff${labelsKey(r.definition.labels)}`;
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      return `${base}\xff${n}`;
    });
  }

  /** Evaluates every rule at ts, writes their series (and stale markers), and returns what to send and record. */
  async eval(ts: number, deps: GroupDeps): Promise<GroupEvaluation> {
    const started = performance.now();
    const context: EvalContext = { externalLabels: deps.externalLabels, externalURL: deps.externalURL, limit: this.definition.limit };
    const out: GroupEvaluation = { toSend: [], transitions: [], failures: [], writeErrors: [] };
    let pending: MetricSample[] = this.orphanedSeries.map((labels) => ({ labels, timestampMs: ts, value: STALE_NAN, stale: true as const }));
    this.orphanedSeries = [];
    // A write that fails is reported and the evaluation goes on: alerts are still sent, state still kept.
    const write = async () => {
      try {
        await deps.output.write(pending);
        deps.query.written?.(pending);
      } catch (error) {
        out.writeErrors.push((error as Error).message);
      }
      pending = [];
    };
    try {
      await deps.query.prepare?.(this.rules.map((r) => r.definition.expr), ts);
    } catch {
      // Each rule then reads for itself, and reports its own error if the store fails.
    }
    for (const [i, rule] of this.rules.entries()) {
      const ruleStarted = performance.now();
      rule.lastEvaluationMs = ts;
      let samples: MetricSample[];
      try {
        if (rule instanceof AlertingRule) {
          const result = await rule.eval(ts, deps.query, context);
          samples = result.samples;
          for (const transition of result.transitions) out.transitions.push({ rule, transition });
        } else {
          samples = (await rule.eval(ts, deps.query, context)).samples;
        }
        rule.health = 'ok';
        rule.lastError = '';
      } catch (error) {
        rule.health = 'err';
        rule.lastError = (error as Error).message;
        out.failures.push({ rule, error: rule.lastError });
        rule.evaluationSeconds = (performance.now() - ruleStarted) / 1000;
        continue;
      }
      const current = new Map<string, Labels>();
      for (const s of samples) current.set(labelsKey(s.labels), s.labels);
      for (const [key, labels] of this.previousSeries[i]!) if (!current.has(key)) samples.push({ labels, timestampMs: ts, value: STALE_NAN, stale: true });
      this.previousSeries[i] = current;
      pending = pending.concat(samples);
      // A recording rule's series are written before the next rule runs: it may read them.
      if (rule instanceof RecordingRule && pending.length > 0) await write();
      if (rule instanceof AlertingRule) for (const alert of rule.alertsToSend(ts, deps.resendDelayMs, this.intervalMs)) out.toSend.push({ rule, alert });
      rule.evaluationSeconds = (performance.now() - ruleStarted) / 1000;
    }
    if (pending.length > 0) await write();
    this.lastEvaluationMs = ts;
    this.evaluationSeconds = (performance.now() - started) / 1000;
    return out;
  }

  /** Takes over the alerts and output series of the same rules from an earlier group (a reload keeps firing alerts firing). */
  copyStateFrom(previous: RuleGroup): void {
    const before = new Map(previous.ruleKeys().map((k, i) => [k, i]));
    const matched = new Set<number>();
    this.ruleKeys().forEach((key, i) => {
      const j = before.get(key);
      if (j === undefined) return;
      const [mine, theirs] = [this.rules[i]!, previous.rules[j]!];
      if (mine instanceof AlertingRule && theirs instanceof AlertingRule) mine.restore(theirs.alerts());
      matched.add(j);
      this.previousSeries[i] = previous.previousSeries[j]!;
      previous.previousSeries[j] = new Map();
    });
    // Rules that are gone: their series end at the next evaluation, as Prometheus does with a reload.
    this.orphanedSeries = [...previous.orphanedSeries];
    previous.previousSeries.forEach((series, j) => {
      if (!matched.has(j)) this.orphanedSeries.push(...series.values());
    });
  }

  /** Stale markers at ts for every series this group's rules last wrote (the group is being removed). */
  staleMarkers(ts: number): MetricSample[] {
    const out: MetricSample[] = this.orphanedSeries.map((labels) => ({ labels, timestampMs: ts, value: STALE_NAN, stale: true as const }));
    this.orphanedSeries = [];
    for (const series of this.previousSeries) for (const labels of series.values()) out.push({ labels, timestampMs: ts, value: STALE_NAN, stale: true });
    this.previousSeries = this.rules.map(() => new Map());
    return out;
  }
}
