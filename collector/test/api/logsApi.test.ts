import { describe, expect, it } from 'vitest';
import { getJson, startTestCollector } from '../support/testCollector.ts';
import { logsRequest, sendJson } from '../support/otlpJson.ts';
import { logsApiSuite } from './suites/logsApiSuite.ts';

type Page = { data: Array<{ body: string }>; nextCursor: string | null };

// The embedded DuckDB store; test/search runs the same suite on OpenSearch.
logsApiSuite(() => startTestCollector());

describe('GET /api/logs paging while time passes', () => {
  it('continues from the window of the first page, even when the next page is fetched much later', async () => {
    let now = Date.now();
    const c = await startTestCollector([], { now: () => now });
    try {
      await sendJson(c.url, '/v1/logs', logsRequest('clock', [50, 45, 40, 35].map((minutesAgo) => ({ timeMs: now - minutesAgo * 60_000, body: `${minutesAgo} minutes ago` }))));
      const first = await getJson<Page>(c.url, '/api/logs?service=clock&limit=2');
      expect(first.body.data.map((l) => l.body)).toEqual(['35 minutes ago', '40 minutes ago']);
      now += 40 * 60_000; // the user reads for a while before asking for more
      const second = await getJson<Page>(c.url, `/api/logs?service=clock&limit=2&cursor=${first.body.nextCursor}`);
      expect(second.body.data.map((l) => l.body)).toEqual(['45 minutes ago', '50 minutes ago']);
    } finally {
      await c.stop();
    }
  });
});
