import type { Labels, MetricSample } from '../model/metric.ts';
import { labelsFingerprint } from './fingerprint.ts';
import type { RuleDefinition } from './ruleFiles.ts';
import { AlertTemplate, type TemplateData } from './template.ts';
import { RuleStatus, type EvalContext, type RuleQuery } from './ruleTypes.ts';

/** Where an alert stands: Prometheus' three states. */
export type AlertState = 'inactive' | 'pending' | 'firing';

/** One alert of a rule: a label set the expression returned, and its history. Times are Unix ms. */
export interface Alert {
  /** Prometheus' 64-bit fingerprint of the labels, in hex. */
  fingerprint: string;
  labels: Labels;
  annotations: Record<string, string>;
  state: AlertState;
  value: number;
  activeAtMs: number;
  firedAtMs: number | null;
  resolvedAtMs: number | null;
  lastSentAtMs: number | null;
  /** When the expression stopped returning a firing alert that keep_firing_for holds. */
  keepFiringSinceMs: number | null;
  /** Until when Alertmanager should consider a firing alert current without hearing of it again. */
  validUntilMs: number;
}

/** A change of an alert's state in one evaluation, for the history. */
export interface AlertTransition {
  alert: Alert;
  from: AlertState | null;
  to: AlertState;
}

/** Resolved alerts are kept this long, so they can still be sent and shown (Prometheus' resolvedRetention). */
export const RESOLVED_RETENTION_MS = 15 * 60_000;

/**
 * An alerting rule and the state machine of its alerts, as Prometheus'
 * rules/alerting.go: a label set the expression returns is pending, firing
 * once it has been returned for `for`, and resolved when it is no longer
 * returned (after `keep_firing_for`). Alerts are keyed by their label set's
 * fingerprint; time is passed in.
 */
export class AlertingRule extends RuleStatus {
  readonly kind = 'alert';
  readonly definition: RuleDefinition;
  private active = new Map<string, Alert>();
  private readonly labelTemplates: [string, AlertTemplate][];
  private readonly annotationTemplates: [string, AlertTemplate][];

  constructor(definition: RuleDefinition) {
    super();
    this.definition = definition;
    this.labelTemplates = Object.entries(definition.labels).map(([k, v]) => [k, new AlertTemplate(v)]);
    this.annotationTemplates = Object.entries(definition.annotations).map(([k, v]) => [k, new AlertTemplate(v)]);
  }

  /** Alerts pending, firing, or resolved within the retention, oldest first. */
  alerts(): Alert[] {
    return [...this.active.values()].sort((a, b) => a.activeAtMs - b.activeAtMs);
  }

  /** The rule's state as Prometheus' /api/v1/rules reports it: the most severe of its alerts. */
  get state(): AlertState {
    let state: AlertState = 'inactive';
    for (const a of this.active.values()) {
      if (a.state === 'firing') return 'firing';
      if (a.state === 'pending') state = 'pending';
    }
    return state;
  }

  /** Takes over alerts (from the same rule before a reload, or from the state file at start). */
  restore(alerts: Iterable<Alert>): void {
    for (const a of alerts) this.active.set(a.fingerprint, { ...a });
  }

  /** Replaces the rule's alerts with these (a state another replica saved). */
  replaceAlerts(alerts: Iterable<Alert>): void {
    this.active.clear();
    this.restore(alerts);
  }

