/**
 * Agent overhead: an unmodified ESM Express hello world, bare versus started
 * zero-code with the agent (traces, logs, metrics all on, every request
 * traced), in alternating rounds, with load from autocannon in its own
 * process. For each: requests/s at saturation, CPU time per request, and
 * p50/p99 latency at a fixed load of half the bare capacity; then the ratios.
 * Two set-ups: the agent exporting to a sink that accepts and discards OTLP
 * (the agent's own cost), and to a real collector on this machine.
 *
 *   npm run bench -- agent [--seconds 4] [--rounds 8] [--processes 4] [--setups sink,collector]
 *
 * --rounds is the number of bare/agent pairs of bursts, --seconds the length
 * of each, --processes the number of bare/agent pairs of app processes the
 * saturated rounds are spread over (each pair started afresh).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { spawnCollector } from '../collector/test/support/collectorProcess.ts';
import { autocannon, pin, startHelloApp, startSink, type HelloApp } from './helloApp.ts';
import { machineLine, percentile, processMemoryMiB } from './machine.ts';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '4' }, rounds: { type: 'string', default: '8' }, processes: { type: 'string', default: '4' }, setups: { type: 'string', default: 'sink,collector' } } });
const SETUPS = new Set(values.setups.split(','));
const SECONDS = Number(values.seconds);
const ROUNDS = Number(values.rounds);
const PROCESSES = Math.max(1, Math.min(ROUNDS, Number(values.processes)));
const ticksPerSecond = 100; // USER_HZ on Linux

interface Burst {
  rps: number;
  cpuMsPerRequest: number;
}

/** A difference with its sign: +2.0, -1.0. */
const signed = (value: number, digits: number) => `${value >= 0 ? '+' : ''}${value.toFixed(digits)}`;

function cpuTicks(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime + stime
}

async function startApp(withAgent: boolean, endpoint: string): Promise<HelloApp> {
  return startHelloApp(withAgent ? ['--import', '@mirador/agent/register'] : [], { OTEL_SERVICE_NAME: 'hello', OTEL_EXPORTER_OTLP_ENDPOINT: endpoint });
}

/** One saturated burst: requests/s, and the app's CPU time per request. */
async function saturate(app: HelloApp): Promise<Burst> {
  const before = cpuTicks(app.child.pid!);
  const r = await autocannon(app.url, SECONDS, ['-c', '50']);
  const cpuMs = ((cpuTicks(app.child.pid!) - before) / ticksPerSecond) * 1000;
  return { rps: r.rps, cpuMsPerRequest: cpuMs / r.requests };
}

const median = (xs: number[]) => percentile(xs, 50);
const range = (xs: number[], digits = 0) => `${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}`;

/** Both apps started, idle a second, and warmed up; their RSS just after start. */
async function startPair(endpoint: string): Promise<{ bareApp: HelloApp; agentApp: HelloApp; idle: { bare: number; agent: number } }> {
  const bareApp = await startApp(false, endpoint);
  const agentApp = await startApp(true, endpoint);
  await new Promise((r) => setTimeout(r, 1000));
  const idle = { bare: processMemoryMiB(bareApp.child.pid!, 'VmRSS'), agent: processMemoryMiB(agentApp.child.pid!, 'VmRSS') };
  for (const a of [bareApp, agentApp]) await autocannon(a.url, 3, ['-c', '20']); // warm-up
  return { bareApp, agentApp, idle };
}

/**
 * Both apps run side by side (the one not under load is idle), and the load
 * alternates between them in short bursts, bare-agent then agent-bare: this
 * machine's speed drifts by ±30% over tens of seconds (a shared VM), and a
 * pair of bursts seconds apart sees the same drift. Two processes of the same
 * app also differ, by up to 10% here for the whole of their lives (where V8
 * placed and when it optimized their code), so the saturated rounds are
 * spread over --processes pairs of processes, each started afresh. Ratios
 * are the median of the per-pair ratios, with their range. The last pair
 * goes on to the half-load rounds, where latency and memory are read.
 */
