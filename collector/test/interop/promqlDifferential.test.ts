/**
 * PromQL, differentially: the same samples go into a real Prometheus
 * (Debian's 2.42, by remote write) and into the collector, and every
 * expression below must give the same answer from both — the same series,
 * the same timestamps, values equal within 1e-9 relative — as an instant
 * query at several times and as a range query. Any difference is a bug.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STALE_NAN } from '../../src/model/metric.ts';
import { remoteWriteBody, startPrometheus, type RunningPrometheus } from '../support/prometheus.ts';
import { startTestCollector } from '../support/testCollector.ts';

type Collector = Awaited<ReturnType<typeof startTestCollector>>;
let collector: Collector;
let prometheus: RunningPrometheus | undefined;

const STEP_MS = 15_000;
/** The data spans 40 minutes ending two minutes ago, on 15 s boundaries. */
const END = Math.floor((Date.now() - 120_000) / STEP_MS) * STEP_MS;
const START = END - 40 * 60_000;

type Series = { labels: Record<string, string>; samples: Array<[number, number]> };

/** Counters (one with a reset), gauges (one that stops), a histogram, an info metric. */
function testData(): Series[] {
  const series: Series[] = [];
  const add = (labels: Record<string, string>, f: (i: number, t: number) => number | null) => {
    const samples: Array<[number, number]> = [];
    for (let t = START, i = 0; t <= END; t += STEP_MS, i++) {
      const v = f(i, t);
      if (v !== null) samples.push([t, v]);
    }
    series.push({ labels, samples });
  };
  for (const instance of ['a', 'b']) {
    for (const method of ['GET', 'POST']) {
      const rate = (instance === 'a' ? 3 : 1.5) * (method === 'GET' ? 2 : 1);
      // instance b restarts 25 minutes in: its counters reset.
      add({ __name__: 'http_requests_total', job: 'api', instance, method }, (i) => (instance === 'b' && i >= 100 ? (i - 100) * rate * 15 : i * rate * 15 + (method === 'POST' ? 7 : 0)));
    }
    add({ __name__: 'memory_bytes', job: 'api', instance }, (i) => 1e6 * (instance === 'a' ? 2 : 3) + 1e5 * Math.sin(i / 7));
    add({ __name__: 'temperature_celsius', job: 'sensors', instance }, (i) => (instance === 'a' ? 20 : -5) + 0.25 * (i % 13) - (i % 5 === 0 ? 1.5 : 0));
  }
  // A gauge that stops reporting 15 minutes before the end.
  add({ __name__: 'batch_progress', job: 'batch', instance: 'c' }, (i, t) => (t > END - 15 * 60_000 ? null : i * 0.5));
  // One that is marked stale (Prometheus' stale marker, as a scrape that lost its target writes it) 10 minutes before the end.
  add({ __name__: 'queue_depth', job: 'batch', instance: 'd' }, (i, t) => (t === END - 10 * 60_000 ? STALE_NAN : t > END - 10 * 60_000 ? null : 100 + (i % 9)));
  // A histogram of request durations, cumulative buckets growing at different paces.
  const bounds = ['0.1', '0.25', '0.5', '1', '+Inf'];
  const paces = [10, 16, 19, 20, 20.5];
  bounds.forEach((le, j) => add({ __name__: 'request_duration_seconds_bucket', job: 'api', le }, (i) => Math.floor(i * paces[j]!)));
  add({ __name__: 'request_duration_seconds_count', job: 'api' }, (i) => Math.floor(i * 20.5));
  add({ __name__: 'request_duration_seconds_sum', job: 'api' }, (i) => i * 4.2);
  add({ __name__: 'build_info', job: 'api', version: '1.4.2', instance: 'a' }, () => 1);
  add({ __name__: 'build_info', job: 'api', version: '1.5.0', instance: 'b' }, () => 1);
  return series;
}