  /**
   * Evaluates at ts: updates the alerts and returns the `ALERTS` and
   * `ALERTS_FOR_STATE` samples to write and the transitions to record.
   * A query error leaves the alerts as they were.
   */
  async eval(ts: number, query: RuleQuery, context: EvalContext): Promise<{ samples: MetricSample[]; transitions: AlertTransition[] }> {
    const result = await query.instant(this.definition.expr, ts);
    const { name, forMs, keepFiringForMs } = this.definition;
    const returned = new Map<string, Alert>();
    for (const sample of result) {
      const data: TemplateData = { labels: sample.labels, value: sample.value, externalLabels: context.externalLabels, externalURL: context.externalURL };
      const labels = withoutName(sample.labels);
      for (const [k, t] of this.labelTemplates) {
        const value = t.isPlain ? t.source : t.expand(data);
        // A label that expands to nothing is no label, as Prometheus' label builder has it.
        if (value === '') delete labels[k];
        else labels[k] = value;
      }
      labels.alertname = name;
      const annotations: Record<string, string> = {};
      for (const [k, t] of this.annotationTemplates) annotations[k] = t.isPlain ? t.source : t.expand(data);
      const fingerprint = labelsFingerprint(labels);
      if (returned.has(fingerprint)) throw new Error('vector contains metrics with the same labelset after applying alert labels');
      returned.set(fingerprint, { fingerprint, labels, annotations, state: 'pending', value: sample.value, activeAtMs: ts, firedAtMs: null, resolvedAtMs: null, lastSentAtMs: null, keepFiringSinceMs: null, validUntilMs: 0 });
    }
    const transitions: AlertTransition[] = [];
    for (const [fp, fresh] of returned) {
      const known = this.active.get(fp);
      if (known !== undefined && known.state !== 'inactive') {
        known.value = fresh.value;
        known.annotations = fresh.annotations;
        continue;
      }
      this.active.set(fp, fresh);
      transitions.push({ alert: fresh, from: known === undefined ? null : 'inactive', to: 'pending' });
    }
    const samples: MetricSample[] = [];
    let activeCount = 0;
    for (const [fp, alert] of this.active) {
      if (!returned.has(fp)) {
        let keepFiring = false;
        if (alert.state === 'firing' && keepFiringForMs > 0) {
          alert.keepFiringSinceMs ??= ts;
          keepFiring = ts - alert.keepFiringSinceMs < keepFiringForMs;
        }
        if (alert.state === 'pending' || (alert.resolvedAtMs !== null && ts - alert.resolvedAtMs > RESOLVED_RETENTION_MS)) this.active.delete(fp);
        if (alert.state !== 'inactive' && !keepFiring) {
          transitions.push({ alert, from: alert.state, to: 'inactive' });
          alert.state = 'inactive';
          alert.resolvedAtMs = ts;
        }
        if (!keepFiring) continue;
      } else alert.keepFiringSinceMs = null;
      activeCount++;
      if (alert.state === 'pending' && ts - alert.activeAtMs >= forMs) {
        alert.state = 'firing';
        alert.firedAtMs = ts;
        transitions.push({ alert, from: 'pending', to: 'firing' });
      }
      samples.push({ labels: { ...alert.labels, __name__: 'ALERTS', alertstate: alert.state }, timestampMs: ts, value: 1 });
      samples.push({ labels: { ...alert.labels, __name__: 'ALERTS_FOR_STATE' }, timestampMs: ts, value: alert.activeAtMs / 1000 });
    }
    if (context.limit > 0 && activeCount > context.limit) {
      this.active.clear();
      throw new Error(`exceeded limit of ${context.limit} with ${activeCount} alerts`);
    }
    return { samples, transitions };
  }

  /**
   * Firing alerts due to be sent to Alertmanager at ts (not sent within
   * `resendDelayMs`) and resolved alerts not yet sent as resolved; marks them sent.
   */
  alertsToSend(ts: number, resendDelayMs: number, intervalMs: number): Alert[] {
    const out: Alert[] = [];
    for (const alert of this.active.values()) {
      if (alert.state === 'pending') continue;
      const due =
        alert.state === 'inactive'
          ? alert.resolvedAtMs !== null && (alert.lastSentAtMs === null || alert.lastSentAtMs < alert.resolvedAtMs) && alert.firedAtMs !== null
          : alert.lastSentAtMs === null || alert.lastSentAtMs + resendDelayMs <= ts;
      if (!due) continue;
      alert.lastSentAtMs = ts;
      alert.validUntilMs = ts + 4 * Math.max(resendDelayMs, intervalMs);
      out.push(alert);
    }
    return out;
  }
}

function withoutName(labels: Labels): Labels {
  const out: Labels = {};
  for (const k in labels) if (k !== '__name__') out[k] = labels[k]!;
  return out;
}
