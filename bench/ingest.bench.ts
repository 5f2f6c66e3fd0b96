/**
 * Ingest benchmark: OTLP protobuf batches of 512 over loopback HTTP into a
 * collector process on the embedded store, then trace-by-id and
 * logs-by-trace-id latency at two store sizes, and the collector's peak RSS.
 *
 *   npm run bench -- ingest                       # 60 s phases, 1M and 10M rows
 *   npm run bench -- ingest --seconds 10 --sizes 1000000   # shorter
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { otlpTypes } from '../collector/src/otlp/otlpSchema.ts';
import { spawnCollector } from '../collector/test/support/collectorProcess.ts';
import { machineLine, percentile } from './machine.ts';

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
const BATCH = 512;
const SPANS_PER_TRACE = 8;
const LOGS_PER_TRACE = 4;

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mirador-bench-'));
const collector = await spawnCollector(['--port', '0', '--grpc-port', 'off', '--data-dir', dataDir, '--retention', '30d']);
const pid = collector.child.pid!;
console.log(machineLine());
console.log(`collector pid ${pid}, data in ${dataDir}`);

/** Trace ids sent so far, a sample kept for lookups. */
const sampleTraceIds: string[] = [];
const stored = { spans: 0, logs: 0 };

const kv = (key: string, v: string | number) => ({ key, value: typeof v === 'string' ? { stringValue: v } : { intValue: v } });
const services = ['gateway', 'order', 'catalog', 'inventory', 'payment'];

/**
 * A pre-encoded batch whose trace ids are replaced by fresh random ones per
 * request, so the load generator spends almost nothing per request and the
 * figures measure the collector, not protobufjs encoding in the sender.
 */
interface Template {
  bytes: Buffer;
  /** Byte offsets of each trace's id; every span or record of the trace carries it. */
  traceIdOffsets: number[][];
  /** Byte offsets and values of the fixed64 timestamps, moved to the time of sending. */
  times: Array<{ at: number; value: bigint }>;
  createdNs: bigint;
}

function offsetsOf(bytes: Buffer, needle: Buffer): number[] {
  const offsets: number[] = [];
  for (let at = bytes.indexOf(needle); at >= 0; at = bytes.indexOf(needle, at + 1)) offsets.push(at);
  return offsets;
}

function template(message: Uint8Array, traceIds: Buffer[], timeValues: Set<bigint>, createdNs: bigint): Template {
  const bytes = Buffer.from(message);
  const times: Template['times'] = [];
  for (const value of timeValues) {
    const le = Buffer.alloc(8);
    le.writeBigUInt64LE(value);
    for (const at of offsetsOf(bytes, le)) times.push({ at, value });
  }
  return { bytes, traceIdOffsets: traceIds.map((id) => offsetsOf(bytes, id)), times, createdNs };
}

function spanTemplate(): Template {
  const nowNs = BigInt(Date.now()) * 1_000_000n;
  const traceIds: Buffer[] = [];
  const times = new Set<bigint>();
  const resourceSpans = services.map((service) => ({ resource: { attributes: [kv('service.name', service), kv('host.name', 'bench-host'), kv('process.pid', 4242)] }, scopeSpans: [{ scope: { name: '@opentelemetry/instrumentation-http', version: '0.301.0' }, spans: [] as unknown[] }] }));
  for (let t = 0; t < BATCH / SPANS_PER_TRACE; t++) {
    const traceId = crypto.randomBytes(16);
    traceIds.push(traceId);
    let parent: Buffer | undefined;
    for (let s = 0; s < SPANS_PER_TRACE; s++) {
      const spanId = crypto.randomBytes(8);
      const start = nowNs - BigInt((SPANS_PER_TRACE - s) * 1_000_000) - BigInt(t * 1000);
      times.add(start).add(start + 750_000n);
      resourceSpans[s % services.length]!.scopeSpans[0]!.spans.push({
        traceId, spanId, parentSpanId: parent, name: `GET /api/orders/:id`, kind: s === 0 ? 2 : 3,
        startTimeUnixNano: start.toString(), endTimeUnixNano: (start + 750_000n).toString(),
        attributes: [kv('http.request.method', 'GET'), kv('http.route', '/api/orders/:id'), kv('http.response.status_code', 200), kv('url.path', `/api/orders/${t}`), kv('server.address', 'order'), kv('network.peer.port', 8080)],
        status: { code: 0 },
      });
      parent = spanId;
    }
  }
  return template(otlpTypes.traceRequest.encode(otlpTypes.traceRequest.fromObject({ resourceSpans })).finish(), traceIds, times, nowNs);
}

function logTemplate(): Template {
  const nowNs = BigInt(Date.now()) * 1_000_000n;
  const traceIds: Buffer[] = [];
  const times = new Set<bigint>();
  const resourceLogs = services.map((service) => ({ resource: { attributes: [kv('service.name', service), kv('host.name', 'bench-host')] }, scopeLogs: [{ scope: { name: 'winston' }, logRecords: [] as unknown[] }] }));
  for (let t = 0; t < BATCH / LOGS_PER_TRACE; t++) {
    const traceId = crypto.randomBytes(16);
    traceIds.push(traceId);
    for (let l = 0; l < LOGS_PER_TRACE; l++) {
      const time = nowNs + BigInt(t * 1000 + l);
      times.add(time);
      resourceLogs[l % services.length]!.scopeLogs[0]!.logRecords.push({
        timeUnixNano: time.toString(), severityNumber: l === 3 ? 17 : 9, severityText: l === 3 ? 'ERROR' : 'INFO',
        body: { stringValue: l === 3 ? `payment failed for order ${t}: card declined` : `order ${t} step ${l} done in ${l * 3} ms` },
        attributes: [kv('order.id', `o-${t}`), kv('attempt', l)], traceId, spanId: crypto.randomBytes(8),
      });
    }
  }
  return template(otlpTypes.logsRequest.encode(otlpTypes.logsRequest.fromObject({ resourceLogs })).finish(), traceIds, times, nowNs);
}

