import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertingRule, RESOLVED_RETENTION_MS, type AlertState } from '../../src/alerts/AlertingRule.ts';
import { checkRule } from '../../src/alerts/ruleFiles.ts';
import { ruleBench, type RuleBench } from './support.ts';

const T0 = Date.UTC(2026, 10, 22, 10, 0, 0);
const STEP = 15_000;
const context = { externalLabels: {}, externalURL: 'http://mirador', limit: 0 };

function rule(fields: Record<string, unknown>): AlertingRule {
  const checked = checkRule({ alert: 'HighQueue', expr: 'queue_depth > 10', labels: { severity: 'page' }, annotations: { summary: '{{ $labels.queue }} holds {{ $value }}' }, ...fields }, 1);
  if (!('rule' in checked)) throw new Error(JSON.stringify(checked.problems));
  return new AlertingRule(checked.rule);
}

let bench: RuleBench;
beforeAll(async () => {
  bench = await ruleBench();
});
afterAll(() => bench.close());

/** One step: the queue depth at that step (null: the series ends) and the alert's state after evaluating. */
type Step = [depth: number | null, state: AlertState | 'gone'];

async function run(queue: string, fields: Record<string, unknown>, steps: Step[]): Promise<AlertingRule> {
  const r = rule({ expr: `queue_depth{queue="${queue}"} > 10`, ...fields });
  for (const [i, [depth, expected]] of steps.entries()) {
    const t = T0 + i * STEP;
    await bench.set({ __name__: 'queue_depth', queue }, t, depth);
    await r.eval(t, bench.query, context);
    const alert = r.alerts()[0];
    expect(alert?.state ?? 'gone', `step ${i} (depth ${depth})`).toBe(expected);
  }
  return r;
}

