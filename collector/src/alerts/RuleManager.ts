import type { Labels } from '../model/metric.ts';
import { SerialQueue } from '../pipeline/SerialQueue.ts';
import type { CollectorLog } from '../telemetry/log.ts';
import type { AlertHistory, HistoryEntry } from './AlertHistory.ts';
import { AlertingRule, type Alert } from './AlertingRule.ts';
import type { AlertStateStore, SavedAlertState } from './AlertStateFile.ts';
import { rfc3339 } from './goFormat.ts';
import type { NotifiedAlert, Notifier } from './notify/notifier.ts';
import { RuleGroup, type RuleOutput } from './RuleGroup.ts';
import type { GroupDefinition } from './ruleFiles.ts';
import type { RuleQuery } from './ruleTypes.ts';

/** Counters the manager feeds into the collector's own metrics. */
export interface RuleManagerObserver {
  evaluated(group: string, seconds: number, failures: number, rules: number): void;
  missed(group: string, slots: number): void;
}

/** What the rule manager is built from; `now` is the clock, passed in. */
export interface RuleManagerOptions {
  query: RuleQuery;
  output: RuleOutput;
  notifiers: Notifier[];
  history: AlertHistory;
  /** Where alert state is saved after each change; null keeps it in memory only. */
  stateStore: AlertStateStore | null;
  /** The state saved by an earlier run (or another replica), restored into the rules and notifiers. */
  savedState: SavedAlertState | null;
  defaultIntervalMs: number;
  /** How often a firing alert is sent again to Alertmanager (Prometheus' --rules.alert.resend-delay). */
  resendDelayMs: number;
  externalLabels: Labels;
  /** The collector's URL for links in notifications (known once it listens). */
  externalURL: () => string;
  now: () => number;
  log: CollectorLog;
  observer: RuleManagerObserver;
}

/**
 * Runs the rule groups (Prometheus' rules/manager.go): each group is
 * evaluated at the multiples of its interval, with that slot's time passed
 * in; alerts due are handed to the notifiers; firings and resolutions go to
 * the history; alert state and what was notified are saved after each
 * evaluation, so a restart keeps firing alerts firing without notifying again.
 * A new rule set replaces the old whole, carrying over the state of rules
 * that stay.
 */
export class RuleManager {
  private readonly options: RuleManagerOptions;
  private groupsByName = new Map<string, RuleGroup>();
  private readonly timers = new Map<RuleGroup, NodeJS.Timeout>();
  private tickTimer: NodeJS.Timeout | null = null;
  /** Evaluations and replacements run one at a time, so a reload never meets a half-evaluated group. */
  private readonly exclusive = new SerialQueue();
  private saved: SavedAlertState | null = null;
  private dirty = false;
  private running = false;
  /** Saves in order, one at a time; stop() waits for the last. */
  private saving: Promise<void> = Promise.resolve();

  constructor(options: RuleManagerOptions) {
    this.options = options;
    this.saved = options.savedState;
    if (options.savedState !== null) for (const n of options.notifiers) n.restore(options.savedState.notifiers[n.name]);
  }

  /** True while the groups are evaluated on their schedule (false before start, after stop or pause). */
  get evaluating(): boolean {
    return this.running;
  }

  /**
   * Replaces every rule's alerts and every notifier's record of what it sent
   * with a saved state (or clears them): how a replica takes over alert
   * evaluation from another, and how a replica that does not evaluate keeps
   * its rule and alert APIs showing the evaluating replica's state.
   */
  adopt(state: SavedAlertState | null): Promise<void> {
    return this.exclusive.run(async () => {
      this.saved = state;
      for (const group of this.groupsByName.values()) {
        for (const rule of group.rules) if (rule instanceof AlertingRule) rule.replaceAlerts([]);
        if (state !== null) this.restoreSaved(group);
      }
      for (const n of this.options.notifiers) n.restore(state?.notifiers[n.name] ?? null);
    });
  }

