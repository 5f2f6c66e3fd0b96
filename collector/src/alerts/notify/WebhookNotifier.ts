import type { Labels } from '../../model/metric.ts';
import { postJson, withRetries, type NotifiedAlert, type Notifier, type NotifierObserver } from './notifier.ts';

/** A webhook receiver as the notifications file defines it; timings in ms. */
export interface WebhookReceiver {
  name: string;
  url: string;
  /** Labels alerts are grouped by; `['...']` groups by every label (one alert per notification). */
  groupBy: string[];
  groupWaitMs: number;
  groupIntervalMs: number;
  repeatIntervalMs: number;
  sendResolved: boolean;
  /** Most alerts in one payload (0: all); the rest are counted in `truncatedAlerts`. */
  maxAlerts: number;
}

/** Alertmanager's defaults for a route and a webhook receiver. */
export const WEBHOOK_DEFAULTS = { groupBy: ['alertname'], groupWaitMs: 30_000, groupIntervalMs: 300_000, repeatIntervalMs: 4 * 3_600_000, sendResolved: true, maxAlerts: 0 };

/** What was last notified for one group: Alertmanager's notification log entry. */
interface SentEntry {
  firing: string[];
  resolved: string[];
  atMs: number;
}

interface AggregationGroup {
  key: string;
  groupLabels: Labels;
  alerts: Map<string, NotifiedAlert>;
  nextFlushMs: number;
  /** A send of this group is in flight; the next flush waits for it. */
  busy: boolean;
}

/**
 * Sends alerts to a webhook with Alertmanager's webhook payload (version 4)
 * and Alertmanager's dispatch rules: alerts grouped by `group_by`; a new
 * group waits `group_wait`, then is looked at every `group_interval` and
 * sent when its firing set grew or alerts resolved, or every
 * `repeat_interval` while unchanged. What was sent per group is kept in the
 * state file, so a restart does not send it again.
 * (https://prometheus.io/docs/alerting/latest/configuration/#webhook_config)
 */
export class WebhookNotifier implements Notifier {
  readonly name: string;
  private readonly receiver: WebhookReceiver;
  private readonly externalURL: () => string;
  private readonly observer: NotifierObserver;
  private readonly groups = new Map<string, AggregationGroup>();
  private sent = new Map<string, SentEntry>();
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;

  constructor(receiver: WebhookReceiver, externalURL: () => string, observer: NotifierObserver) {
    this.receiver = receiver;
    this.name = `webhook ${receiver.name}`;
    this.externalURL = externalURL;
    this.observer = observer;
  }

  notify(alerts: readonly NotifiedAlert[], nowMs: number): void {
    for (const alert of alerts) {
      const groupLabels = this.groupLabels(alert.labels);
      const key = `{}:${labelsText(groupLabels)}`;
      let group = this.groups.get(key);
      if (group === undefined) {
        // A resolved alert of a group never notified as firing is news to nobody.
        if (alert.status === 'resolved' && !(this.sent.get(key)?.firing.includes(alert.fingerprint) ?? false)) continue;
        group = { key, groupLabels, alerts: new Map(), nextFlushMs: nowMs + this.receiver.groupWaitMs, busy: false };
        this.groups.set(key, group);
      }
      group.alerts.set(alert.fingerprint, alert);
    }
  }

  tick(nowMs: number): void {
    if (this.stopped) return;
    for (const group of this.groups.values()) {
      if (group.nextFlushMs > nowMs || group.busy) continue;
      group.nextFlushMs = nowMs + this.receiver.groupIntervalMs;
      this.flush(group, nowMs);
    }
  }

  /** What was sent per group, and the alerts groups hold that are not sent yet (a resolution waiting for its group interval, say). */
  snapshot(): unknown {
    return {
      sent: Object.fromEntries(this.sent),
      groups: [...this.groups.values()].map((g) => ({ key: g.key, groupLabels: g.groupLabels, alerts: [...g.alerts.values()], nextFlushMs: g.nextFlushMs })),
    };
  }

  /** Replaces what this notifier knows it sent and has grouped with a saved state (or clears it). */
  restore(state: unknown): void {
    this.sent.clear();
    this.groups.clear();
    if (state === null || typeof state !== 'object') return;
    const { sent, groups } = state as { sent?: Record<string, SentEntry>; groups?: Array<{ key: string; groupLabels: Labels; alerts: NotifiedAlert[]; nextFlushMs: number }> };
    for (const [key, entry] of Object.entries(sent ?? {})) {
      if (Array.isArray(entry.firing) && Array.isArray(entry.resolved) && typeof entry.atMs === 'number') this.sent.set(key, entry);
    }
    for (const g of Array.isArray(groups) ? groups : []) {
      if (typeof g.key !== 'string' || !Array.isArray(g.alerts)) continue;
      this.groups.set(g.key, { key: g.key, groupLabels: g.groupLabels, alerts: new Map(g.alerts.map((a) => [a.fingerprint, a])), nextFlushMs: g.nextFlushMs, busy: false });
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.inFlight);
  }

