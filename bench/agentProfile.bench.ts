/**
 * Where the agent's CPU time per request goes: the hello app of the agent
 * benchmark at saturation, bare and with the agent (exporting to a sink that
 * discards what it gets), each profiled by Linux `perf` while autocannon
 * loads it. perf samples everything the process runs (the kernel's socket
 * work, V8's runtime and collector, Node's C++ and the JIT-compiled
 * JavaScript, named through `--perf-basic-prof`), where V8's own
 * `--cpu-prof` sees JavaScript only and, on this 2-core machine, moved
 * several-fold between back-to-back runs.
 *
 *   npm run bench -- agentProfile [--pairs 2] [--seconds 7] [--top 20]
 *
 * Prints, as µs of CPU per request (samples × the sampling period ÷ the
 * requests served while sampling), summed over --pairs bare/agent pairs of
 * processes: the whole and the kernel's part for both; the symbols whose
 * time grew most with the agent (time spent in the symbol itself); and the
 * agent's own functions with what they call (inclusive; a function V8
 * inlined into its caller is counted in the caller). Needs `perf`
 * (Debian: `apt-get install linux-perf`).
 */
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { autocannon, pin, startHelloApp, startSink } from './helloApp.ts';
import { machineLine } from './machine.ts';

const { values } = parseArgs({ options: { pairs: { type: 'string', default: '2' }, seconds: { type: 'string', default: '7' }, top: { type: 'string', default: '20' } } });
const PAIRS = Number(values.pairs);
const SECONDS = Number(values.seconds);
const TOP = Number(values.top);
/** Samples a second; each sample stands for 1e6 / HZ µs of CPU. */
const HZ = 4000;
const root = path.resolve(import.meta.dirname, '..');

if (spawnSync('perf', ['--version']).error !== undefined) {
  console.error('agentProfile needs Linux perf on the PATH (Debian: apt-get install linux-perf)');
  process.exit(2);
}

type Mode = 'bare' | 'agent';

/** Samples by symbol (self and inclusive) and the requests served while they were taken, summed over runs. */
interface Profile {
  self: Map<string, number>;
  inclusive: Map<string, number>;
  samples: number;
  requests: number;
}

/**
 * A symbol as perf names it, made comparable across processes and tiers:
 * `JS:*'hexBytes file:///…/agent/dist/startAgent.js:10813:10` becomes
 * `hexBytes agent/dist/startAgent.js:10813` (the tier marks, `*` optimized,
 * `+` Maglev, `^` baseline, `~` interpreted, dropped; paths from the repository).
 */
function symbolName(raw: string): string {
  return raw
    .replace(/^\[[.k]\]\s+/, (m) => (m.startsWith('[k]') ? 'kernel: ' : ''))
    .replace(/^JS:[*+^~]?'?/, '')
    .replace(/^ /, '(anonymous) ')
    .replace(/file:\/\//g, '')
    .replaceAll(`${root}/`, '')
    .replace(/:(\d+):\d+$/, ':$1');
}

/** `perf report` lines of `<number> [<self %>] <symbol>` as a map, the first numbers added up by symbol. */
function parseReport(text: string, scale: (n: number) => number): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^\s*([\d.]+)%?(?:\s+[\d.]+%)?\s+(.+?)\s*$/.exec(line);
    if (m === null) continue;
    const key = symbolName(m[2]!);
    out.set(key, (out.get(key) ?? 0) + scale(Number(m[1])));
  }
  return out;
}

const exec = promisify(execFile);