  /** Stops evaluating (another replica took over): the schedule ends, nothing is sent or saved from here. */
  async pause(): Promise<void> {
    this.running = false;
    for (const g of this.groupsByName.values()) this.unschedule(g);
    if (this.tickTimer !== null) clearInterval(this.tickTimer);
    this.tickTimer = null;
    await this.exclusive.run(async () => undefined);
    await this.saving;
  }

  /** The groups in file order. */
  groups(): RuleGroup[] {
    return [...this.groupsByName.values()];
  }

  /** Replaces the rule set: state of rules that stay is kept; series of removed groups are marked stale. */
  replace(definitions: GroupDefinition[]): Promise<void> {
    return this.exclusive.run(async () => {
      const next = new Map<string, RuleGroup>();
      for (const d of definitions) {
        const group = new RuleGroup(d, this.options.defaultIntervalMs);
        const previous = this.groupsByName.get(d.name);
        if (previous !== undefined) group.copyStateFrom(previous);
        else if (this.saved !== null) this.restoreSaved(group);
        next.set(d.name, group);
      }
      const removed = [...this.groupsByName.values()].filter((g) => !next.has(g.name));
      const stale = removed.flatMap((g) => g.staleMarkers(this.options.now()));
      for (const g of this.groupsByName.values()) this.unschedule(g);
      this.groupsByName = next;
      if (this.running) for (const g of next.values()) this.schedule(g);
      if (stale.length > 0) await this.options.output.write(stale).catch((error: unknown) => this.options.log.error('writing stale markers of removed rules failed', { error }));
      this.dirty = true;
    });
  }

  /** Starts evaluating on the groups' intervals and ticking the notifiers every second. */
  start(): void {
    if (this.running) return;
    this.running = true;
    for (const g of this.groupsByName.values()) this.schedule(g);
    this.tickTimer = setInterval(() => this.tick(), 1000);
    this.tickTimer.unref();
  }

  /** Stops the schedule, lets sends in flight finish and saves the state (when it was evaluating). */
  async stop(): Promise<void> {
    const wasRunning = this.running;
    this.running = false;
    for (const g of this.groupsByName.values()) this.unschedule(g);
    if (this.tickTimer !== null) clearInterval(this.tickTimer);
    this.tickTimer = null;
    await this.exclusive.run(async () => undefined);
    await Promise.all(this.options.notifiers.map((n) => n.stop()));
    if (wasRunning) this.save();
    await this.saving;
  }

  /** Evaluates one group at ts (the schedule calls this; tests call it with stepped time). */
  evaluateGroup(name: string, ts: number): Promise<void> {
    return this.exclusive.run(async () => {
      const group = this.groupsByName.get(name);
      if (group === undefined) throw new Error(`no rule group named ${JSON.stringify(name)}`);
      await this.evaluate(group, ts);
    });
  }

  /** Sends what the notifiers have due at the manager's clock, and saves the state if it changed. */
  tick(): void {
    const now = this.options.now();
    for (const n of this.options.notifiers) n.tick(now);
    if (this.dirty) this.save();
  }

  /**
   * Marks the state changed (a notifier sent something) and saves it right
   * away: the shorter the time between a send and its record, the smaller the
   * chance that a crash in between has the notification sent again.
   */
  markDirty(): void {
    this.dirty = true;
    if (this.running) queueMicrotask(() => this.dirty && this.save());
  }

