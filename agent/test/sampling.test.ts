/**
 * Sampling from the standard environment variable: with
 * OTEL_TRACES_SAMPLER=always_off no trace is stored, yet every request is
 * still counted in the pushed request-duration histogram, and no exemplar
 * points at a trace that was never kept.
 */
import type { RunningCollector } from '@mirador/collector';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startAppWithAgent, startQuietCollector, type AgentApp } from './support/processes.ts';

let collector: RunningCollector;
let app: AgentApp;
const service = `unsampled-${Date.now()}`;
beforeAll(async () => {
  collector = await startQuietCollector();
  app = await startAppWithAgent('plainApp.mjs', {
    OTEL_SERVICE_NAME: service,
    OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
    OTEL_TRACES_SAMPLER: 'always_off',
    OTEL_BSP_SCHEDULE_DELAY: '100',
    MIRADOR_METRICS_PUSH_INTERVAL: '200',
  });
});
afterAll(async () => {
  app?.child.kill('SIGKILL');
  await collector?.stop();
});

describe('OTEL_TRACES_SAMPLER=always_off', () => {
  it('keeps no trace but still measures every request, without exemplars', async () => {
    for (let i = 0; i < 5; i++) expect(await (await fetch(`${app.url}/`)).text()).toBe('ok');
    const count = await eventually(async () => {
      const [series] = await collector.stores.metrics.selectSeries(
        [
          { name: '__name__', type: '=', value: 'http_server_request_duration_seconds_count' },
          { name: 'job', type: '=', value: service },
        ],
        Date.now() - 60_000,
        Date.now(),
      );
      const latest = series?.values.at(-1);
      return latest === 5 ? latest : undefined;
    });
    expect(count).toBe(5);
    // With no span to time them, the requests were timed all the same.
    const [sum] = await collector.stores.metrics.selectSeries(
      [
        { name: '__name__', type: '=', value: 'http_server_request_duration_seconds_sum' },
        { name: 'job', type: '=', value: service },
      ],
      Date.now() - 60_000,
      Date.now(),
    );
    const seconds = sum?.values.at(-1) ?? NaN;
    expect(seconds).toBeGreaterThan(0);
    expect(seconds).toBeLessThan(5);
    const exemplars = await collector.stores.metrics.selectExemplars([{ name: 'job', type: '=', value: service }], 0, Date.now() + 60_000);
    expect(exemplars).toEqual([]);
    const traces = ((await (await fetch(`${collector.url}/api/traces?service=${service}&lookback=5m`)).json()) as { data: unknown[] }).data;
    expect(traces).toEqual([]);
  });
});
