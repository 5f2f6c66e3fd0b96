import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RetentionJob } from '../../src/retention/RetentionJob.ts';
import { SelfMetrics } from '../../src/telemetry/SelfMetrics.ts';
import { createLog } from '../../src/telemetry/log.ts';
import { getJson, startTestCollector } from '../support/testCollector.ts';
import { logsRequest, sendJson, sid, tid, traceRequest } from '../support/otlpJson.ts';

type Collector = Awaited<ReturnType<typeof startTestCollector>>;
let collector: Collector;
const NOW = Date.now();
const HOUR = 3_600_000;

beforeAll(async () => {
  collector = await startTestCollector(['--retention', '2h']);
  await sendJson(collector.url, '/v1/traces', traceRequest('retired', [{ traceId: tid(3), spanId: sid(3), name: 'old-op', startMs: NOW - 1.5 * HOUR, durationMs: 10 }]));
  for (const [n, ageHours] of [[1, 1.5], [2, 0.5]] as const) {
    await sendJson(collector.url, '/v1/traces', traceRequest('svc', [{ traceId: tid(n), spanId: sid(n), name: 'op', startMs: NOW - ageHours * HOUR, durationMs: 10 }]));
    await sendJson(collector.url, '/v1/logs', logsRequest('svc', [{ timeMs: NOW - ageHours * HOUR, body: `log ${n}`, traceId: tid(n) }]));
  }
  const metric = { resourceMetrics: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] }, scopeMetrics: [{ metrics: [{ name: 'queue.depth', gauge: { dataPoints: [{ timeUnixNano: String(BigInt(NOW - 1.5 * HOUR) * 1_000_000n), asDouble: 3 }, { timeUnixNano: String(BigInt(NOW - 0.5 * HOUR) * 1_000_000n), asDouble: 4 }] } }] }] }] };
  await sendJson(collector.url, '/v1/metrics', metric);
});
afterAll(async () => {
  await collector.stop();
});

describe('RetentionJob', () => {
  it('deletes spans, logs and samples older than the retention age and keeps the rest', async () => {
    const job = new RetentionJob(collector.stores, 2 * HOUR, new SelfMetrics(), createLog('error'));
    await job.runOnce(NOW + 1 * HOUR); // cutoff: NOW - 1h
    expect((await getJson(collector.url, `/api/traces/${tid(1)}`)).status).toBe(404);
    expect((await getJson(collector.url, `/api/traces/${tid(2)}`)).status).toBe(200);
    expect((await getJson<{ data: unknown[] }>(collector.url, `/api/logs?traceId=${tid(1)}`)).body.data).toEqual([]);
    expect((await getJson<{ data: unknown[] }>(collector.url, `/api/logs?traceId=${tid(2)}`)).body.data).toHaveLength(1);
    expect((await getJson<{ data: string[] }>(collector.url, '/api/services')).body.data).toEqual(['svc']);
    // A service that reports again after it was forgotten is listed again.
    await sendJson(collector.url, '/v1/traces', traceRequest('retired', [{ traceId: tid(4), spanId: sid(4), name: 'old-op', startMs: NOW, durationMs: 10 }]));
    expect((await getJson<{ data: string[] }>(collector.url, '/api/services/retired/operations')).body.data).toEqual(['old-op']);
    const series = await collector.stores.metrics.selectSeries([{ name: '__name__', type: '=', value: 'queue_depth' }], NOW - 3 * HOUR, NOW);
    expect(series.map((s) => s.values)).toEqual([[4]]);
  });
});