  private groupLabels(labels: Labels): Labels {
    if (this.receiver.groupBy.includes('...')) return { ...labels };
    const out: Labels = {};
    for (const name of this.receiver.groupBy) if (labels[name] !== undefined) out[name] = labels[name];
    return out;
  }

  private flush(group: AggregationGroup, nowMs: number): void {
    // A firing alert not heard of past its endsAt has resolved, as Alertmanager sees it (its rule was deleted, say).
    for (const [fp, a] of group.alerts) if (a.status === 'firing' && Date.parse(a.endsAt) < nowMs) group.alerts.set(fp, { ...a, status: 'resolved' });
    const alerts = [...group.alerts.values()].sort((a, b) => (a.startsAt < b.startsAt ? -1 : a.startsAt > b.startsAt ? 1 : 0));
    const firing = alerts.filter((a) => a.status === 'firing').map((a) => a.fingerprint);
    const resolved = alerts.filter((a) => a.status === 'resolved').map((a) => a.fingerprint);
    const previous = this.sent.get(group.key);
    if (!this.needsUpdate(previous, firing, resolved, nowMs)) {
      this.dropSentResolved(group, alerts.filter((a) => a.status === 'resolved'));
      return;
    }
    const shown = this.receiver.sendResolved ? alerts : alerts.filter((a) => a.status === 'firing');
    if (shown.length === 0) {
      // Everything resolved and resolutions are not sent: nothing to post, as with Alertmanager.
      this.sent.set(group.key, { firing, resolved, atMs: nowMs });
      this.dropSentResolved(group, alerts.filter((a) => a.status === 'resolved'));
      return;
    }
    const kept = this.receiver.maxAlerts > 0 ? shown.slice(0, this.receiver.maxAlerts) : shown;
    const payload = {
      receiver: this.receiver.name,
      status: firing.length > 0 ? 'firing' : 'resolved',
      alerts: kept.map((a) => ({ status: a.status, labels: a.labels, annotations: a.annotations, startsAt: a.startsAt, endsAt: a.status === 'resolved' ? a.endsAt : '0001-01-01T00:00:00Z', generatorURL: a.generatorURL, fingerprint: a.fingerprint })),
      groupLabels: group.groupLabels,
      commonLabels: common(kept.map((a) => a.labels)),
      commonAnnotations: common(kept.map((a) => a.annotations)),
      externalURL: this.externalURL(),
      version: '4',
      groupKey: group.key,
      truncatedAlerts: shown.length - kept.length,
    };
    group.busy = true;
    const sending = withRetries(() => postJson(this.receiver.url, payload, 10_000), {
      attempts: 6,
      maxDelayMs: Math.max(1000, Math.min(this.receiver.groupIntervalMs, 60_000)),
      abandoned: () => this.stopped,
      onError: (error) => this.observer.failed(this.name, error),
    }).then((ok) => {
      group.busy = false;
      if (!ok) {
        this.observer.dropped(this.name, kept.length);
        return;
      }
      this.observer.sent(this.name, kept.length);
      this.sent.set(group.key, { firing, resolved, atMs: nowMs });
      this.dropSentResolved(group, alerts.filter((a) => a.status === 'resolved'));
    });
    this.inFlight.add(sending);
    void sending.finally(() => this.inFlight.delete(sending));
  }

  /** Alertmanager's dedup stage: send when firing alerts are new, alerts resolved, or the repeat interval passed. */
  private needsUpdate(previous: SentEntry | undefined, firing: string[], resolved: string[], nowMs: number): boolean {
    if (previous === undefined) return firing.length > 0;
    if (!firing.every((f) => previous.firing.includes(f))) return true;
    if (firing.length === 0 && previous.firing.length > 0) return true;
    if (this.receiver.sendResolved && !resolved.every((r) => previous.resolved.includes(r))) return true;
    return firing.length > 0 && previous.atMs + this.receiver.repeatIntervalMs <= nowMs;
  }

  /** Resolved alerts leave the group once notified (unless the alert fired again meanwhile); an empty group is removed. */
  private dropSentResolved(group: AggregationGroup, sentResolved: NotifiedAlert[]): void {
    const resolved = sentResolved.map((a) => a.fingerprint);
    for (const a of sentResolved) if (group.alerts.get(a.fingerprint) === a) group.alerts.delete(a.fingerprint);
    if (group.alerts.size === 0) {
      this.groups.delete(group.key);
      const entry = this.sent.get(group.key);
      if (entry !== undefined && entry.firing.every((f) => resolved.includes(f))) this.sent.delete(group.key);
    }
  }
}

/** Labels (or annotations) every item shares with the same value. */
function common(sets: Array<Record<string, string>>): Record<string, string> {
  if (sets.length === 0) return {};
  const out: Record<string, string> = { ...sets[0] };
  for (const s of sets.slice(1)) for (const k of Object.keys(out)) if (s[k] !== out[k]) delete out[k];
  return out;
}

/** Alertmanager's text of a label set in a group key: `{a="1", b="2"}`, names sorted. */
function labelsText(labels: Labels): string {
  return `{${Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`)
    .join(', ')}}`;
}
