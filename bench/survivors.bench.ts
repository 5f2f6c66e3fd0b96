/**
 * What survives V8's young-generation collections (scavenges) per request in
 * the hello app under saturation: bare, bare with only a `gc`
 * PerformanceObserver (what prom-client's GC-duration metric connects), with
 * the agent, and with the agent and MIRADOR_GC_METRICS=false. V8 doubles the
 * young generation once the bytes surviving scavenges since its last growth
 * exceed its size, so these bytes decide how soon a process's memory steps up
 * under load (agent/README.md). Read from `--trace-gc-nvp`: the sum of
 * `new_space_survived` and of `promoted` over the measured seconds, divided by
 * the requests served then; the young generation's size at the end.
 *
 *   npm run bench -- survivors [--warmup 10] [--seconds 15] [--setups bare,gc-observer,agent,agent-no-gc]
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { autocannon, pin, startHelloApp, startSink } from './helloApp.ts';
import { machineLine } from './machine.ts';

const { values } = parseArgs({ options: { warmup: { type: 'string', default: '10' }, seconds: { type: 'string', default: '15' }, setups: { type: 'string', default: 'bare,gc-observer,agent,agent-no-gc' } } });

const agent = ['--import', '@mirador/agent/register'];
const SETUPS: Record<string, { nodeArgs: string[]; env: Record<string, string> }> = {
  bare: { nodeArgs: [], env: {} },
  'gc-observer': { nodeArgs: ['--import', path.join(import.meta.dirname, 'fixtures', 'gcObserver.mjs')], env: {} },
  agent: { nodeArgs: agent, env: {} },
  'agent-no-gc': { nodeArgs: agent, env: { MIRADOR_GC_METRICS: 'false' } },
};

/** The scavenges in `--trace-gc-nvp` output: how many, bytes survived and promoted in all, and the young generation's last size. */
function scavenges(output: string): { count: number; survived: number; promoted: number; youngMiB: number } {
  const field = (line: string, name: string) => Number(new RegExp(` ${name}=(\\d+)`).exec(line)?.[1] ?? 0);
  const lines = output.split('\n').filter((l) => / gc=s /.test(l));
  return {
    count: lines.length,
    survived: lines.reduce((sum, l) => sum + field(l, 'new_space_survived'), 0),
    promoted: lines.reduce((sum, l) => sum + field(l, 'promoted'), 0),
    youngMiB: lines.length === 0 ? 0 : field(lines.at(-1)!, 'new_space_capacity') / 1048576,
  };
}

console.log(machineLine());
const sink = await startSink();
const endpoint = sink.url;
console.log(`saturation (autocannon -c 50${pin ? ', app on core 0, load generator on core 1' : ''}), ${values.warmup} s warm-up, then ${values.seconds} s measured:`);
for (const name of values.setups.split(',')) {
  const setup = SETUPS[name];
  if (setup === undefined) throw new Error(`--setups: unknown set-up ${JSON.stringify(name)}; expected some of ${Object.keys(SETUPS).join(', ')}`);
  const app = await startHelloApp(['--trace-gc-nvp', ...setup.nodeArgs], { OTEL_SERVICE_NAME: 'hello', OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, ...setup.env });
  await autocannon(app.url, Number(values.warmup), ['-c', '50']);
  let output = '';
  app.child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  const { requests } = await autocannon(app.url, Number(values.seconds), ['-c', '50']);
  app.child.kill('SIGKILL');
  const s = scavenges(output);
  console.log(
    `  ${name.padEnd(12)} ${(s.survived / requests).toFixed(1).padStart(5)} B/req survived, ${(s.promoted / requests).toFixed(1).padStart(5)} promoted; ${s.count} scavenges for ${requests} requests; young generation ${s.youngMiB.toFixed(0)} MiB at the end`,
  );
}
sink.close();
