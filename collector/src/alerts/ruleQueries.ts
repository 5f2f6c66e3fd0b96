import type { MetricSample } from '../model/metric.ts';
import snappy from 'snappy';
import { encodeWriteRequest } from '../metrics/remoteWriteEncode.ts';
import { parsePromQL, type Expr } from '../promql/ast.ts';
import { Engine, selectorWindows, type QueryLimits } from '../promql/Engine.ts';
import { SnapshotStore } from '../promql/SnapshotStore.ts';
import { PrometheusApiClient } from '../store/prometheus/PrometheusApiClient.ts';
import type { MetricStore } from '../store/types.ts';
import type { RuleOutput } from './RuleGroup.ts';
import type { InstantSample, RuleQuery } from './ruleTypes.ts';

/** Samples a round's snapshot holds at most (~16 bytes each); metrics beyond are read per rule. */
const SNAPSHOT_MAX_SAMPLES = 4_000_000;
/** A snapshot unused this long is let go (the round is over). */
const SNAPSHOT_IDLE_MS = 1000;

/**
 * Rules evaluated by the embedded PromQL engine. Each expression is parsed
 * once; before a group is evaluated, the metrics its rules read are loaded
 * into a snapshot for that evaluation time (see {@link SnapshotStore}), so
 * a thousand rules over the same metrics cost a few store reads, not a thousand.
 */
export class EngineRuleQuery implements RuleQuery {
  private readonly engine: Engine;
  private readonly snapshot: SnapshotStore;
  private readonly lookbackMs: number;
  private readonly parsed = new Map<string, Expr>();
  private snapshotTime: number | null = null;
  private idleTimer: NodeJS.Timeout | null = null;

  constructor(store: MetricStore, limits: QueryLimits) {
    this.snapshot = new SnapshotStore(store, Math.min(SNAPSHOT_MAX_SAMPLES, limits.maxSamples));
    this.engine = new Engine(this.snapshot, limits);
    this.lookbackMs = limits.lookbackMs;
  }

  async prepare(exprs: readonly string[], timeMs: number): Promise<void> {
    if (this.snapshotTime !== timeMs) this.snapshot.forget();
    this.snapshotTime = timeMs;
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      this.snapshot.forget();
      this.snapshotTime = null;
    }, SNAPSHOT_IDLE_MS);
    this.idleTimer.unref();
    const windows = new Map<string, [number, number]>();
    for (const text of exprs) {
      for (const [vs, [from, to]] of selectorWindows(this.parse(text), timeMs, timeMs, this.lookbackMs)) {
        const name = vs.matchers.find((m) => m.name === '__name__' && m.type === '=')?.value;
        if (name === undefined) continue;
        const have = windows.get(name);
        windows.set(name, have === undefined ? [from, to] : [Math.min(from, have[0]), Math.max(to, have[1])]);
      }
    }
    await this.snapshot.load(windows);
  }

  written(samples: readonly MetricSample[]): void {
    for (const name of new Set(samples.map((s) => s.labels.__name__!))) this.snapshot.forget(name);
  }

  async instant(expr: string, timeMs: number): Promise<InstantSample[]> {
    const [value] = await this.engine.evaluate(this.parse(expr), timeMs, timeMs, 1);
    if (value!.type === 'scalar') return [{ labels: {}, value: value!.value }];
    if (value!.type === 'vector') return value!.samples.map((s) => ({ labels: s.labels, value: s.value }));
    throw new Error(`rule expression must return an instant vector or a scalar, got a ${value!.type === 'matrix' ? 'range vector' : value!.type}`);
  }

  private parse(expr: string): Expr {
    let e = this.parsed.get(expr);
    if (e === undefined) {
      e = parsePromQL(expr);
      if (this.parsed.size > 10_000) this.parsed.clear();
      this.parsed.set(expr, e);
    }
    return e;
  }
}

/** Rules evaluated by a remote Prometheus-compatible API (`<url>/api/v1/query`). */
export class RemoteRuleQuery implements RuleQuery {
  private readonly api: PrometheusApiClient;

  constructor(url: string, timeoutMs: number) {
    this.api = new PrometheusApiClient(url, timeoutMs);
  }

  async instant(expr: string, timeMs: number): Promise<InstantSample[]> {
    const { resultType, result } = await this.api.call<{ resultType: string; result: unknown }>('/api/v1/query', [
      ['query', expr],
      ['time', String(timeMs / 1000)],
    ]);
    if (resultType === 'scalar') return [{ labels: {}, value: Number((result as [number, string])[1]) }];
    if (resultType !== 'vector') throw new Error(`rule expression must return an instant vector or a scalar, got ${resultType}`);
    return (result as Array<{ metric: Record<string, string>; value: [number, string] }>).map((s) => ({ labels: s.metric, value: Number(s.value[1]) }));
  }
}

/** Rule results written to a remote Prometheus-compatible store by remote write 1.0. */
export class RemoteWriteRuleOutput implements RuleOutput {
  private readonly url: string;
  private readonly timeoutMs: number;

  constructor(url: string, timeoutMs: number) {
    this.url = url;
    this.timeoutMs = timeoutMs;
  }

  async write(samples: MetricSample[]): Promise<void> {
    const response = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy', 'x-prometheus-remote-write-version': '0.1.0' },
      body: snappy.compressSync(encodeWriteRequest(samples)),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (!response.ok) throw new Error(`remote write to ${this.url} answered ${response.status}: ${(await response.text()).slice(0, 200)}`);
  }
}
