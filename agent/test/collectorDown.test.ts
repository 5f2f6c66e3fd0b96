/**
 * User journey 3, step 4 (shortened; the full-length run is bench/agent.bench.ts):
 * the collector is down, the service keeps serving without errors, its
 * buffers stay bounded and what overflows is dropped and counted in the
 * agent's own metrics; when the collector comes back, spans and metrics flow
 * again without a restart.
 */
import fs from 'node:fs';
import { freePort } from '../../scripts/portAnswers.ts';
import type { RunningCollector } from '@mirador/collector';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually, startAppWithAgent, startQuietCollector, type AgentApp } from './support/processes.ts';

let collector: RunningCollector | undefined;
let app: AgentApp | undefined;
afterAll(async () => {
  app?.child.kill('SIGKILL');
  await collector?.stop();
});

const rssMiB = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

/** The sum of the sample lines of the exposition matching all the fragments. */
function sampleSum(exposition: string, ...fragments: string[]): number {
  const lines = exposition.split('\n').filter((l) => !l.startsWith('#') && fragments.every((f) => l.includes(f)));
  return lines.reduce((sum, l) => sum + Number(l.split(' ')[1]), 0);
}

const REQUESTS = 4000;
const QUEUE = 200;

describe('a service with the agent while the collector is down', () => {
  it('serves every request with bounded buffers, counts what it drops, and sends again once the collector is back', async () => {
    const [collectorPort, metricsPort] = [await freePort(), await freePort()];
    const service = `resilient-${Date.now()}`;
    app = await startAppWithAgent('plainApp.mjs', {
      OTEL_SERVICE_NAME: service,
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${collectorPort}`,
      OTEL_BSP_SCHEDULE_DELAY: '100',
      OTEL_BSP_MAX_QUEUE_SIZE: String(QUEUE),
      OTEL_EXPORTER_OTLP_TIMEOUT: '1000',
      MIRADOR_METRICS_PUSH_INTERVAL: '200',
      MIRADOR_METRICS_PORT: String(metricsPort),
      OTEL_LOG_LEVEL: 'warn',
    });
    const lastOutput = async () => {
      const own = await fetch(`http://127.0.0.1:${metricsPort}/metrics`).then((r) => r.text(), (e: unknown) => String(e));
      const queue = own.split('\n').filter((l) => l.startsWith('otel_sdk_processor_span') || l.startsWith('otel_sdk_exporter_span'));
      return `the app's last output:\n${app!.output().slice(-3000)}\nits span queue and exports:\n${queue.join('\n')}`;
    };
    const hit = async () => (await fetch(`${app!.url}/`)).text();

    // Load from 20 concurrent clients, with nowhere for the telemetry to go.
    const answers: string[] = [];
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        while (answers.length < REQUESTS) answers.push(await hit());
      }),
    );
    expect(answers.filter((a) => a !== 'ok')).toEqual([]);
    expect(rssMiB(app.child.pid!)).toBeLessThan(200);

    // Beyond the span queue, spans were dropped; the rest failed to export. The agent's own metrics say how many of each.
    // (Spans still queued, at most QUEUE, wait; so may the batch whose export attempt is running. On a fast machine the
    // load is over before the first export has used up its retries, so the drops alone can reach the count first.)
    const exposition = await eventually(async () => {
      const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      const notExported = sampleSum(text, 'otel_sdk_processor_span_processed_total{', 'error_type=');
      const failed = notExported - sampleSum(text, 'otel_sdk_processor_span_processed_total{', 'error_type="queue_full"');
      return notExported >= REQUESTS - 2 * QUEUE && failed > 0 ? text : undefined;
    }, 15_000, lastOutput);
    // How many of each depends on this machine's pace: at any pace, the queue overflowed.
    expect(sampleSum(exposition, 'otel_sdk_processor_span_processed_total{', 'error_type="queue_full"')).toBeGreaterThan(0);
    expect(sampleSum(exposition, 'otel_sdk_processor_span_processed_total{', 'error_type=')).toBeLessThanOrEqual(answers.length);
    expect(sampleSum(exposition, 'mirador_agent_metric_pushes_total{result="failed"}')).toBeGreaterThan(0);
    // Asked for with OTEL_LOG_LEVEL, the agent says why on stderr (read from the pipe a moment after it is written).
    const why = /@mirador\/agent: \d+ spans not exported: .*ECONNREFUSED/;
    await eventually(async () => (why.test(app!.output()) ? true : undefined), 5000, lastOutput);

    collector = await startQuietCollector(collectorPort);
    const traces = await eventually(async () => {
      expect(await hit()).toBe('ok');
      const found = ((await (await fetch(`${collector!.url}/api/traces?service=${service}&lookback=5m`)).json()) as { data: unknown[] }).data;
      return found.length > 0 ? found : undefined;
    }, 15_000, lastOutput);
    expect(traces.length).toBeGreaterThan(0);
    // Pushes resume too (after the back-off), carrying the drop count to the collector.
    const series = await eventually(async () => {
      const r = await fetch(`${collector!.url}/api/v1/series?match[]=${encodeURIComponent(`otel_sdk_processor_span_processed_total{job="${service}", error_type="queue_full"}`)}`);
      const data = ((await r.json()) as { data: unknown[] }).data;
      return data.length > 0 ? data : undefined;
    }, 30_000, lastOutput);
    expect(series).toHaveLength(1);
  });
});