/** One app process of `mode`, loaded to saturation and profiled for SECONDS. */
async function profileOnce(mode: Mode, endpoint: string, into: Profile): Promise<void> {
  const app = await startHelloApp(mode === 'agent' ? ['--perf-basic-prof', '--import', '@mirador/agent/register'] : ['--perf-basic-prof'], {
    OTEL_SERVICE_NAME: 'hello',
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
  });
  const pid = app.child.pid!;
  const data = path.join(os.tmpdir(), `mirador-agent-profile-${pid}.data`);
  try {
    await autocannon(app.url, 4, ['-c', '50']); // warm-up: the JIT settles
    const load = autocannon(app.url, SECONDS + 2, ['-c', '50']);
    await new Promise((r) => setTimeout(r, 1000));
    await exec('perf', ['record', '-q', '-e', 'cpu-clock', '-F', String(HZ), '-g', '-p', String(pid), '-o', data, '--', 'sleep', String(SECONDS)]);
    const { rps } = await load;
    const report = (args: string[]) => exec('perf', ['report', '-i', data, '--stdio', '-q', '--sort', 'sym', '-g', 'none', ...args], { maxBuffer: 256 * 1024 * 1024 }).then((r) => r.stdout);
    const self = parseReport(await report(['--no-children', '-F', 'sample,sym']), (n) => n);
    const samples = [...self.values()].reduce((a, b) => a + b, 0);
    const inclusive = parseReport(await report(['--children']), (pct) => (pct / 100) * samples);
    for (const [k, v] of self) into.self.set(k, (into.self.get(k) ?? 0) + v);
    for (const [k, v] of inclusive) into.inclusive.set(k, (into.inclusive.get(k) ?? 0) + v);
    into.samples += samples;
    into.requests += rps * SECONDS;
  } finally {
    app.child.kill('SIGKILL');
    fs.rmSync(data, { force: true });
    fs.rmSync(path.join('/tmp', `perf-${pid}.map`), { force: true });
  }
}

console.log(machineLine());
const sink = await startSink();
const profiles: Record<Mode, Profile> = {
  bare: { self: new Map(), inclusive: new Map(), samples: 0, requests: 0 },
  agent: { self: new Map(), inclusive: new Map(), samples: 0, requests: 0 },
};
for (let i = 0; i < PAIRS; i++) {
  for (const mode of i % 2 === 0 ? (['bare', 'agent'] as const) : (['agent', 'bare'] as const)) await profileOnce(mode, sink.url, profiles[mode]);
}
sink.close();

/** µs of CPU per request of `samples` samples in `p`. */
const perRequest = (p: Profile, samples: number) => (samples * (1e6 / HZ)) / p.requests;
const kernel = (p: Profile) => [...p.self].filter(([k]) => k.startsWith('kernel: ')).reduce((a, [, v]) => a + v, 0);
const us = (v: number) => v.toFixed(3).padStart(7);
const { bare, agent } = profiles;

console.log(`\nhello app at saturation (autocannon -c 50${pin ? ', app on core 0, load on core 1' : ''}), perf cpu-clock at ${HZ} Hz for ${SECONDS} s, ${PAIRS} pair${PAIRS === 1 ? '' : 's'} of processes; µs of CPU per request:`);
console.log(`  bare  ${perRequest(bare, bare.samples).toFixed(1)} (kernel ${perRequest(bare, kernel(bare)).toFixed(1)}), ${Math.round(bare.requests / (PAIRS * SECONDS))} req/s`);
console.log(`  agent ${perRequest(agent, agent.samples).toFixed(1)} (kernel ${perRequest(agent, kernel(agent)).toFixed(1)}), ${Math.round(agent.requests / (PAIRS * SECONDS))} req/s`);

console.log(`\n  symbols whose own time grew most with the agent (agent minus bare; bare, agent):`);
const grown = [...new Set([...bare.self.keys(), ...agent.self.keys()])]
  .map((k) => ({ k, b: perRequest(bare, bare.self.get(k) ?? 0), a: perRequest(agent, agent.self.get(k) ?? 0) }))
  .sort((x, y) => y.a - y.b - (x.a - x.b));
for (const { k, b, a } of grown.slice(0, TOP)) console.log(`  ${us(a - b)}  (${us(b)}, ${us(a)})  ${k.slice(0, 120)}`);

console.log(`\n  the agent's own functions, with what they call (inclusive; self); traceRequest runs the app's handler, so it holds the whole request:`);
const own = [...agent.inclusive].filter(([k]) => k.includes('agent/dist/')).sort((x, y) => y[1] - x[1]);
for (const [k, v] of own.slice(0, TOP)) console.log(`  ${us(perRequest(agent, v))}  ${us(perRequest(agent, agent.self.get(k) ?? 0))}  ${k.slice(0, 120)}`);