async function remoteWrite(url: string, series: Series[]): Promise<void> {
  // Prometheus takes at most a few thousand samples per write comfortably; send in slices.
  for (let i = 0; i < series.length; i += 4) {
    const body = remoteWriteBody({
      timeseries: series.slice(i, i + 4).map((s) => ({ labels: Object.entries(s.labels).sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, value]) => ({ name, value })), samples: s.samples.map(([timestamp, value]) => ({ timestamp, value })) })),
    });
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy', 'x-prometheus-remote-write-version': '0.1.0' }, body });
    if (res.status !== 204 && res.status !== 200) throw new Error(`remote write to ${url}: ${res.status} ${await res.text()}`);
  }
}

beforeAll(async () => {
  collector = await startTestCollector(['--grpc-port', 'off']);
  prometheus = await startPrometheus('global: { scrape_interval: 1m }\n', { remoteWriteReceiver: true });
  const data = testData();
  await remoteWrite(`${prometheus.url}/api/v1/write`, data);
  await remoteWrite(`${collector.url}/api/v1/write`, data);
}, 60_000);
afterAll(async () => {
  await prometheus?.stop();
  await collector?.stop();
});

type Result = { status: string; data?: { resultType: string; result: unknown }; errorType?: string; error?: string };

async function query(base: string, pathAndQuery: string): Promise<Result> {
  return (await (await fetch(`${base}${pathAndQuery}`)).json()) as Result;
}

/** Series sorted by their labels, values as numbers, for comparison. */
function normalise(r: Result): unknown {
  if (r.status !== 'success') return { error: r.errorType };
  const { resultType, result } = r.data!;
  const num = (p: [number, string]) => [p[0], Number(p[1])];
  if (resultType === 'scalar' || resultType === 'string') return { resultType, result: resultType === 'scalar' ? num(result as [number, string]) : result };
  const series = (result as Array<{ metric: Record<string, string>; value?: [number, string]; values?: Array<[number, string]> }>).map((s) => ({
    metric: JSON.stringify(Object.entries(s.metric).sort()),
    points: s.values !== undefined ? s.values.map(num) : [num(s.value!)],
  }));
  series.sort((a, b) => (a.metric < b.metric ? -1 : 1));
  return { resultType, series };
}

