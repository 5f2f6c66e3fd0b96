import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RuleGroup } from '../../src/alerts/RuleGroup.ts';
import { readRuleText } from '../../src/alerts/ruleFiles.ts';
import { ruleBench, type RuleBench } from './support.ts';

const T0 = Date.UTC(2026, 10, 22, 11, 0, 0);

function group(text: string): RuleGroup {
  return new RuleGroup(readRuleText('test.rules.yaml', text)[0]!, 60_000);
}

let bench: RuleBench;
beforeAll(async () => {
  bench = await ruleBench();
});
afterAll(() => bench.close());

const deps = () => ({ query: bench.query, output: bench.output, externalLabels: {}, externalURL: 'http://mirador', resendDelayMs: 60_000 });

describe('RuleGroup', () => {
  describe('eval', () => {
    it('lets a rule read what a recording rule before it wrote in the same evaluation', async () => {
      const g = group(`groups:
  - name: chain
    rules:
      - record: chain:total
        expr: sum(chain_input)
      - alert: ChainHigh
        expr: chain:total > 5
`);
      await bench.set({ __name__: 'chain_input', part: 'a' }, T0, 4);
      await bench.set({ __name__: 'chain_input', part: 'b' }, T0, 3);
      const result = await g.eval(T0, deps());
      expect(result.failures).toEqual([]);
      expect(result.toSend.map(({ alert }) => [alert.labels.alertname, alert.value])).toEqual([['ChainHigh', 7]]);
    });

    it('writes a stale marker for a series a rule no longer returns, so it ends at once', async () => {
      const g = group(`groups:
  - name: stale
    rules:
      - record: stale:doubled
        expr: stale_input * 2
`);
      await bench.set({ __name__: 'stale_input', part: 'a' }, T0, 1);
      await bench.set({ __name__: 'stale_input', part: 'b' }, T0, 2);
      await g.eval(T0, deps());
      await bench.set({ __name__: 'stale_input', part: 'a' }, T0 + 60_000, 1);
      await bench.set({ __name__: 'stale_input', part: 'b' }, T0 + 60_000, null);
      bench.written.length = 0;
      await g.eval(T0 + 60_000, deps());
      const written = bench.written.map((s) => [s.labels.part, s.stale === true ? 'stale' : s.value]);
      expect(written).toEqual([
        ['a', 2],
        ['b', 'stale'],
      ]);
      expect(await bench.query.instant('stale:doubled', T0 + 90_000)).toEqual([{ labels: { __name__: 'stale:doubled', part: 'a' }, value: 2 }]);
    });

    it('reports a failing rule with its error and goes on with the next', async () => {
      const g = group(`groups:
  - name: failing
    limit: 1
    rules:
      - record: failing:each
        expr: failing_input
      - record: failing:sum
        expr: sum(failing_input)
`);
      await bench.set({ __name__: 'failing_input', part: 'a' }, T0, 1);
      await bench.set({ __name__: 'failing_input', part: 'b' }, T0, 2);
      const result = await g.eval(T0, deps());
      expect(result.failures.map((f) => [f.rule.definition.name, f.error])).toEqual([['failing:each', 'exceeded limit of 1 with 2 series']]);
      expect(g.rules.map((r) => r.health)).toEqual(['err', 'ok']);
    });

    it('still hands on alerts when their series cannot be written, and reports the write', async () => {
      const g = group(`groups:
  - name: unwritable
    rules:
      - alert: UnwritableHigh
        expr: unwritable_input > 5
`);
      await bench.set({ __name__: 'unwritable_input' }, T0, 9);
      const result = await g.eval(T0, { ...deps(), output: { write: () => Promise.reject(new Error('the store is away')) } });
      expect(result.writeErrors).toEqual(['the store is away']);
      expect(result.toSend.map(({ alert }) => alert.labels.alertname)).toEqual(['UnwritableHigh']);
    });
  });

  describe('copyStateFrom', () => {
    it('carries firing alerts over to the same rule in a new rule set, even with a changed threshold', async () => {
      const text = (threshold: number) => `groups:
  - name: reload
    rules:
      - alert: ReloadHigh
        expr: reload_input > ${threshold}
        for: 1m
`;
      const before = group(text(10));
      for (const [i, t] of [T0, T0 + 60_000].entries()) {
        await bench.set({ __name__: 'reload_input' }, t, 50);
        await before.eval(t, deps());
        expect((before.rules[0] as { state: string }).state).toBe(i === 0 ? 'pending' : 'firing');
      }
      const after = group(text(20));
      after.copyStateFrom(before);
      await bench.set({ __name__: 'reload_input' }, T0 + 120_000, 50);
      const result = await after.eval(T0 + 120_000, deps());
      expect((after.rules[0] as { state: string }).state).toBe('firing');
      expect(result.transitions).toEqual([]);
    });

    it('ends the series of a rule the new rule set no longer has', async () => {
      const text = (rules: string) => `groups:\n  - name: removal\n    rules:\n${rules}`;
      const kept = '      - alert: Kept\n        expr: removal_input > 10\n';
      const gone = '      - alert: Gone\n        expr: removal_input > 20\n';
      const before = group(text(kept + gone));
      await bench.set({ __name__: 'removal_input' }, T0, 50);
      await before.eval(T0, deps());
      const after = group(text(kept));
      after.copyStateFrom(before);
      bench.written.length = 0;
      await bench.set({ __name__: 'removal_input' }, T0 + 60_000, 50);
      await after.eval(T0 + 60_000, deps());
      const ended = bench.written.filter((s) => s.stale === true).map((s) => [s.labels.__name__, s.labels.alertname]);
      expect(ended.sort()).toEqual([
        ['ALERTS', 'Gone'],
        ['ALERTS_FOR_STATE', 'Gone'],
      ]);
    });
  });
});
