/**
 * Dashboard: how long the services overview takes to show 50 services in
 * Debian's headless Chromium, against a collector holding 10 minutes of span
 * metrics for them (server spans sent by OTLP, 5 operations each, derived
 * every 2 s). Measured from navigation to the 50th row with its figures,
 * cold (first load) and warm (reload), median of --rounds; also the
 * production build's initial JavaScript (what `/` loads), gzipped.
 *
 *   npm run bench -- dashboard [--services 50] [--rounds 5]
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { traceRequest } from '../collector/test/support/otlpJson.ts';
import { startTestCollector } from '../collector/test/support/testCollector.ts';
import { machineLine, percentile } from './machine.ts';

const { values } = parseArgs({ options: { services: { type: 'string', default: '50' }, rounds: { type: 'string', default: '5' } } });
const SERVICES = Number(values.services);
const ROUNDS = Number(values.rounds);

const collector = await startTestCollector(['--derive-interval', '2s']);
// Ten minutes of history for every service: a batch of server spans every 15 s of span time, derived as they arrive.
const now = Date.now();
process.stdout.write(`sending spans of ${SERVICES} services… `);
for (let round = 0; round < 6; round++) {
  for (let s = 0; s < SERVICES; s++) {
    const spans = Array.from({ length: 40 }, (_, i) => ({
      traceId: (s * 1_000_000 + round * 1000 + i + 1).toString(16).padStart(32, '0'),
      spanId: (i + 1).toString(16).padStart(16, '0'),
      name: `GET /op${i % 5}`,
      kind: 2,
      startMs: now - 60_000 + round * 10_000 + i * 100,
      durationMs: 5 + ((i * 7) % 40),
      error: i % 25 === 0,
    }));
    const res = await fetch(`${collector.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(traceRequest(`service-${String(s).padStart(2, '0')}`, spans)) });
    if (!res.ok) throw new Error(`ingest answered ${res.status}`);
  }
  await new Promise((r) => setTimeout(r, 2500));
}
console.log('done');

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-renderer-backgrounding', '--disable-background-timer-throttling', '--disable-backgrounding-occluded-windows'] });
const timings: { cold: number[]; warm: number[] } = { cold: [], warm: [] };
for (let round = 0; round < ROUNDS; round++) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  const page = await context.newPage();
  for (const kind of ['cold', 'warm'] as const) {
    const started = performance.now();
    if (kind === 'cold') await page.goto(`${collector.url}/`);
    else await page.reload();
    // The last service's row with a request rate in it.
    await page.locator('table.grid tbody tr', { hasText: `service-${String(SERVICES - 1).padStart(2, '0')}` }).filter({ hasText: '/s' }).waitFor({ timeout: 30_000 });
    timings[kind].push(performance.now() - started);
    if (process.env.BENCH_DEBUG !== undefined) {
      const entries = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => [e.name.replace(/^https?:\/\/[^/]+/, '').slice(0, 60), Math.round(e.startTime), Math.round(e.duration)]));
      console.log(kind, JSON.stringify(entries));
    }
    if (kind === 'warm' && (await page.locator('table.grid tbody tr').count()) !== SERVICES) throw new Error('not every service is listed');
  }
  await context.close();
}
await browser.close();
await collector.stop();

const dist = path.resolve(import.meta.dirname, '..', 'dashboard', 'dist');
const index = fs.readFileSync(path.join(dist, 'index.html'), 'utf8');
const entry = [...index.matchAll(/(?:src|href)="\/(assets\/[^"]+\.js)"/g)].map((m) => m[1]!);
const gz = (file: string) => zlib.gzipSync(fs.readFileSync(path.join(dist, file))).length;
const entryBytes = entry.reduce((n, f) => n + gz(f), 0);
console.log('');
console.log(machineLine());
console.log(`services overview with ${SERVICES} services, Chromium headless, median of ${ROUNDS}: cold ${percentile(timings.cold, 50).toFixed(0)} ms (max ${Math.max(...timings.cold).toFixed(0)}), warm ${percentile(timings.warm, 50).toFixed(0)} ms (max ${Math.max(...timings.warm).toFixed(0)}) — target < 1000 ms`);
console.log(`initial JavaScript (index.html's entry), gzipped: ${(entryBytes / 1024).toFixed(0)} KiB — target < 350 KiB (pages load on first use)`);
