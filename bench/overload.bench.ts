/**
 * Overload: a collector process offered far more than it can take (many
 * concurrent senders of large OTLP/JSON bodies, none waiting on Retry-After)
 * for `--seconds`. Prints how requests were answered (200, 503 with
 * Retry-After, other), `/healthz` latency during the overload beside idle,
 * and the collector's peak RSS against its `--max-rss` bound. Run it with
 * `--max-event-loop-delay 0` to see the same overload without shedding.
 *
 *   npm run bench -- overload                          # 30 s, 64 senders, 1 GiB and 250 ms bounds
 *   npm run bench -- overload --seconds 10 --senders 32 --max-rss 512MiB
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { spawnCollector } from '../collector/test/support/collectorProcess.ts';
import { sid, tid, traceRequest } from '../collector/test/support/otlpJson.ts';
import { machineLine, percentile, processMemoryMiB } from './machine.ts';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '30' }, senders: { type: 'string', default: '64' }, 'max-rss': { type: 'string', default: '1GiB' }, 'max-event-loop-delay': { type: 'string', default: '250ms' } } });
const SECONDS = Number(values.seconds);
const SENDERS = Number(values.senders);
console.log(machineLine());

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mirador-bench-overload-'));
const collector = await spawnCollector(['--port', '0', '--grpc-port', 'off', '--data-dir', dataDir, '--max-rss', values['max-rss']!, '--max-event-loop-delay', values['max-event-loop-delay']!]);
const pid = collector.child.pid!;
const peakRss = () => processMemoryMiB(pid, 'VmHWM');

// ~2 MiB bodies: 5,000 spans each with a few attributes.
const now = Date.now();
const body = JSON.stringify(traceRequest('overload', Array.from({ length: 5000 }, (_, i) => ({ traceId: tid(i + 1), spanId: sid(i + 1), name: 'GET /api/orders/:id', startMs: now - 1000, durationMs: 5, attributes: { 'url.path': `/api/orders/${i}`, 'http.response.status_code': 200, 'user_agent.original': 'bench/1.0 (overload)' } }))));
console.log(`collector pid ${pid}, bounds: RSS ${values['max-rss']}, event-loop delay ${values['max-event-loop-delay']}; ${SENDERS} senders of ${(body.length / 2 ** 20).toFixed(1)} MiB OTLP/JSON bodies for ${SECONDS} s`);

async function healthLatencies(ms: number): Promise<number[]> {
  const out: number[] = [];
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const t = performance.now();
    const r = await fetch(`${collector.url}/healthz`);
    await r.arrayBuffer();
    out.push(performance.now() - t);
    await new Promise((r) => setTimeout(r, 50));
  }
  return out;
}

const idle = await healthLatencies(3000);
const answers = new Map<string, number>();
let stop = false;
const sender = async () => {
  while (!stop) {
    try {
      const res = await fetch(`${collector.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      await res.arrayBuffer();
      const key = res.status === 503 ? `503${res.headers.get('retry-after') ? ' with Retry-After' : ' WITHOUT Retry-After'}` : String(res.status);
      answers.set(key, (answers.get(key) ?? 0) + 1);
    } catch (error) {
      answers.set(`failed: ${(error as Error).message}`, (answers.get(`failed: ${(error as Error).message}`) ?? 0) + 1);
    }
  }
};
const senders = Array.from({ length: SENDERS }, sender);
await new Promise((r) => setTimeout(r, 2000)); // let the overload build up
const loaded = await healthLatencies((SECONDS - 2) * 1000);
stop = true;
await Promise.all(senders);

const ms = (v: number[]) => `p50 ${percentile(v, 50).toFixed(1)} ms, p99 ${percentile(v, 99).toFixed(1)} ms, max ${Math.max(...v).toFixed(1)} ms (${v.length} probes)`;
console.log('\nanswers to the senders:');
for (const [k, n] of [...answers].sort((a, b) => b[1] - a[1])) console.log(`  ${k}: ${n.toLocaleString('en')}`);
console.log(`/healthz idle:       ${ms(idle)}`);
console.log(`/healthz overloaded: ${ms(loaded)}`);
console.log(`collector peak RSS: ${peakRss().toFixed(0)} MiB (bound ${values['max-rss']})`);
collector.child.kill('SIGTERM');
await new Promise((r) => collector.child.once('exit', r));
fs.rmSync(dataDir, { recursive: true, force: true });
