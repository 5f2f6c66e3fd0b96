/**
 * Remote-write outage: a collector with a Prometheus backend (Debian's, with
 * its remote-write receiver) under steady remote-write load; Prometheus is
 * killed for --outage seconds and started again on the same data. Figures:
 * samples acknowledged during the outage, the disk buffer's peak, the time to
 * drain after Prometheus is back, and the samples missing at the end (must be 0).
 *
 *   npm run bench -- remoteWriteOutage [--outage 180] [--series 1000] [--rate 20000]
 */
import { parseArgs } from 'node:util';
import type { PrometheusMetricStore } from '../collector/src/store/prometheus/PrometheusMetricStore.ts';
import { remoteWriteBody, startPrometheus } from '../collector/test/support/prometheus.ts';
import { startTestCollector } from '../collector/test/support/testCollector.ts';
import { machineLine } from './machine.ts';

const { values } = parseArgs({ options: { outage: { type: 'string', default: '180' }, series: { type: 'string', default: '1000' }, rate: { type: 'string', default: '20000' } } });
const OUTAGE_MS = Number(values.outage) * 1000;
const SERIES = Number(values.series);
const RATE = Number(values.rate); // samples/s offered
const CONFIG = 'global:\n  scrape_interval: 1h\n';

let prometheus = await startPrometheus(CONFIG, { remoteWriteReceiver: true });
const collector = await startTestCollector(['--metrics-backend', 'prometheus', '--metrics-remote-write-url', `${prometheus.url}/api/v1/write`, '--metrics-query-url', prometheus.url]);
const queue = (collector.stores.metrics as PrometheusMetricStore).queue;
const base = Date.now() - 5000;
let round = 0;
let acknowledged = 0;
let refused = 0;
let peakBuffer = 0;

/** Offers one round (one sample of every series) every SERIES/RATE seconds. */
async function load(ms: number): Promise<void> {
  const until = Date.now() + ms;
  const interval = (SERIES / RATE) * 1000;
  while (Date.now() < until) {
    const started = Date.now();
    const t = base + round * 10;
    const body = remoteWriteBody({ timeseries: Array.from({ length: SERIES }, (_, i) => ({ labels: [{ name: '__name__', value: 'outage_bench' }, { name: 'series', value: String(i) }], samples: [{ value: round, timestamp: t }] })) });
    round++;
    const res = await fetch(`${collector.url}/api/v1/write`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy' }, body });
    if (res.ok) acknowledged += SERIES;
    else refused += SERIES;
    peakBuffer = Math.max(peakBuffer, queue.bufferedBytes);
    await new Promise((r) => setTimeout(r, Math.max(0, interval - (Date.now() - started))));
  }
}

console.log(`load: ${SERIES} series, ${RATE} samples/s offered; outage ${OUTAGE_MS / 1000} s`);
await load(5000);
await prometheus.stop();
const before = acknowledged;
await load(OUTAGE_MS);
const duringOutage = acknowledged - before;
prometheus = await startPrometheus(CONFIG, { remoteWriteReceiver: true, port: prometheus.port, dir: prometheus.dir });
const back = Date.now();
await load(5000);
while (!queue.drained) await new Promise((r) => setTimeout(r, 100));
const drainSeconds = (Date.now() - back) / 1000;
const res = await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent('sum(count_over_time(outage_bench[1h]))')}&time=${(base + round * 10 + 1000) / 1000}`);
const stored = Number(((await res.json()) as { data: { result: Array<{ value: [number, string] }> } }).data.result[0]?.value[1] ?? 0);
console.log('');
console.log(machineLine());
console.log(`acknowledged during the outage: ${duringOutage} samples (${refused} refused in all)`);
console.log(`disk buffer peak: ${(peakBuffer / 2 ** 20).toFixed(1)} MiB`);
console.log(`drained ${drainSeconds.toFixed(1)} s after Prometheus was back (5 s of it under continued load)`);
console.log(`acknowledged ${acknowledged}, in Prometheus ${stored}: ${acknowledged - stored} missing`);
await collector.stop();
await prometheus.stop();
