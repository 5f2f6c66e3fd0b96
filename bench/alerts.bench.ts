/**
 * Alerts: one evaluation round of 1,000 alerting rules (10 groups of 100)
 * over 10,000 series on the embedded engine and DuckDB store — the time for
 * every group to be evaluated once, ALERTS written, notifications handed on.
 * Target: a round under 1 s.
 *
 *   npm run bench -- alerts [--rules 1000] [--series 10000] [--rounds 5]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { AlertHistory } from '../collector/src/alerts/AlertHistory.ts';
import { readRuleText } from '../collector/src/alerts/ruleFiles.ts';
import { RuleManager } from '../collector/src/alerts/RuleManager.ts';
import { EngineRuleQuery } from '../collector/src/alerts/ruleQueries.ts';
import type { MetricSample } from '../collector/src/model/metric.ts';
import { DEFAULT_QUERY_LIMITS } from '../collector/src/promql/Engine.ts';
import { openDuckDbStores } from '../collector/src/store/duckdb/DuckDbStores.ts';
import { createLog } from '../collector/src/telemetry/log.ts';
import { machineLine, percentile } from './machine.ts';

const { values } = parseArgs({ options: { rules: { type: 'string', default: '1000' }, series: { type: 'string', default: '10000' }, rounds: { type: 'string', default: '5' } } });
const RULES = Number(values.rules);
const SERIES = Number(values.series);
const ROUNDS = Number(values.rounds);
const STEP = 15_000;
const SERVICES = 100;
const ROUTES = 10;
const INSTANCES = Math.max(1, Math.round(SERIES / (SERVICES * ROUTES)));

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mirador-bench-alerts-'));
const stores = await openDuckDbStores({ dataDir: dir, memoryLimit: '2GB' });
const now = Math.floor(Date.now() / STEP) * STEP;

// The data: a request counter per service, route and instance, every 15 s for the last 10 minutes.
process.stdout.write(`writing ${SERVICES * ROUTES * INSTANCES} series × 41 samples… `);
let written = 0;
const loadStarted = performance.now();
for (let k = 0; k <= 40; k++) {
  const t = now - (40 - k) * STEP;
  const batch: MetricSample[] = [];
  for (let s = 0; s < SERVICES; s++)
    for (let r = 0; r < ROUTES; r++)
      for (let i = 0; i < INSTANCES; i++) batch.push({ labels: { __name__: 'bench_requests_total', service: `s${s}`, route: `/r${r}`, instance: `i${i}` }, timestampMs: t, value: k * 15 * (1 + ((s + r + i) % 7)) });
  await stores.metrics.appendSamples(batch);
  written += batch.length;
}
console.log(`${written} samples in ${((performance.now() - loadStarted) / 1000).toFixed(1)} s`);

// The rules: per service and route, a request-rate threshold; about one in seven fires.
const groups: string[] = [];
const perGroup = Math.ceil(RULES / 10);
for (let g = 0; g * perGroup < RULES; g++) {
  const rules: string[] = [];
  for (let n = g * perGroup; n < Math.min(RULES, (g + 1) * perGroup); n++) {
    const [s, r] = [n % SERVICES, Math.floor(n / SERVICES) % ROUTES];
    rules.push(`      - alert: HighRate_${n}\n        expr: sum by (service, route) (rate(bench_requests_total{service="s${s}", route="/r${r}"}[5m])) > ${4.5 * INSTANCES}\n        labels:\n          severity: warning\n        annotations:\n          summary: "{{ $labels.service }} {{ $labels.route }}: {{ $value | humanize }} requests/s"`);
  }
  groups.push(`  - name: bench-${g}\n    interval: 1m\n    rules:\n${rules.join('\n')}`);
}
const definitions = readRuleText('bench.rules.yaml', `groups:\n${groups.join('\n')}\n`);

let alertsWritten = 0;
const manager = new RuleManager({
  query: new EngineRuleQuery(stores.metrics, DEFAULT_QUERY_LIMITS),
  output: {
    write: async (samples) => {
      alertsWritten += samples.length;
      await stores.metrics.appendSamples(samples);
    },
  },
  notifiers: [],
  history: new AlertHistory({ file: null, retentionMs: 86_400_000, maxEntries: 100_000 }),
  stateStore: null,
  savedState: null,
  defaultIntervalMs: 60_000,
  resendDelayMs: 60_000,
  externalLabels: {},
  externalURL: () => 'http://bench',
  now: () => now,
  log: createLog('error'),
  observer: { evaluated: () => undefined, missed: () => undefined },
});
await manager.replace(definitions);

const rounds: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const t = now + round * 1000;
  alertsWritten = 0;
  const started = performance.now();
  for (const g of manager.groups()) await manager.evaluateGroup(g.name, t);
  rounds.push(performance.now() - started);
  const firing = manager.groups().flatMap((g) => g.rules).filter((r) => r.kind === 'alert' && r.state === 'firing').length;
  console.log(`round ${round + 1}: ${rounds.at(-1)!.toFixed(0)} ms (${firing} of ${RULES} rules firing, ${alertsWritten} ALERTS samples written)`);
}
const failures = manager.groups().flatMap((g) => g.rules).filter((r) => r.health === 'err');
if (failures.length > 0) throw new Error(`${failures.length} rules failed: ${failures[0]!.lastError}`);

console.log('');
console.log(machineLine());
console.log(`alert evaluation: ${RULES} rules in ${groups.length} groups over ${SERVICES * ROUTES * INSTANCES} series, embedded engine`);
console.log(`round: median ${percentile(rounds, 50).toFixed(0)} ms, max ${Math.max(...rounds).toFixed(0)} ms (target < 1000 ms) — ${((percentile(rounds, 50) / RULES) * 1000).toFixed(0)} µs per rule`);
await stores.close();
fs.rmSync(dir, { recursive: true, force: true });
