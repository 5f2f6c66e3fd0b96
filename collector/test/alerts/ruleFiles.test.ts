import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRuleFiles, readRuleText, RuleFileError } from '../../src/alerts/ruleFiles.ts';
import { AlertTemplate } from '../../src/alerts/template.ts';
import { tempDataDir } from '../support/testCollector.ts';

const shipped = path.resolve(import.meta.dirname, '../../../alert-rules');

function problems(text: string): string[] {
  try {
    readRuleText('r.yaml', text);
  } catch (error) {
    if (error instanceof RuleFileError) return error.problems.map((p) => `${p.line}: ${p.message}`);
    throw error;
  }
  return [];
}

describe('readRuleText', () => {
  it('reads groups and rules with their defaults', () => {
    const [group] = readRuleText('r.yaml', 'groups:\n  - name: g\n    interval: 30s\n    rules:\n      - alert: A\n        expr: up == 0\n        for: 5m\n        keep_firing_for: 1m\n      - record: job:up:sum\n        expr: sum by (job) (up)\n');
    expect(group).toMatchObject({ name: 'g', intervalMs: 30_000, limit: 0, line: 2 });
    expect(group!.rules).toEqual([
      { kind: 'alert', name: 'A', expr: 'up == 0', forMs: 300_000, keepFiringForMs: 60_000, labels: {}, annotations: {}, line: 5 },
      { kind: 'record', name: 'job:up:sum', expr: 'sum by (job) (up)', forMs: 0, keepFiringForMs: 0, labels: {}, annotations: {}, line: 9 },
    ]);
  });

  it.each([
    ['groups:\n  - name: g\n    rules:\n      - alert: A\n        record: b\n        expr: up\n', ["4: group \"g\", rule \"A\": alert: only one of 'record' and 'alert' must be set"]],
    ['groups:\n  - name: g\n    rules:\n      - expr: up\n', ["4: group \"g\", rule \"\": alert: one of 'record' or 'alert' must be set"]],
    ['groups:\n  - name: g\n    rules:\n      - alert: A\n', ["4: group \"g\", rule \"A\": expr: field 'expr' must be set in rule"]],
    ['groups:\n  - name: g\n    rules:\n      - record: a-b\n        expr: up\n        for: 1m\n', ["4: group \"g\", rule \"a-b\": record: invalid recording rule name: a-b", "6: group \"g\", rule \"a-b\": for: invalid field 'for' in recording rule"]],
    ['groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up\n        labels:\n          ok: x\n          bad-one: y\n', ['8: group "g", rule "A": labels.bad-one: invalid label name: bad-one']],
    ['groups:\n  - name: g\n    interval: often\n', ['3: interval: expected a positive duration such as 30s or 1m, got "often"']],
    ['groups:\n  - name: g\n  - name: g\n', ['3: groupname: "g" is repeated in the same file']],
    ['groups:\n  - rules: []\n', ['2: Groupname must not be empty']],
    ['groups:\n  - name: g\n    rule: []\n', ['3: unknown field "rule" in group (expected name, interval, limit, rules)']],
    ['groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up\n     bad indent\n', [expect.stringMatching(/^6: /)]],
  ])('reports every problem of %j by line', (text, expected) => {
    expect(problems(text)).toEqual(expected);
  });
});

describe('readRuleFiles', () => {
  it('refuses the same group name in two files, so the rule API can address groups by name', () => {
    const dir = tempDataDir();
    fs.writeFileSync(path.join(dir, 'a.yaml'), 'groups:\n  - name: g\n    rules: []\n');
    fs.writeFileSync(path.join(dir, 'b.yaml'), 'groups:\n  - name: g\n    rules: []\n');
    expect(() => readRuleFiles(path.join(dir, '*.yaml'))).toThrow(/b\.yaml:2: group name "g" is also used in .*a\.yaml:2/);
  });
});

describe('the shipped rules', () => {
  it('load, and promtool agrees they are valid', () => {
    const files = fs.readdirSync(shipped).filter((f) => f.endsWith('.yaml')).map((f) => path.join(shipped, f));
    expect(files.length).toBeGreaterThan(0);
    const groups = readRuleFiles(files.join(','));
    const alerts = groups.flatMap((g) => g.rules).filter((r) => r.kind === 'alert');
    expect(alerts.map((r) => r.name)).toEqual(expect.arrayContaining(['HighErrorRate', 'HighLatencyP95', 'ServiceNotReporting', 'PaymentQueueBacklog', 'PaymentFailureBurst', 'OrderVolumeLow', 'CollectorDroppingData']));
    // What on-call reads: a summary and a description, every label they name filled in, no template error.
    for (const a of alerts) {
      for (const field of ['summary', 'description']) {
        const source = a.annotations[field] ?? '';
        const named = [...source.matchAll(/\$labels\.(\w+)/g)].map((m) => m[1]!);
        const text = new AlertTemplate(source).expand({ labels: Object.fromEntries(named.map((n) => [n, `<${n}>`])), value: 0.42, externalLabels: {}, externalURL: '' });
        expect(text.length, `${a.name} ${field}`).toBeGreaterThan(10);
        expect(text, `${a.name} ${field}`).not.toContain('error expanding template');
        for (const n of named) expect(text, `${a.name} ${field}`).toContain(`<${n}>`);
      }
    }
    const out = execFileSync('promtool', ['check', 'rules', ...files], { encoding: 'utf8' });
    expect(out).toContain('SUCCESS');
  });
});
