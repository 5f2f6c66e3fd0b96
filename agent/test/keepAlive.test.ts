/**
 * Keep-alive connections with the agent: the agent sets a connection's idle
 * timer again once a response's span has ended (so that the timer does not
 * keep the request's context alive), which must not change how the service
 * behaves. A connection serves several requests, closes by itself after the
 * server's keepAliveTimeout as it does without the agent, and work a request
 * leaves behind still runs in that request's trace.
 */
import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually, startAppWithAgent, type AgentApp } from './support/processes.ts';

const KEEP_ALIVE_MS = 400;
const apps: AgentApp[] = [];
afterAll(() => {
  for (const app of apps) app.child.kill('SIGKILL');
});

interface Connection {
  /** Sends a GET and resolves with the response's head and body. */
  get(path: string): Promise<{ status: number; headers: Record<string, string>; body: string }>;
  /** Resolves with the milliseconds from now until the server closes the connection, or Infinity if it has not after `limitMs`. */
  closedAfter(limitMs: number): Promise<number>;
}

/**
 * One HTTP/1.1 keep-alive connection, read by hand so that nothing but the server closes it
 * (Node's http.Agent closes an idle socket itself, going by the server's Keep-Alive header).
 */
async function connect(url: string): Promise<Connection> {
  const { hostname, port } = new URL(url);
  const socket = net.connect(Number(port), hostname);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let buffered = '';
  let waiting: (() => void) | null = null;
  let closed = false;
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => {
    buffered += chunk;
    waiting?.();
  });
  socket.on('close', () => {
    closed = true;
    waiting?.();
  });
  // A reset from the server ends in 'close' too, which is what the tests read; unheard, it would be an uncaught error.
  socket.on('error', () => {});
  const next = () => new Promise<void>((resolve) => (waiting = resolve));
  return {
    async get(path) {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: ${hostname}\r\n\r\n`);
      for (;;) {
        const end = buffered.indexOf('\r\n\r\n');
        if (end !== -1) {
          const [statusLine, ...lines] = buffered.slice(0, end).split('\r\n');
          const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
          const length = Number(headers['content-length']);
          if (buffered.length >= end + 4 + length) {
            const body = buffered.slice(end + 4, end + 4 + length);
            buffered = buffered.slice(end + 4 + length);
            return { status: Number(statusLine!.split(' ')[1]), headers, body };
          }
        }
        if (closed) throw new Error(`connection closed before a whole response; received ${JSON.stringify(buffered)}`);
        await next();
      }
    },
    async closedAfter(limitMs) {
      const start = performance.now();
      const limit = setTimeout(() => waiting?.(), limitMs);
      while (!closed && performance.now() - start < limitMs) await next();
      clearTimeout(limit);
      if (!closed) socket.destroy();
      return closed ? performance.now() - start : Infinity;
    },
  };
}

/** Two requests on one connection, then the time until the server closes it. */
async function twoRequestsThenIdle(app: AgentApp) {
  const connection = await connect(app.url);
  const first = await connection.get('/first');
  const second = await connection.get('/second');
  return { first, second, idleMs: await connection.closedAfter(KEEP_ALIVE_MS + 10_000) };
}

describe('keep-alive connections with the agent', () => {
  it('serve several requests and close after keepAliveTimeout as without it, and work left behind stays in its trace', async () => {
    const env = { KEEP_ALIVE_MS: String(KEEP_ALIVE_MS), OTEL_SERVICE_NAME: 'keepalive', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' };
    const bare = await startAppWithAgent('keepAliveApp.mjs', env, false);
    apps.push(bare);
    const traced = await startAppWithAgent('keepAliveApp.mjs', env);
    apps.push(traced);

    const withoutAgent = await twoRequestsThenIdle(bare);
    const withAgent = await twoRequestsThenIdle(traced);

    for (const run of [withoutAgent, withAgent]) {
      expect([run.first.status, run.first.body, run.second.status, run.second.body]).toEqual([200, 'ok', 200, 'ok']);
    }
    expect(withoutAgent.first.headers['x-trace-id']).toBe('none');
    // Node closes an idle connection some time after keepAliveTimeout; with the agent, when it does without.
    expect(withAgent.idleMs).toBeGreaterThanOrEqual(KEEP_ALIVE_MS - 50);
    expect(withAgent.idleMs).toBeLessThan(withoutAgent.idleMs + 1000);

    const ids = [withAgent.first.headers['x-trace-id'], withAgent.second.headers['x-trace-id']];
    expect(ids[0]).toMatch(/^[0-9a-f]{32}$/);
    expect(ids[1]).toMatch(/^[0-9a-f]{32}$/);
    expect(ids[0]).not.toBe(ids[1]);
    // The timer each request set runs after its response, in its trace.
    await eventually(async () => (ids.every((id) => traced.output().includes(`deferred ${id} ${id}`)) ? true : undefined), 5000, traced.output);
  });
});
