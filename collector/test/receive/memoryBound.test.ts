/**
 * Hostile load: many large bodies and gzip bombs at once. The collector
 * refuses what it cannot hold (413, or 503 with Retry-After), keeps serving,
 * and its memory stays bounded.
 */
import fs from 'node:fs';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnCollector, type CollectorProcess } from '../support/collectorProcess.ts';
import { tempDataDir } from '../support/testCollector.ts';
import { sid, tid, traceRequest } from '../support/otlpJson.ts';

let collector: CollectorProcess;
beforeAll(async () => {
  collector = await spawnCollector(['--port', '0', '--grpc-port', 'off', '--data-dir', tempDataDir()]);
});
afterAll(() => {
  collector.child.kill('SIGKILL');
});

function peakRssBytes(pid: number): number {
  return Number(/VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) * 1024;
}

describe('the collector under a burst of large bodies and gzip bombs', () => {
  it('refuses what it cannot hold, keeps peak RSS under 1 GiB, and still accepts normal requests', async () => {
    const now = Date.now();
    // ~12 MiB of JSON: 30,000 spans of one service.
    const spans = Array.from({ length: 30_000 }, (_, i) => ({ traceId: tid(i + 1), spanId: sid(i + 1), name: 'GET /api/orders/:id', startMs: now - 1000, durationMs: 5, attributes: { 'url.path': `/api/orders/${i}`, 'http.response.status_code': 200 } }));
    const large = Buffer.from(JSON.stringify(traceRequest('burst', spans)));
    expect(large.length).toBeGreaterThan(8 * 1024 * 1024);
    const bomb = zlib.gzipSync(Buffer.alloc(256 * 1024 * 1024));
    const post = (body: Buffer, headers: Record<string, string>) =>
      fetch(collector.url + '/v1/traces', { method: 'POST', body, headers }).then(async (r) => ({ status: r.status, retryAfter: r.headers.get('retry-after'), text: await r.text() }));
    const results = await Promise.all([
      ...Array.from({ length: 24 }, () => post(large, { 'content-type': 'application/json' })),
      ...Array.from({ length: 12 }, () => post(bomb, { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' })),
    ]);
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => ![200, 413, 503].includes(s))).toEqual([]);
    expect(statuses.slice(24).every((s) => s === 413 || s === 503)).toBe(true);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThan(0);
    expect(statuses.filter((s) => s === 503).length).toBeGreaterThan(0);
    expect(results.filter((r) => r.status === 503).every((r) => r.retryAfter === '1')).toBe(true);
    expect(peakRssBytes(collector.child.pid!)).toBeLessThan(1024 ** 3);

    const small = traceRequest('after-burst', [{ traceId: tid(999_999), spanId: sid(1), name: 'ok', startMs: now, durationMs: 1 }]);
    const after = await fetch(collector.url + '/v1/traces', { method: 'POST', body: JSON.stringify(small), headers: { 'content-type': 'application/json' } });
    expect(after.status).toBe(200);
  });
});
