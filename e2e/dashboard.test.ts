/**
 * The dashboard in a real browser (Debian's Chromium, driven by
 * playwright-core) against `npm start`'s stack: the collector with the five
 * sample services and the load generator. Follows the user journeys: the
 * services overview lists the services, a trace opens from search with every
 * span and every log line of the request, and an alert threshold is changed
 * (and a bad one refused) in the Alerts page. Screenshots of each page go to
 * e2e/screenshots/.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type StackProcess } from '../scripts/test/stackProcess.ts';

const root = path.resolve(import.meta.dirname, '..');
const screenshots = path.join(root, 'e2e', 'screenshots');
const SERVICES = ['catalog', 'gateway', 'inventory', 'order', 'payment'];
let stack: StackProcess;
let browser: Browser;
let page: Page;

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

const api = async <T>(pathAndQuery: string): Promise<T> => (await fetch(new URL(pathAndQuery, stack.dashboard))).json() as Promise<T>;

beforeAll(async () => {
  fs.mkdirSync(screenshots, { recursive: true });
  // The rules the test edits are a copy: the repository's alert-rules/ stay as they are.
  const rules = fs.mkdtempSync(path.join(os.tmpdir(), 'mirador-e2e-rules-'));
  for (const f of fs.readdirSync(path.join(root, 'alert-rules')).filter((f) => f.endsWith('.yaml'))) fs.copyFileSync(path.join(root, 'alert-rules', f), path.join(rules, f));
  stack = await startStack({
    MIRADOR_DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'mirador-e2e-')),
    MIRADOR_RULES: path.join(rules, '*.yaml'),
    MIRADOR_DERIVE_INTERVAL: '2s',
    LOADGEN_PEAK_ORDERS: '8',
    DEMO_NAMESPACE: `mirador-e2e-${process.pid}`,
    MIRADOR_METRICS_PUSH_INTERVAL: '1000',
    OTEL_BSP_SCHEDULE_DELAY: '200',
  });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
  page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  if (stack?.child.exitCode === null) {
    const exited = new Promise((resolve) => stack.child.once('exit', resolve));
    stack.child.kill('SIGINT');
    await exited;
  }
});

describe('the dashboard in Chromium', () => {
  it('lists the five sample services with their request rates and latency', async () => {
    await page.goto(stack.dashboard);
    const rows = await until(
      async () => {
        await page.reload();
        await page.locator('table.grid tbody tr').first().waitFor({ timeout: 5000 });
        const texts = await page.locator('table.grid tbody tr').allInnerTexts();
        // Every service with a request rate (not "–") once span metrics have two points.
        return SERVICES.every((s) => texts.some((t) => t.startsWith(s) && /\d\/s/.test(t))) ? texts : undefined;
      },
      90_000,
      'the overview listing every service with a rate',
    );
    expect(rows.map((t) => t.split('\t')[0])).toEqual(expect.arrayContaining(SERVICES));
    await page.screenshot({ path: path.join(screenshots, 'services.png') });
    // A row opens the service's page: its charts and operations.
    await page.getByRole('link', { name: 'order', exact: true }).click();
    await page.getByRole('heading', { name: 'order', exact: true }).waitFor();
    await until(async () => ((await page.locator('.panel', { hasText: 'Operations' }).locator('tbody tr').count()) > 0 ? true : undefined), 30_000, 'the operations of order');
    await until(async () => ((await page.locator('.panel', { hasText: 'Requests and errors per second' }).locator('.recharts-line-curve').count()) > 0 ? true : undefined), 30_000, 'the requests chart of order');
    // A point of the latency chart lists example traces from that minute (exemplars of the agent's histogram).
    // The data is young: its points are at the right end of the range.
    const chart = page.locator('.panel', { hasText: 'Latency (ms)' }).locator('.recharts-wrapper > svg');
    const box = (await chart.boundingBox())!;
    await chart.click({ position: { x: box.width - 20, y: box.height / 3 } });
    await page.getByLabel('Example traces').getByText(/Every trace of order in that minute/).waitFor();
    await page.screenshot({ path: path.join(screenshots, 'service.png') });
    // "Alert on this": a rule from the chart's query and a threshold.
    await page.getByLabel('Threshold for HighLatencyP95_order').fill('800');
    await page.getByRole('form', { name: 'Alert on HighLatencyP95_order' }).getByRole('button', { name: 'Alert on this' }).click();
    await page.getByText('HighLatencyP95_order created').waitFor();
    const created = await api<{ expr: string; threshold: { value: number } }>('api/alert-rules/dashboard/HighLatencyP95_order');
    expect(created.threshold.value).toBe(0.8);
  }, 120_000);

  it('draws the service map: the five services, and the queue between order and payment', async () => {
    await page.goto(new URL('map', stack.dashboard).toString());
    const labels = await until(
      async () => {
        await page.reload();
        await page.locator('.react-flow__node').first().waitFor({ timeout: 5000 });
        const texts = await page.locator('.react-flow__node').allInnerTexts();
        return SERVICES.every((s) => texts.includes(s)) && texts.some((t) => t.startsWith('✉')) ? texts : undefined;
      },
      60_000,
      'the map with every service and a queue',
    );
    expect(labels.filter((t) => t.startsWith('✉')).length).toBeGreaterThan(0);
    await page.locator('.react-flow__node', { hasText: /^payment$/ }).click();
    await page.getByRole('complementary', { name: 'Details' }).getByText('Called by').waitFor();
    await page.screenshot({ path: path.join(screenshots, 'map.png') });
  }, 90_000);

  it('plots order volume over time in the business view', async () => {
    await page.goto(new URL('business', stack.dashboard).toString());
    const orders = page.locator('.panel', { hasText: 'Orders per minute' });
    await until(
      async () => {
        await page.reload();
        await orders.locator('.recharts-line-curve').first().waitFor({ timeout: 5000 });
        return ((await orders.locator('.recharts-line-curve').first().getAttribute('d')) ?? '').length > 0 ? true : undefined;
      },
      60_000,
      'an order-volume line',
    );
    await page.screenshot({ path: path.join(screenshots, 'business.png') });
  }, 90_000);

  it('opens a trace from search: the waterfall shows every span and beside it every log line of that request', async () => {
    await until(async () => ((await api<{ data: unknown[] }>('api/traces?service=gateway&operation=POST%20%2Fapi%2Forders&lookback=1h&limit=1')).data.length > 0 ? true : undefined), 60_000, 'an order trace');
    await page.goto(new URL('traces?service=gateway&operation=POST%20%2Fapi%2Forders', stack.dashboard).toString());
    await page.locator('table.grid tbody tr a').first().waitFor({ timeout: 20_000 });
    await page.screenshot({ path: path.join(screenshots, 'traces.png') });
    await page.locator('table.grid tbody tr a').first().click();
    await page.waitForURL(/\/traces\/[0-9a-f]{32}/);
    const traceId = /\/traces\/([0-9a-f]{32})/.exec(page.url())![1]!;
    await page.locator('.span-row').first().waitFor();
    const trace = (await api<{ data: Array<{ spans: unknown[] }> }>(`api/traces/${traceId}`)).data[0]!;
    const logs = (await api<{ data: unknown[] }>(`api/logs?traceId=${traceId}`)).data;
    expect(await page.locator('.span-row').count()).toBe(trace.spans.length);
    expect(logs.length).toBeGreaterThan(0);
    await until(async () => ((await page.locator('.trace-logs li').count()) === logs.length ? true : undefined), 10_000, 'the logs panel');
    await expect(page.getByRole('heading', { name: `Logs (${logs.length})` }).isVisible()).resolves.toBe(true);
    await page.screenshot({ path: path.join(screenshots, 'trace.png') });
    // The same lines on the logs page, by the trace id.
    await page.goto(new URL(`logs?traceId=${traceId}`, stack.dashboard).toString());
    await page.locator('table.logs tbody tr').first().waitFor();
    expect(await page.locator('table.logs tbody tr').count()).toBe(logs.length);
    await page.screenshot({ path: path.join(screenshots, 'logs.png') });
  }, 120_000);

  it('runs PromQL in Explore with completion, keeps the query in the URL, and shows what the collector says about a bad one', async () => {
    await page.goto(new URL('explore', stack.dashboard).toString());
    const editor = page.getByRole('textbox', { name: 'PromQL query' });
    await editor.click();
    await page.keyboard.type('traces_span_metrics_ca');
    await page.locator('.cm-tooltip-autocomplete').getByText('traces_span_metrics_calls_total').first().waitFor({ timeout: 10_000 });
    await page.keyboard.press('Escape');
    await page.keyboard.type('lls_total');
    await page.keyboard.press('Control+Enter');
    await page.waitForURL(/[?&]q=traces_span_metrics_calls_total/);
    await page.locator('table.grid tbody tr').first().waitFor();
    expect(await page.locator('table.grid tbody tr').count()).toBeGreaterThan(0);
    await page.screenshot({ path: path.join(screenshots, 'explore.png') });
    await page.goto(new URL(`explore?q=${encodeURIComponent('sum(rate(traces_span_metrics_calls_total[5m])')}`, stack.dashboard).toString());
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').innerText()).toMatch(/400[\s\S]*parse error/);
  }, 60_000);

  it('changes an alert threshold from the Alerts page, and refuses a bad one with a message under the field', async () => {
    await page.goto(new URL('alerts', stack.dashboard).toString());
    const threshold = page.getByLabel('Threshold of HighLatencyP95', { exact: true });
    await threshold.waitFor();
    await threshold.fill('0.3');
    await page.getByRole('form', { name: 'Edit HighLatencyP95', exact: true }).getByRole('button', { name: 'Save' }).click();
    await page.getByText(/Saved to .* and applied/).waitFor();
    const saved = await api<{ threshold: { value: number }; expr: string }>('api/alert-rules/service-health/HighLatencyP95');
    expect(saved.threshold.value).toBe(0.3);
    expect(saved.expr).toMatch(/> 0\.3$/);
    // The preview plots the query against the threshold being edited, and the history has the change.
    await page.getByRole('form', { name: 'Edit HighLatencyP95', exact: true }).getByRole('button', { name: 'Preview' }).click();
    await page.getByText(/rule updated by anonymous/).first().waitFor();
    await page.screenshot({ path: path.join(screenshots, 'alerts.png') });

    await page.getByLabel('Threshold of HighLatencyP95', { exact: true }).fill('fast');
    await page.getByRole('form', { name: 'Edit HighLatencyP95', exact: true }).getByRole('button', { name: 'Save' }).click();
    const message = page.getByRole('form', { name: 'Edit HighLatencyP95', exact: true }).getByRole('alert');
    await message.waitFor();
    expect(await message.innerText()).toMatch(/threshold: expected a number, got "fast"/);
    expect((await api<{ threshold: { value: number } }>('api/alert-rules/service-health/HighLatencyP95')).threshold.value).toBe(0.3);
    await page.screenshot({ path: path.join(screenshots, 'alerts-invalid.png') });
  }, 60_000);
});