  private async evaluate(group: RuleGroup, ts: number): Promise<void> {
    const { options } = this;
    const result = await group.eval(ts, { query: options.query, output: options.output, externalLabels: options.externalLabels, externalURL: options.externalURL(), resendDelayMs: options.resendDelayMs });
    options.observer.evaluated(group.name, group.evaluationSeconds, result.failures.length, group.rules.length);
    for (const f of result.failures) options.log.debug('rule evaluation failed', { group: group.name, rule: f.rule.definition.name, error: f.error });
    for (const error of result.writeErrors) options.log.warn('rule results could not be written', { group: group.name, error });
    // Alerts due are handed on first: nothing after this may keep them from being sent.
    if (result.toSend.length > 0) {
      const alerts = result.toSend.map(({ rule, alert }) => this.toNotified(rule, alert));
      for (const n of options.notifiers) n.notify(alerts, ts);
    }
    const history: HistoryEntry[] = [];
    for (const { rule, transition } of result.transitions) {
      const kind = transition.to === 'firing' ? 'firing' : transition.from === 'firing' && transition.to === 'inactive' ? 'resolved' : null;
      if (kind === null) continue;
      const a = transition.alert;
      history.push({ kind, timeMs: ts, group: group.name, rule: rule.definition.name, labels: a.labels, annotations: a.annotations, value: a.value, activeAtMs: a.activeAtMs });
    }
    try {
      options.history.append(history, ts);
    } catch (error) {
      options.log.error('the alert history could not be written', { error });
    }
    if (result.transitions.length > 0 || result.toSend.length > 0) this.dirty = true;
    if (this.dirty) this.save();
  }

  private toNotified(rule: AlertingRule, alert: Alert): NotifiedAlert {
    const resolved = alert.state === 'inactive';
    return {
      status: resolved ? 'resolved' : 'firing',
      labels: { ...this.options.externalLabels, ...alert.labels },
      annotations: alert.annotations,
      startsAt: rfc3339(alert.firedAtMs ?? alert.activeAtMs),
      endsAt: rfc3339(resolved ? alert.resolvedAtMs! : alert.validUntilMs),
      generatorURL: `${this.options.externalURL()}/graph?g0.expr=${encodeURIComponent(rule.definition.expr)}&g0.tab=1`,
      fingerprint: alert.fingerprint,
    };
  }

  private restoreSaved(group: RuleGroup): void {
    const keys = group.ruleKeys();
    group.rules.forEach((rule, i) => {
      const alerts = this.saved!.rules[keys[i]!];
      if (rule instanceof AlertingRule && Array.isArray(alerts)) rule.restore(alerts);
    });
  }

  private save(): void {
    this.dirty = false;
    const store = this.options.stateStore;
    if (store === null) return;
    const rules: Record<string, Alert[]> = {};
    for (const group of this.groupsByName.values()) {
      const keys = group.ruleKeys();
      group.rules.forEach((rule, i) => {
        if (rule instanceof AlertingRule && rule.alerts().length > 0) rules[keys[i]!] = rule.alerts();
      });
    }
    const notifiers: Record<string, unknown> = {};
    for (const n of this.options.notifiers) notifiers[n.name] = n.snapshot();
    const state: SavedAlertState = { version: 1, savedAtMs: this.options.now(), rules, notifiers };
    this.saved = state;
    this.saving = this.saving
      .then(() => store.save(state))
      .catch((error: unknown) => {
        this.dirty = true;
        this.options.log.error('saving the alert state failed; it is tried again on the next evaluation', { where: store.where, error });
      });
  }

  private schedule(group: RuleGroup, after?: number): void {
    const now = this.options.now();
    // The next aligned slot after now, and never the slot just evaluated again (a timer may fire a little early).
    let slot = Math.floor(now / group.intervalMs) * group.intervalMs + group.intervalMs;
    if (after !== undefined && slot <= after) slot = after + group.intervalMs;
    const timer = setTimeout(() => void this.runSlot(group, slot), slot - now);
    timer.unref();
    this.timers.set(group, timer);
  }

  private unschedule(group: RuleGroup): void {
    const timer = this.timers.get(group);
    if (timer !== undefined) clearTimeout(timer);
    this.timers.delete(group);
  }

  private async runSlot(group: RuleGroup, ts: number): Promise<void> {
    this.timers.delete(group);
    await this.exclusive.run(async () => {
      if (this.groupsByName.get(group.name) !== group) return;
      await this.evaluate(group, ts);
    }).catch((error: unknown) => this.options.log.error('rule group evaluation failed', { group: group.name, error }));
    if (!this.running || this.groupsByName.get(group.name) !== group) return;
    const late = Math.floor((this.options.now() - ts) / group.intervalMs) - 1;
    if (late > 0) this.options.observer.missed(group.name, late);
    this.schedule(group, ts);
  }
}