describe('AlertingRule', () => {
  describe('eval', () => {
    it.each<[string, Record<string, unknown>, Step[]]>([
      ['fires at once without a for-duration', { for: '0s' }, [[5, 'gone'], [20, 'firing'], [20, 'firing'], [5, 'inactive']]],
      ['is pending until the for-duration has passed, then fires', { for: '30s' }, [[20, 'pending'], [20, 'pending'], [20, 'firing'], [20, 'firing']]],
      ['forgets a pending alert whose condition ends before the for-duration', { for: '1m' }, [[20, 'pending'], [20, 'pending'], [5, 'gone'], [20, 'pending']]],
      ['resolves a firing alert when the condition ends', { for: '15s' }, [[20, 'pending'], [20, 'firing'], [5, 'inactive'], [5, 'inactive']]],
      ['resolves when the series ends (stale marker)', { for: '0s' }, [[20, 'firing'], [null, 'inactive']]],
      ['keeps firing for keep_firing_for after the condition ends', { for: '0s', keep_firing_for: '30s' }, [[20, 'firing'], [5, 'firing'], [5, 'firing'], [5, 'inactive']]],
      ['starts a new pending alert when a resolved one comes back', { for: '15s' }, [[20, 'pending'], [20, 'firing'], [5, 'inactive'], [20, 'pending'], [20, 'firing']]],
      ['keep_firing_for restarts when the condition returns', { for: '0s', keep_firing_for: '30s' }, [[20, 'firing'], [5, 'firing'], [20, 'firing'], [5, 'firing'], [5, 'firing'], [5, 'inactive']]],
    ])('%s', async (name, fields, steps) => {
      await run(name.replace(/\W+/g, '_'), fields, steps);
    });

    it('keys alerts by their labels, with the rule labels and alertname set and annotations expanded', async () => {
      const r = rule({ for: '0s', expr: 'queue_depth{instance="a"} > 10' });
      await bench.set({ __name__: 'queue_depth', queue: 'orders', instance: 'a' }, T0, 42);
      await bench.set({ __name__: 'queue_depth', queue: 'payments', instance: 'a' }, T0, 11);
      await r.eval(T0, bench.query, context);
      const alerts = r.alerts().filter((a) => a.labels.instance === 'a');
      expect(alerts.map((a) => a.labels).sort((a, b) => a.queue!.localeCompare(b.queue!))).toEqual([
        { alertname: 'HighQueue', instance: 'a', queue: 'orders', severity: 'page' },
        { alertname: 'HighQueue', instance: 'a', queue: 'payments', severity: 'page' },
      ]);
      expect(alerts.find((a) => a.labels.queue === 'orders')!.annotations).toEqual({ summary: 'orders holds 42' });
      expect(new Set(alerts.map((a) => a.fingerprint)).size).toBe(2);
    });

    it('leaves out a label whose template expands to nothing, as Prometheus does', async () => {
      const r = rule({ for: '0s', expr: 'queue_depth{queue="orders", instance="a"} > 10', labels: { severity: 'page', team: '{{ $labels.team }}' } });
      await r.eval(T0, bench.query, context);
      expect(r.alerts().map((a) => a.labels)).toEqual([{ alertname: 'HighQueue', instance: 'a', queue: 'orders', severity: 'page' }]);
    });

    it('writes ALERTS with the state and ALERTS_FOR_STATE with the active-since time', async () => {
      const queue = 'alerts_series';
      const r = rule({ for: '15s', expr: `queue_depth{queue="${queue}"} > 10` });
      await bench.set({ __name__: 'queue_depth', queue }, T0, 20);
      const first = await r.eval(T0, bench.query, context);
      await bench.set({ __name__: 'queue_depth', queue }, T0 + STEP, 20);
      const second = await r.eval(T0 + STEP, bench.query, context);
      const mine = (s: { labels: Record<string, string> }) => s.labels.queue === queue;
      expect(first.samples.filter(mine)).toEqual([
        { labels: { __name__: 'ALERTS', alertname: 'HighQueue', alertstate: 'pending', queue, severity: 'page' }, timestampMs: T0, value: 1 },
        { labels: { __name__: 'ALERTS_FOR_STATE', alertname: 'HighQueue', queue, severity: 'page' }, timestampMs: T0, value: T0 / 1000 },
      ]);
      expect(second.samples.filter(mine).map((s) => [s.labels.__name__, s.labels.alertstate, s.value])).toEqual([
        ['ALERTS', 'firing', 1],
        ['ALERTS_FOR_STATE', undefined, T0 / 1000],
      ]);
      expect(second.transitions.map((t) => [t.from, t.to])).toContainEqual(['pending', 'firing']);
    });

    it('drops a resolved alert after the resolved retention', async () => {
      const queue = 'retention';
      const r = await run(queue, { for: '0s' }, [[20, 'firing'], [5, 'inactive']]);
      const later = T0 + STEP + RESOLVED_RETENTION_MS + STEP;
      await bench.set({ __name__: 'queue_depth', queue }, later, 5);
      await r.eval(later, bench.query, context);
      expect(r.alerts()).toEqual([]);
    });

    it('refuses more alerts than the group limit, and clears them', async () => {
      const r = rule({ expr: 'queue_depth{queue=~"limit_.*"} > 10' });
      for (const q of ['limit_a', 'limit_b', 'limit_c']) await bench.set({ __name__: 'queue_depth', queue: q }, T0, 20);
      await expect(r.eval(T0, bench.query, { ...context, limit: 2 })).rejects.toThrow('exceeded limit of 2 with 3 alerts');
      expect(r.alerts()).toEqual([]);
    });
  });

  describe('alertsToSend', () => {
    it('sends firing alerts once per resend delay, resolved ones once, pending ones never', async () => {
      const queue = 'sending';
      const r = rule({ for: '15s', expr: `queue_depth{queue="${queue}"} > 10` });
      const sentAt = async (i: number, depth: number) => {
        const t = T0 + i * STEP;
        await bench.set({ __name__: 'queue_depth', queue }, t, depth);
        await r.eval(t, bench.query, context);
        return r.alertsToSend(t, 60_000, STEP).filter((a) => a.labels.queue === queue).map((a) => a.state);
      };
      expect(await sentAt(0, 20)).toEqual([]); // pending
      expect(await sentAt(1, 20)).toEqual(['firing']);
      expect(await sentAt(2, 20)).toEqual([]); // sent 15 s ago
      expect(await sentAt(5, 20)).toEqual(['firing']); // 60 s later
      expect(await sentAt(6, 5)).toEqual(['inactive']); // resolved: sent once
      expect(await sentAt(7, 5)).toEqual([]);
      expect(await sentAt(20, 5)).toEqual([]);
    });
  });
});