function close(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') {
    if (Number.isNaN(a) && Number.isNaN(b)) return true;
    if (a === b) return true;
    return Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));
  }
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => close(x, b[i]));
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => close((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return a === b;
}

const EXPRESSIONS = [
  // selectors, matchers, modifiers
  'http_requests_total',
  'http_requests_total{instance="a"}',
  'http_requests_total{method!="GET"}',
  'http_requests_total{instance=~"a|b", method=~"P.*"}',
  'http_requests_total{instance!~"a"}',
  '{__name__=~"memory_.*"}',
  'memory_bytes offset 5m',
  'memory_bytes offset -2m',
  `memory_bytes @ ${(END - 600_000) / 1000}`,
  'memory_bytes @ start()',
  'memory_bytes @ end()',
  'batch_progress',
  'queue_depth',
  'last_over_time(queue_depth[15m])',
  'count_over_time(queue_depth[15m])',
  'queue_depth offset 12m',
  // rates and deltas
  'rate(http_requests_total[5m])',
  'rate(http_requests_total[1m])',
  'irate(http_requests_total[5m])',
  'increase(http_requests_total[10m])',
  'delta(memory_bytes[5m])',
  'idelta(memory_bytes[5m])',
  'rate(http_requests_total[5m] offset 10m)',
  'resets(http_requests_total[30m])',
  'changes(temperature_celsius[10m])',
  'deriv(memory_bytes[10m])',
  'predict_linear(memory_bytes[10m], 600)',
  // over time
  'avg_over_time(memory_bytes[5m])',
  'min_over_time(temperature_celsius[5m])',
  'max_over_time(temperature_celsius[5m])',
  'sum_over_time(temperature_celsius[5m])',
  'count_over_time(memory_bytes[5m])',
  'last_over_time(batch_progress[10m])',
  'present_over_time(batch_progress[10m])',
  'stddev_over_time(temperature_celsius[10m])',
  'stdvar_over_time(temperature_celsius[10m])',
  'quantile_over_time(0.9, temperature_celsius[10m])',
  'absent_over_time(batch_progress[5m])',
  'absent_over_time(nonexistent{job="x"}[5m])',
  // aggregations
  'sum(rate(http_requests_total[5m]))',
  'sum by (instance) (rate(http_requests_total[5m]))',
  'sum without (method) (rate(http_requests_total[5m]))',
  'avg by (job) (memory_bytes)',
  'min(temperature_celsius)',
  'max by (job) (temperature_celsius)',
  'count by (job) (http_requests_total)',
  'group by (instance) (http_requests_total)',
  'stddev(temperature_celsius)',
  'stdvar by (job) (memory_bytes)',
  'topk(2, rate(http_requests_total[5m]))',
  'bottomk(1, memory_bytes)',
  'quantile(0.5, rate(http_requests_total[5m]))',
  'count_values("version", build_info)',
  'sum(http_requests_total) by (method)',
  // histograms
  'histogram_quantile(0.9, rate(request_duration_seconds_bucket[5m]))',
  'histogram_quantile(0.5, sum by (le) (rate(request_duration_seconds_bucket[10m])))',
  'histogram_quantile(0.99, rate(request_duration_seconds_bucket[5m]))',
  'rate(request_duration_seconds_sum[5m]) / rate(request_duration_seconds_count[5m])',
  // binary operators
  'memory_bytes / 1024',
  '2 * memory_bytes',
  'memory_bytes % 7',
  'memory_bytes ^ 0.5',
  '-memory_bytes',
  'temperature_celsius > 20',
  'temperature_celsius > bool 20',
  '20 < temperature_celsius',
  'temperature_celsius == bool 20.5',
  'http_requests_total{method="GET"} / ignoring(method) http_requests_total{method="POST"}',
  'http_requests_total / on(instance, method) group_left(version) build_info',
  'sum by (instance) (rate(http_requests_total[5m])) * on(instance) group_left(version) build_info',
  'build_info * on(instance) group_right(version) sum by (instance) (rate(http_requests_total[5m]))',
  'memory_bytes > on(instance) memory_bytes offset 5m',
  'http_requests_total and http_requests_total{instance="a"}',
  'http_requests_total or memory_bytes',
  'http_requests_total unless on(instance) build_info{version="1.5.0"}',
  'memory_bytes - on() group_left sum(memory_bytes)',
  '1 + 2 * 3',
  '(1 + 2) / 4',
  '2 ^ 3 ^ 2',
  '5 > bool 3',
  // functions
  'abs(-memory_bytes)',
  'ceil(temperature_celsius)',
  'floor(temperature_celsius)',
  'round(temperature_celsius)',
  'round(temperature_celsius, 0.5)',
  'sqrt(memory_bytes)',
  'exp(temperature_celsius / 10)',
  'ln(memory_bytes)',
  'log2(memory_bytes)',
  'log10(memory_bytes)',
  'sgn(temperature_celsius)',
  'clamp(temperature_celsius, 0, 21)',
  'clamp_min(temperature_celsius, 0)',
  'clamp_max(temperature_celsius, 20.5)',
  'sin(temperature_celsius)',
  'cos(temperature_celsius)',
  'tan(temperature_celsius / 100)',
  'atan(temperature_celsius)',
  'deg(temperature_celsius)',
  'rad(temperature_celsius)',
  'timestamp(memory_bytes)',
  'time()',
  'vector(42)',
  'scalar(sum(memory_bytes))',
  'scalar(memory_bytes)',
  'memory_bytes * scalar(count(memory_bytes))',
  'absent(nonexistent)',
  'absent(nonexistent{job="x", instance="y"})',
  'absent(memory_bytes)',
  'label_replace(memory_bytes, "host", "node-$1", "instance", "(.*)")',
  'label_replace(memory_bytes, "instance", "", "instance", "a")',
  'label_join(http_requests_total, "key", "/", "instance", "method")',
  'hour()',
  'minute(vector(1700000000))',
  'day_of_week(vector(1700000000))',
  'days_in_month(vector(1709251200))',
  'year(vector(1700000000))',
  'month(vector(1700000000))',
  'day_of_month(vector(1700000000))',
  'day_of_year(vector(1700000000))',
  'holt_winters(memory_bytes[10m], 0.5, 0.5)',
  // more operators and matching
  'temperature_celsius atan2 2',
  'temperature_celsius != 20',
  'temperature_celsius <= bool 19.75',
  'temperature_celsius >= 20.5',
  'http_requests_total > bool on(instance, method) http_requests_total offset 1m',
  'memory_bytes and on() vector(1)',
  'http_requests_total or on(instance) memory_bytes',
  'http_requests_total unless http_requests_total{method="GET"}',
  '0 / 0',
  '1 / 0',
  '-1 / 0',
  'vector(time())',
  'time() - timestamp(memory_bytes)',
  // more functions and domains
  'acos(clamp(temperature_celsius / 30, -1, 1))',
  'asin(clamp(temperature_celsius / 30, -1, 1))',
  'acosh(memory_bytes)',
  'asinh(temperature_celsius)',
  'atanh(clamp(temperature_celsius / 30, -0.99, 0.99))',
  'cosh(temperature_celsius / 10)',
  'sinh(temperature_celsius / 10)',
  'tanh(temperature_celsius)',
  'pi()',
  'sort(memory_bytes)',
  'sort_desc(rate(http_requests_total[5m]))',
  'clamp(temperature_celsius, 5, 1)',
  'round(-2.5 * temperature_celsius)',
  'label_replace(memory_bytes, "x", "$1", "instance", "z(.*)")',
  'label_replace(memory_bytes, "pod", "${1}-x", "instance", "(a)")',
  // aggregation variants
  'topk by (instance) (1, rate(http_requests_total[5m]))',
  'bottomk without (method) (1, http_requests_total)',
  'quantile by (method) (0.9, rate(http_requests_total[5m]))',
  'count_values by (job) ("value", temperature_celsius)',
  'avg(memory_bytes) without (instance)',
  'stddev by (instance) (memory_bytes)',
  'group(memory_bytes)',
  'count by (version) (build_info)',
  'sum(rate(http_requests_total[5m])) by (instance, method)',
  // counter resets and missing data
  'increase(http_requests_total{instance="b"}[20m])',
  'irate(http_requests_total{instance="b"}[2m])',
  'delta(http_requests_total[5m])',
  'deriv(http_requests_total[5m])',
  'changes(http_requests_total[30m])',
  'rate(batch_progress[5m])',
  'batch_progress offset 20m',
  'last_over_time(batch_progress[20m])',
  'count(batch_progress)',
  'sum_over_time(batch_progress[2m])',
  'min_over_time(memory_bytes[1m] offset 10m)',
  // histogram edges
  'histogram_quantile(0, rate(request_duration_seconds_bucket[5m]))',
  'histogram_quantile(1.5, rate(request_duration_seconds_bucket[5m]))',
  'histogram_quantile(0.75, sum without (job) (rate(request_duration_seconds_bucket[5m])))',
  // subqueries
  'max_over_time(memory_bytes[10m:1m] offset 5m)',
  'min_over_time(memory_bytes[10m:1m] @ end())',
  'max_over_time(rate(http_requests_total[5m])[15m:1m])',
  'avg_over_time(memory_bytes[10m:30s])',
  'rate(http_requests_total[5m:1m])',
];

describe('PromQL against a real Prometheus', () => {
  it.each(EXPRESSIONS)('%s', async (expression) => {
    const q = encodeURIComponent(expression);
    for (const t of [END - 20 * 60_000, END - 10 * 60_000 - 7_000, END + 60_000]) {
      const instant = `/api/v1/query?query=${q}&time=${t / 1000}`;
      const [mine, theirs] = [normalise(await query(collector.url, instant)), normalise(await query(prometheus!.url, instant))];
      expect(close(mine, theirs), `instant query at ${t}:\nmirador:    ${JSON.stringify(mine)}\nprometheus: ${JSON.stringify(theirs)}`).toBe(true);
    }
    {
      const range = `/api/v1/query_range?query=${q}&start=${(START + 5 * 60_000) / 1000}&end=${(END + 60_000) / 1000}&step=60`;
      const [mine, theirs] = [normalise(await query(collector.url, range)), normalise(await query(prometheus!.url, range))];
      expect(close(mine, theirs), `range query:\nmirador:    ${JSON.stringify(mine).slice(0, 3000)}\nprometheus: ${JSON.stringify(theirs).slice(0, 3000)}`).toBe(true);
    }
  });
});