async function setUp(name: string, endpoint: string): Promise<void> {
  const bare: Burst[] = [];
  const agent: Burst[] = [];
  let pair = await startPair(endpoint);
  for (let i = 0; i < ROUNDS; i++) {
    if (i > 0 && i % Math.ceil(ROUNDS / PROCESSES) === 0) {
      pair.bareApp.child.kill('SIGKILL');
      pair.agentApp.child.kill('SIGKILL');
      pair = await startPair(endpoint);
    }
    const { bareApp, agentApp } = pair;
    if (i % 2 === 0) {
      bare.push(await saturate(bareApp));
      agent.push(await saturate(agentApp));
    } else {
      agent.push(await saturate(agentApp));
      bare.push(await saturate(bareApp));
    }
  }
  const { bareApp, agentApp, idle } = pair;
  const half = Math.round(median(bare.map((b) => b.rps)) / 2);
  const latency = { bare: [] as Array<{ p50: number; p99: number }>, agent: [] as Array<{ p50: number; p99: number }> };
  // Memory is read twice a second through the half-load rounds (each app loaded in turn, idle in between):
  // one reading moves by ±15 MiB with where each heap is in its collection cycle, a median of many much less.
  const readings = { bare: [] as number[], agent: [] as number[] };
  const sampler = setInterval(() => {
    readings.bare.push(processMemoryMiB(bareApp.child.pid!, 'VmRSS'));
    readings.agent.push(processMemoryMiB(agentApp.child.pid!, 'VmRSS'));
  }, 500);
  for (let i = 0; i < ROUNDS; i++) {
    for (const [key, a] of i % 2 === 0 ? ([['bare', bareApp], ['agent', agentApp]] as const) : ([['agent', agentApp], ['bare', bareApp]] as const)) {
      const r = await autocannon(a.url, SECONDS, ['-c', '20', '-R', String(half)]);
      latency[key].push({ p50: r.p50, p99: r.p99 });
    }
  }
  clearInterval(sampler);
  const rss = { bare: median(readings.bare), agent: median(readings.agent) };
  const peak = { bare: processMemoryMiB(bareApp.child.pid!, 'VmHWM'), agent: processMemoryMiB(agentApp.child.pid!, 'VmHWM') };
  bareApp.child.kill('SIGKILL');
  agentApp.child.kill('SIGKILL');

  const throughput = bare.map((b, i) => (100 * agent[i]!.rps) / b.rps);
  const cpu = bare.map((b, i) => agent[i]!.cpuMsPerRequest / b.cpuMsPerRequest);
  const p99 = latency.bare.map((b, i) => latency.agent[i]!.p99 - b.p99);
  const line = (bursts: Burst[], lat: Array<{ p50: number; p99: number }>, rssValue: number) =>
    `${Math.round(median(bursts.map((b) => b.rps)))} req/s (${range(bursts.map((b) => b.rps))}), ${median(bursts.map((b) => b.cpuMsPerRequest)).toFixed(3)} ms CPU/req, p50 ${median(lat.map((l) => l.p50))} ms, p99 ${median(lat.map((l) => l.p99))} ms at half load, RSS ${rssValue.toFixed(0)} MiB (median under half load)`;
  console.log(`\n${name} (${ROUNDS} pairs of ${SECONDS} s bursts over ${PROCESSES} pairs of processes${pin ? ', app on core 0, load generator on core 1' : ''}; half load = ${half} req/s):`);
  console.log(`  bare : ${line(bare, latency.bare, rss.bare)}`);
  console.log(`  agent: ${line(agent, latency.agent, rss.agent)}`);
  console.log(
    `  agent/bare, median of pairs (range): throughput ${median(throughput).toFixed(0)}% (${range(throughput)}), CPU/req x${median(cpu).toFixed(2)} (${range(cpu, 2)}), p99 ${signed(median(p99), 1)} ms (${range(p99, 1)})`,
  );
  console.log(
    `  memory, agent minus bare: ${signed(rss.agent - rss.bare, 0)} MiB under half load (median of ${readings.agent.length} readings), ${signed(idle.agent - idle.bare, 0)} MiB idle after start, ${signed(peak.agent - peak.bare, 0)} MiB at peak (VmHWM)`,
  );
}

console.log(machineLine());

if (SETUPS.has('sink')) {
  const sink = await startSink();
  await setUp('agent exporting to a sink', sink.url);
  sink.close();
}

if (SETUPS.has('collector')) {
  const collector = await spawnCollector(['--port', '0', '--grpc-port', 'off', '--data-dir', fs.mkdtempSync(path.join(os.tmpdir(), 'mirador-bench-'))]);
  await setUp('agent exporting to a real collector on this machine', collector.url);
  collector.child.kill('SIGTERM');
}