const templates = { spans: Array.from({ length: 16 }, spanTemplate), logs: Array.from({ length: 16 }, logTemplate) };
let nextTemplate = 0;

/** A copy of a template with fresh trace ids and times moved to now; a few ids are kept for the lookups. */
function batch(kind: 'spans' | 'logs'): Buffer {
  const t = templates[kind][nextTemplate++ % 16]!;
  const bytes = Buffer.from(t.bytes);
  const shift = BigInt(Date.now()) * 1_000_000n - t.createdNs;
  for (const { at, value } of t.times) bytes.writeBigUInt64LE(value + shift, at);
  for (const offsets of t.traceIdOffsets) {
    const id = crypto.randomBytes(16);
    for (const at of offsets) id.copy(bytes, at);
    if (sampleTraceIds.length < 20_000 && Math.random() < 0.02) sampleTraceIds.push(id.toString('hex'));
  }
  return bytes;
}

async function send(pathName: string, body: Uint8Array): Promise<void> {
  for (;;) {
    const res = await fetch(collector.url + pathName, { method: 'POST', body, headers: { 'content-type': 'application/x-protobuf' } });
    await res.arrayBuffer();
    if (res.status === 200) return;
    if (res.status !== 503 && res.status !== 429) throw new Error(`${pathName} answered ${res.status}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Sends batches from `concurrency` loops until `count` items or `seconds` pass; returns items/s. */
async function drive(kind: 'spans' | 'logs', seconds: number, count = Infinity): Promise<number> {
  const pathName = kind === 'spans' ? '/v1/traces' : '/v1/logs';
  const started = performance.now();
  const deadline = started + seconds * 1000;
  let sent = 0;
  let lastReport = started;
  const loop = async () => {
    while (performance.now() < deadline && sent < count) {
      sent += BATCH;
      await send(pathName, batch(kind));
      stored[kind] += BATCH;
      const now = performance.now();
      if (now - lastReport > 10_000) {
        lastReport = now;
        console.log(`  … ${kind}: ${stored[kind].toLocaleString('en')} stored, ${Math.round((sent / (now - started)) * 1000).toLocaleString('en')}/s`);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, loop));
  return sent / ((performance.now() - started) / 1000);
}

/** Free-text log searches over the last hour: a common phrase (stops at the limit) and a term no record has (scans the whole hour). */
async function textSearches(): Promise<{ common: number[]; absent: number[] }> {
  const common: number[] = [];
  const absent: number[] = [];
  for (let i = 0; i < 20; i++) {
    for (const [q, out] of [['card declined', common], [`no-such-order-${i}`, absent]] as const) {
      const t = performance.now();
      const r = await fetch(`${collector.url}/api/logs?q=${encodeURIComponent(q)}&limit=100`);
      await r.arrayBuffer();
      out.push(performance.now() - t);
    }
  }
  return { common, absent };
}

async function lookups(): Promise<{ trace: number[]; logs: number[] }> {
  const trace: number[] = [];
  const logs: number[] = [];
  const ids = [...sampleTraceIds].sort(() => Math.random() - 0.5).slice(0, LOOKUPS);
  for (const id of ids) {
    let t = performance.now();
    const r1 = await fetch(`${collector.url}/api/traces/${id}`);
    await r1.arrayBuffer();
    trace.push(performance.now() - t);
    t = performance.now();
    const r2 = await fetch(`${collector.url}/api/logs?traceId=${id}`);
    await r2.arrayBuffer();
    logs.push(performance.now() - t);
  }
  return { trace, logs };
}

function peakRssMiB(): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en');
const ms = (v: number[]) => `p50 ${percentile(v, 50).toFixed(2)} ms, p99 ${percentile(v, 99).toFixed(2)} ms`;

console.log(`\nsustained ingest, ${SECONDS} s each, ${CONCURRENCY} concurrent senders, batches of ${BATCH}:`);
const spanRate = await drive('spans', SECONDS);
console.log(`spans/s: ${fmt(spanRate)}`);
const logRate = await drive('logs', SECONDS);
console.log(`log records/s: ${fmt(logRate)}`);

for (const size of SIZES) {
  if (stored.spans < size) await drive('spans', Infinity, size - stored.spans);
  if (stored.logs < size) await drive('logs', Infinity, size - stored.logs);
  const { trace, logs } = await lookups();
  console.log(`\nat ${fmt(stored.spans)} spans + ${fmt(stored.logs)} logs (${(fs.statSync(path.join(dataDir, 'mirador.duckdb')).size / 2 ** 20).toFixed(0)} MiB file):`);
  console.log(`trace by id (${trace.length} lookups): ${ms(trace)}`);
  console.log(`logs by trace id (${logs.length} lookups): ${ms(logs)}`);
  const text = await textSearches();
  console.log(`log text search, last hour, limit 100: common phrase ${ms(text.common)}; absent term (full scan of the hour) ${ms(text.absent)}`);
  console.log(`collector peak RSS so far: ${peakRssMiB().toFixed(0)} MiB`);
}

console.log(`\nRESULT spans/s=${fmt(spanRate)} logs/s=${fmt(logRate)} peakRSS=${peakRssMiB().toFixed(0)}MiB`);
collector.child.kill('SIGTERM');
await new Promise((r) => collector.child.once('exit', r));
fs.rmSync(dataDir, { recursive: true, force: true });
