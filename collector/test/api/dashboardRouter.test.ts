import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARD_CSP } from '../../src/api/dashboardRouter.ts';
import { startTestCollector, tempDataDir } from '../support/testCollector.ts';

// A build of the dashboard of our own: the router serves whatever the directory holds.
const dist = tempDataDir();
fs.writeFileSync(path.join(dist, 'index.html'), '<!doctype html><div id="root"></div><script type="module" src="/assets/app.js"></script>');
fs.mkdirSync(path.join(dist, 'assets'));
fs.writeFileSync(path.join(dist, 'assets', 'app.js'), 'console.log(1)');

let collector: Awaited<ReturnType<typeof startTestCollector>>;
beforeAll(async () => {
  collector = await startTestCollector(['--dashboard-dir', dist]);
});
afterAll(() => collector.stop());

describe('the dashboard at /', () => {
  it('serves the app for every page path, with a strict Content-Security-Policy', async () => {
    for (const page of ['/', '/traces/0af7651916cd43dd8448eb211c80319c', '/alerts?range=6h']) {
      const res = await fetch(collector.url + page, { headers: { accept: 'text/html' } });
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('<div id="root"></div>');
      expect(res.headers.get('content-security-policy')).toBe(DASHBOARD_CSP);
      expect(res.headers.get('x-frame-options')).toBe('DENY');
    }
    expect(DASHBOARD_CSP).toMatch(/script-src 'self';/);
    expect(DASHBOARD_CSP).not.toMatch(/unsafe-eval/);
  });

  it('serves hashed assets for a year, and leaves the API paths to the API', async () => {
    const asset = await fetch(`${collector.url}/assets/app.js`);
    expect(asset.headers.get('cache-control')).toContain('max-age=31536000');
    expect(asset.headers.get('x-content-type-options')).toBe('nosniff');
    const api = await fetch(`${collector.url}/api/nope`, { headers: { accept: 'text/html' } });
    expect(api.status).toBe(404);
    expect(((await api.json()) as { error: string }).error).toMatch(/no route for GET \/api\/nope/);
    expect((await fetch(`${collector.url}/assets/missing.js`)).status).toBe(404);
  });
});
