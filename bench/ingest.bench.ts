/**
 * Ingest benchmark: OTLP protobuf batches of 512 over loopback HTTP into a
 * collector process on the embedded store, then trace-by-id and
 * logs-by-trace-id latency at two store sizes, and the collector's peak RSS.
 *
 *   npm run bench -- ingest                       # 60 s phases, 1M and 10M rows
 *   npm run bench -- ingest --seconds 10 --sizes 1000000   # shorter
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { spawnCollector } from '../collector/test/support/collectorProcess.ts';
import { machineLine, percentile, processMemoryMiB } from './machine.ts';
import { BATCH, OtlpLoad } from './otlpLoad.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    sizes: { type: 'string', default: '1000000,10000000' },
    concurrency: { type: 'string', default: '6' },
    lookups: { type: 'string', default: '300' },
  },
});
const SECONDS = Number(values.seconds);
const SIZES = values.sizes!.split(',').map(Number);
const CONCURRENCY = Number(values.concurrency);
const LOOKUPS = Number(values.lookups);

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mirador-bench-'));
const collector = await spawnCollector(['--port', '0', '--grpc-port', 'off', '--data-dir', dataDir, '--retention', '30d']);
const pid = collector.child.pid!;
console.log(machineLine());
console.log(`collector pid ${pid}, data in ${dataDir}`);
const load = new OtlpLoad(collector.url, CONCURRENCY);
const stored = load.stored;

const peakRssMiB = () => processMemoryMiB(pid, 'VmHWM');

const fmt = (n: number) => Math.round(n).toLocaleString('en');
const ms = (v: number[]) => `p50 ${percentile(v, 50).toFixed(2)} ms, p99 ${percentile(v, 99).toFixed(2)} ms`;

console.log(`\nsustained ingest, ${SECONDS} s each, ${CONCURRENCY} concurrent senders, batches of ${BATCH}:`);
const spanRate = await load.drive('spans', SECONDS);
console.log(`spans/s: ${fmt(spanRate)}`);
const logRate = await load.drive('logs', SECONDS);
console.log(`log records/s: ${fmt(logRate)}`);

for (const size of SIZES) {
  if (stored.spans < size) await load.drive('spans', Infinity, size - stored.spans);
  if (stored.logs < size) await load.drive('logs', Infinity, size - stored.logs);
  const { trace, logs } = await load.lookups(LOOKUPS);
  console.log(`\nat ${fmt(stored.spans)} spans + ${fmt(stored.logs)} logs (${(fs.statSync(path.join(dataDir, 'mirador.duckdb')).size / 2 ** 20).toFixed(0)} MiB file):`);
  console.log(`trace by id (${trace.length} lookups): ${ms(trace)}`);
  console.log(`logs by trace id (${logs.length} lookups): ${ms(logs)}`);
  const text = await load.textSearches();
  console.log(`log text search, last hour, limit 100: common phrase ${ms(text.common)}; absent term (full scan of the hour) ${ms(text.absent)}`);
  console.log(`collector peak RSS so far: ${peakRssMiB().toFixed(0)} MiB`);
}

console.log(`\nRESULT spans/s=${fmt(spanRate)} logs/s=${fmt(logRate)} peakRSS=${peakRssMiB().toFixed(0)}MiB`);
collector.child.kill('SIGTERM');
await new Promise((r) => collector.child.once('exit', r));
fs.rmSync(dataDir, { recursive: true, force: true });
