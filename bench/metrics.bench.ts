/**
 * Metrics: ingest samples/s by remote write into a collector process, then
 * PromQL range queries (`rate`, `sum by`, `histogram_quantile`) over 10,000
 * series and one hour at 15 s steps — the collector and a real Prometheus
 * (Debian's, same data by remote write, same machine, same run) — and the
 * ratio of their latencies.
 *
 *   npm run bench -- metrics [--series 10000] [--rounds 5]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { spawnCollector } from '../collector/test/support/collectorProcess.ts';
import { remoteWriteBody, startPrometheus } from '../collector/test/support/prometheus.ts';
import { machineLine } from './machine.ts';

const { values } = parseArgs({ options: { series: { type: 'string', default: '10000' }, rounds: { type: 'string', default: '5' } } });
const SERIES = Number(values.series);
const ROUNDS = Number(values.rounds);
const STEP = 15_000;
const END = Math.floor((Date.now() - 60_000) / STEP) * STEP;
const START = END - 3_600_000;
const POINTS = (END - START) / STEP + 1;

/**
 * The data: SERIES series in all, half of them a counter `bench_requests_total`
 * over 50 services × instances, half histogram buckets `bench_latency_seconds_bucket`
 * (10 buckets per service and instance), one sample per 15 s for an hour.
 */
function* writeRequests(seriesPerRequest: number): Generator<{ body: Buffer; samples: number }> {
  const all: Array<{ labels: Array<{ name: string; value: string }>; kind: 'counter' | 'bucket'; rate: number }> = [];
  const counters = SERIES / 2;
  for (let i = 0; i < counters; i++) all.push({ labels: [{ name: '__name__', value: 'bench_requests_total' }, { name: 'instance', value: `i${i % 200}` }, { name: 'route', value: `/r${Math.floor(i / 200)}` }, { name: 'service', value: `s${i % 50}` }], kind: 'counter', rate: 1 + (i % 7) });
  const les = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '+Inf'];
  for (let i = 0; all.length < SERIES; i++) {
    const le = les[i % les.length]!;
    all.push({ labels: [{ name: '__name__', value: 'bench_latency_seconds_bucket' }, { name: 'instance', value: `i${Math.floor(i / 10) % 100}` }, { name: 'le', value: le }, { name: 'service', value: `s${Math.floor(i / 1000) % 50}` }, { name: 'shard', value: String(Math.floor(i / 100_000)) }], kind: 'bucket', rate: (i % 10) + 1 });
  }
  for (let i = 0; i < all.length; i += seriesPerRequest) {
    const chunk = all.slice(i, i + seriesPerRequest);
    const timeseries = chunk.map((s) => ({ labels: s.labels, samples: Array.from({ length: POINTS }, (_, k) => ({ timestamp: START + k * STEP, value: k * s.rate * 15 })) }));
    yield { body: remoteWriteBody({ timeseries }), samples: chunk.length * POINTS };
  }
}

async function write(url: string): Promise<{ samples: number; seconds: number }> {
  const started = performance.now();
  let samples = 0;
  const inFlight = new Set<Promise<void>>();
  for (const request of writeRequests(100)) {
    const p = fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy' }, body: request.body }).then(async (res) => {
      if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
      samples += request.samples;
    });
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
    if (inFlight.size >= 4) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  return { samples, seconds: (performance.now() - started) / 1000 };
}

const QUERIES = [
  ['rate', 'rate(bench_requests_total[5m])'],
  ['sum by', 'sum by (service) (rate(bench_requests_total[5m]))'],
  ['histogram_quantile', 'histogram_quantile(0.99, sum by (le, service) (rate(bench_latency_seconds_bucket[5m])))'],
] as const;

async function latency(base: string, query: string): Promise<number> {
  const url = `${base}/api/v1/query_range?query=${encodeURIComponent(query)}&start=${START / 1000}&end=${END / 1000}&step=15`;
  const times: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t = performance.now();
    const res = await fetch(url);
    const body = (await res.json()) as { status: string; error?: string };
    if (body.status !== 'success') throw new Error(`${base}: ${body.error}`);
    times.push(performance.now() - t);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
}

console.log(machineLine());
console.log(`${SERIES} series × ${POINTS} samples (1 h at 15 s) = ${(SERIES * POINTS).toLocaleString('en-US')} samples`);

const collector = await spawnCollector(['--port', '0', '--grpc-port', 'off', '--data-dir', fs.mkdtempSync(path.join(os.tmpdir(), 'mirador-bench-metrics-'))]);
const prometheus = await startPrometheus('global: { scrape_interval: 1m }\n', { remoteWriteReceiver: true });
const prometheusUrl = prometheus.url;
try {
  const mine = await write(`${collector.url}/api/v1/write`);
  const theirs = await write(`${prometheusUrl}/api/v1/write`);
  console.log(`\ningest by remote write (batches of 100 series, 4 in flight):`);
  console.log(`  collector : ${Math.round(mine.samples / mine.seconds).toLocaleString('en-US')} samples/s (${mine.seconds.toFixed(1)} s)`);
  console.log(`  prometheus: ${Math.round(theirs.samples / theirs.seconds).toLocaleString('en-US')} samples/s (${theirs.seconds.toFixed(1)} s)`);
  console.log(`\nrange queries over 1 h at 15 s steps, median of ${ROUNDS}:`);
  for (const [name, query] of QUERIES) {
    const a = await latency(collector.url, query);
    const b = await latency(prometheusUrl, query);
    console.log(`  ${name.padEnd(18)} collector ${a.toFixed(0).padStart(6)} ms   prometheus ${b.toFixed(0).padStart(6)} ms   ratio x${(a / b).toFixed(1)}`);
  }
} finally {
  await prometheus.stop();
  collector.child.kill('SIGTERM');
}
