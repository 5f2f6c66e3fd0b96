/**
 * Agent overhead: an unmodified ESM Express hello world, bare versus started
 * zero-code with the agent (traces, logs, metrics all on, every request
 * traced), in alternating rounds, with load from autocannon in its own
 * process. For each: requests/s at saturation, CPU time per request, and
 * p50/p99 latency at a fixed load of half the bare capacity; then the ratios.
 * Two set-ups: the agent exporting to a sink that accepts and discards OTLP
 * (the agent's own cost), and to a real collector on this machine.
 *
 *   npm run bench -- agent [--seconds 8] [--rounds 2] [--setups sink,collector]
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { spawnCollector } from '../collector/test/support/collectorProcess.ts';
import { machineLine } from './machine.ts';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '8' }, rounds: { type: 'string', default: '2' }, setups: { type: 'string', default: 'sink,collector' } } });
const SETUPS = new Set(values.setups.split(','));
const SECONDS = Number(values.seconds);
const ROUNDS = Number(values.rounds);
const root = path.resolve(import.meta.dirname, '..');
const bin = (name: string) => path.join(root, 'node_modules', '.bin', name);
const app = path.join(import.meta.dirname, 'fixtures', 'helloApp.mjs');
const ticksPerSecond = 100; // USER_HZ on Linux

interface Round {
  saturatedRps: number;
  cpuMsPerRequest: number;
  p50: number;
  p99: number;
  rssMiB: number;
}

function cpuTicks(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime + stime
}

function rssMiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;
}

async function startApp(withAgent: boolean, endpoint: string): Promise<{ child: ChildProcess; url: string }> {
  const args = withAgent ? ['--import', '@mirador/agent/register', app] : [app];
  const child = spawn(bin('node'), args, {
    cwd: path.join(root, 'agent'),
    env: { ...process.env, OTEL_SERVICE_NAME: 'hello', OTEL_EXPORTER_OTLP_ENDPOINT: endpoint },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening (\d+)/.exec(out);
      if (m) resolve(`http://127.0.0.1:${m[1]}/hello/world`);
    });
  });
  return { child, url };
}

async function autocannon(url: string, seconds: number, extra: string[]): Promise<{ requests: number; rps: number; p50: number; p99: number }> {
  const { stdout } = await promisify(execFile)(bin('node'), [bin('autocannon'), '-j', '-d', String(seconds), ...extra, url], { maxBuffer: 64 * 1024 * 1024 });
  const r = JSON.parse(stdout) as { requests: { average: number; total: number }; latency: { p50: number; p99: number } };
  return { requests: r.requests.total, rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99 };
}

async function round(withAgent: boolean, endpoint: string, fixedRate: number | null): Promise<Round> {
  const { child, url } = await startApp(withAgent, endpoint);
  await autocannon(url, 2, ['-c', '20']); // warm-up
  const before = cpuTicks(child.pid!);
  const saturated = await autocannon(url, SECONDS, ['-c', '50']);
  const cpuMs = ((cpuTicks(child.pid!) - before) / ticksPerSecond) * 1000;
  const fixed = fixedRate === null ? { p50: NaN, p99: NaN } : await autocannon(url, SECONDS, ['-c', '20', '-R', String(Math.round(fixedRate))]);
  const rss = rssMiB(child.pid!);
  child.kill('SIGKILL');
  return { saturatedRps: saturated.rps, cpuMsPerRequest: cpuMs / saturated.requests, p50: fixed.p50, p99: fixed.p99, rssMiB: rss };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function setUp(name: string, endpoint: string): Promise<void> {
  // Bare capacity first, to fix the half-load rate for every round.
  const probe = await round(false, endpoint, null);
  const half = probe.saturatedRps / 2;
  const bare: Round[] = [];
  const agent: Round[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    bare.push(await round(false, endpoint, half));
    agent.push(await round(true, endpoint, half));
  }
  const m = (rs: Round[], k: keyof Round) => median(rs.map((r) => r[k]));
  console.log(`\n${name} (half load = ${Math.round(half)} req/s, medians of ${ROUNDS} alternating rounds of ${SECONDS} s):`);
  console.log(`  bare : ${Math.round(m(bare, 'saturatedRps'))} req/s, ${m(bare, 'cpuMsPerRequest').toFixed(3)} ms CPU/req, p50 ${m(bare, 'p50')} ms, p99 ${m(bare, 'p99')} ms at half load, RSS ${m(bare, 'rssMiB').toFixed(0)} MiB`);
  console.log(`  agent: ${Math.round(m(agent, 'saturatedRps'))} req/s, ${m(agent, 'cpuMsPerRequest').toFixed(3)} ms CPU/req, p50 ${m(agent, 'p50')} ms, p99 ${m(agent, 'p99')} ms at half load, RSS ${m(agent, 'rssMiB').toFixed(0)} MiB`);
  console.log(
    `  agent/bare: throughput ${((100 * m(agent, 'saturatedRps')) / m(bare, 'saturatedRps')).toFixed(0)}%, CPU/req x${(m(agent, 'cpuMsPerRequest') / m(bare, 'cpuMsPerRequest')).toFixed(2)}, p99 +${(m(agent, 'p99') - m(bare, 'p99')).toFixed(1)} ms, memory +${(m(agent, 'rssMiB') - m(bare, 'rssMiB')).toFixed(0)} MiB`,
  );
}

console.log(machineLine());

// The sink: accepts and discards OTLP, so only the agent's own cost shows.
const sink = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
});
if (SETUPS.has('sink')) {
  await new Promise<void>((r) => sink.listen(0, '127.0.0.1', () => r()));
  await setUp('agent exporting to a sink', `http://127.0.0.1:${(sink.address() as { port: number }).port}`);
  sink.close();
}

if (SETUPS.has('collector')) {
  const collector = await spawnCollector(['--port', '0', '--grpc-port', 'off', '--data-dir', fs.mkdtempSync(path.join(os.tmpdir(), 'mirador-bench-'))]);
  await setUp('agent exporting to a real collector on this machine', collector.url);
  collector.child.kill('SIGTERM');
}
