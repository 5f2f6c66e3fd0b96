/** The gateway on its own: API keys and the per-key rate limit. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startComponent, type RunningComponent } from '../src/lib/processes.ts';

let gateway: RunningComponent;
beforeAll(async () => {
  // Nothing behind it: what passes the checks gets a 502 naming the unreachable upstream.
  gateway = await startComponent('gateway', { GATEWAY_PORT: '0', GATEWAY_RATE_LIMIT: '2', GATEWAY_API_KEYS: 'key-a,key-b', CATALOG_URL: 'http://127.0.0.1:9', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' });
});
afterAll(() => {
  gateway?.child.kill('SIGKILL');
});

const get = (key?: string) => fetch(`http://127.0.0.1:${gateway.port}/api/catalog`, { headers: key === undefined ? {} : { 'x-api-key': key } });

describe('gateway', () => {
  it('refuses requests without a known API key', async () => {
    expect((await get()).status).toBe(401);
    expect((await get('key-z')).status).toBe(401);
  });

  it('limits each key to its rate, with Retry-After, and keeps keys apart', async () => {
    const statuses = [];
    for (let i = 0; i < 8; i++) statuses.push((await get('key-a')).status);
    // A burst of twice the rate passes (to the unreachable upstream: 502), then 429.
    expect(statuses.filter((s) => s === 502).length).toBeGreaterThanOrEqual(4);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(2);
    const limited = await get('key-a');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(((await limited.json()) as { error: string }).error).toBe('rate limit of 2 requests per second for this key exceeded');
    expect((await get('key-b')).status).toBe(502);
  });
});
