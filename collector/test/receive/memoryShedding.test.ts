import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ByteBudget } from '../../src/receive/ByteBudget.ts';
import { sid, tid, traceRequest } from '../support/otlpJson.ts';
import { startTestCollector } from '../support/testCollector.ts';

// A resident-memory bound (--max-rss) and an event-loop delay bound
// (--max-event-loop-delay): over either, ingest is answered 503 with
// Retry-After instead of taking more, while health and queries keep answering.

type Collector = Awaited<ReturnType<typeof startTestCollector>>;
let collector: Collector;
beforeAll(async () => {
  // 64 MiB: below what any collector process holds, so it is over the bound from the first sample.
  collector = await startTestCollector(['--max-rss', '64MiB']);
  await new Promise((r) => setTimeout(r, 400));
});
afterAll(async () => {
  await collector.stop();
});

describe('over the memory bound', () => {
  it('answers ingest 503 with Retry-After naming the bound, on every receiver', async () => {
    const body = JSON.stringify(traceRequest('shed', [{ traceId: tid(1), spanId: sid(1), name: 'op', startMs: Date.now() - 1000, durationMs: 1 }]));
    const otlp = await fetch(`${collector.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(otlp.status).toBe(503);
    expect(otlp.headers.get('retry-after')).toBe('1');
    expect(((await otlp.json()) as { message: string }).message).toMatch(/over its memory bound of 64 MiB \(limits\.maxRss\)/);
    const push = await fetch(`${collector.url}/metrics/job/shed/instance/a`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x 1\n' });
    expect(push.status).toBe(503);
    expect(push.headers.get('retry-after')).toBe('1');
  });

  it('keeps health, metrics and queries answering', async () => {
    for (const p of ['/healthz', '/metrics', '/api/services']) expect((await fetch(collector.url + p)).status, p).toBe(200);
  });
});

describe('the bound itself', () => {
  it('refuses bodies while resident memory is over it, and takes them under it', () => {
    const rss = process.memoryUsage.rss();
    // Half and four times the resident memory: far enough that the process's own RSS, which moves
    // between this read and the budget's (a collection can hand pages back), stays on the same side.
    const budget = new ByteBudget(1024, Math.floor(rss / 2));
    budget.sample();
    expect(budget.overloaded).toBe(true);
    expect(budget.tryReserve(10)).toBe(false);
    const roomy = new ByteBudget(1024, rss * 4);
    roomy.sample();
    expect(roomy.overloaded).toBe(false);
    expect(roomy.tryReserve(10)).toBe(true);
    budget.stop();
    roomy.stop();
  });

  it('is refused below 64 MiB, naming the option', async () => {
    await expect(startTestCollector(['--max-rss', '10MiB'])).rejects.toThrow(/limits\.maxRss: expected 0 \(no bound\) or a size of 64MiB or more/);
  });
});

describe('an event loop that falls behind', () => {
  it('sheds ingest with a 503 naming the delay, and takes it again once the loop has caught up', async () => {
    const busy = await startTestCollector(['--max-event-loop-delay', '100ms']);
    const send = () => fetch(`${busy.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(traceRequest('busy', [{ traceId: tid(9), spanId: sid(9), name: 'op', startMs: Date.now() - 1000, durationMs: 1 }])) });
    try {
      expect((await send()).status).toBe(200);
      // The collector shares this process: keeping the loop busy here is the collector falling behind.
      const until = Date.now() + 700;
      while (Date.now() < until) {
        // busy
      }
      const shed = await send(); // the overdue sample runs first, and sees it
      expect(shed.status).toBe(503);
      expect(shed.headers.get('retry-after')).toBe('1');
      expect(((await shed.json()) as { message: string }).message).toMatch(/event loop is \d+ ms behind \(limits\.maxEventLoopDelay 100 ms\)/);
      await new Promise((r) => setTimeout(r, 600)); // a calm window
      expect((await send()).status).toBe(200);
    } finally {
      await busy.stop();
    }
  });
});

describe('a slow client (slow-loris)', () => {
  it('is cut off once it has taken longer than --request-timeout, while others are served', async () => {
    const { default: net } = await import('node:net');
    const slow = await startTestCollector(['--request-timeout', '1s']);
    try {
      const { port } = new URL(slow.url);
      const socket = net.connect(Number(port), '127.0.0.1');
      let answer = '';
      socket.on('data', (c: Buffer) => (answer += c.toString()));
      const closed = new Promise<number>((resolve) => socket.on('close', () => resolve(Date.now())));
      // The cut-off can reach the client as a reset while it is still writing (ECONNRESET, EPIPE):
      // what this test checks is that the connection closes, in time and with a 408.
      socket.on('error', () => {});
      const opened = Date.now();
      // Headers one byte at a time, never finished.
      const drip = setInterval(() => {
        if (!socket.destroyed) socket.write('X');
      }, 200);
      socket.write('POST /v1/traces HTTP/1.1\r\nHost: x\r\nX-Slow: ');
      expect((await fetch(`${slow.url}/healthz`)).status).toBe(200); // others are not held up
      const at = await closed;
      clearInterval(drip);
      expect(at - opened).toBeLessThan(5000);
      expect(answer).toMatch(/^HTTP\/1\.1 408/);
    } finally {
      await slow.stop();
    }
  });
});
