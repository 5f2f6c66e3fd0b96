import { describe, expect, it } from 'vitest';
import { killLoop } from '../support/killLoop.ts';
import { tempDataDir } from '../support/testCollector.ts';

// kill -9 at random moments during sustained ingest, a few times here
// (a hundred in `npm run soak`): everything answered 200 is there after the
// restart, once, and the store opens cleanly every time.
describe('a collector killed with SIGKILL during ingest', () => {
  it('keeps every acknowledged record, stores none twice, and starts again each time', async () => {
    const report = await killLoop({ dataDir: tempDataDir(), kills: 3, minMs: 300, maxMs: 1500, senders: 4 });
    expect(report.acknowledged).toBeGreaterThan(0);
    expect(report).toEqual({ kills: 3, acknowledged: report.acknowledged, missing: 0, duplicated: 0, failedStarts: 0 });
  }, 120_000);
});
