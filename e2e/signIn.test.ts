/**
 * Signing in to the dashboard in a real browser (Debian's Chromium) when the
 * collector has users: a page asked for while signed out leads to the
 * sign-in page and back; a viewer sees the alert rules but cannot save a
 * threshold; an editor can, and the change is recorded under her name. And a
 * log line carrying markup is shown as text.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCollector, tempDataDir } from '../collector/test/support/testCollector.ts';

const root = path.resolve(import.meta.dirname, '..');
const screenshots = path.join(root, 'e2e', 'screenshots');
let collector: Awaited<ReturnType<typeof startTestCollector>>;
let browser: Browser;
let page: Page;

function hashPassword(password: string): string {
  const r = spawnSync(path.join(root, 'node_modules', '.bin', 'node'), [path.join(root, 'collector', 'bin', 'mirador-collector.js'), 'hash-password'], { input: `${password}\n`, encoding: 'utf8' });
  return r.stdout.trim();
}

beforeAll(async () => {
  fs.mkdirSync(screenshots, { recursive: true });
  const dir = tempDataDir();
  fs.writeFileSync(path.join(dir, 'users.yaml'), `users:\n  - name: ana\n    role: editor\n    password: ${hashPassword('ana-password-1')}\n  - name: vic\n    role: viewer\n    password: ${hashPassword('vic-password-1')}\n`);
  fs.writeFileSync(path.join(dir, 'app.rules.yaml'), 'groups:\n  - name: app\n    rules:\n      - alert: SlowCheckout\n        expr: vector(1) > 5\n        for: 1m\n');
  collector = await startTestCollector(['--users-file', path.join(dir, 'users.yaml'), '--rules', path.join(dir, 'app.rules.yaml')]);
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
  page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await collector?.stop();
});

async function signIn(user: string, password: string): Promise<void> {
  await page.getByLabel('User').fill(user);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

describe('signing in to the dashboard', () => {
  it('sends a signed-out visitor to the sign-in page and back to the page asked for', async () => {
    await page.goto(`${collector.url}/alerts`);
    await page.waitForURL(/\/login\?next=%2Falerts/);
    await signIn('vic', 'wrong-password');
    await expect(page.getByRole('alert').textContent()).resolves.toMatch(/that user and password do not match/);
    await page.screenshot({ path: path.join(screenshots, 'sign-in.png') });
    await signIn('vic', 'vic-password-1');
    await page.waitForURL(/\/alerts$/);
    await page.getByText('SlowCheckout').waitFor();
    await expect(page.locator('.who').textContent()).resolves.toMatch(/vic \(viewer\)/);
  });

  it('shows a viewer the rules read-only', async () => {
    await expect(page.getByRole('button', { name: 'Save' }).isDisabled()).resolves.toBe(true);
    await page.getByText('read only: vic is a viewer').waitFor();
  });

  it('lets an editor change a threshold, recorded under her name', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/login/);
    await page.goto(`${collector.url}/alerts`);
    await page.waitForURL(/\/login/);
    await signIn('ana', 'ana-password-1');
    await page.waitForURL(/\/alerts$/);
    await page.getByLabel('Threshold of SlowCheckout').fill('7');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText(/Saved to .*app\.rules\.yaml and applied/).waitFor();
    await page.screenshot({ path: path.join(screenshots, 'alerts-signed-in.png') });
    // What the browser's session did, read back as the API reports it.
    const history = await page.evaluate(async () => (await (await fetch('/api/alerts/history?kind=rule_updated')).json()) as { data: Array<{ user: string; rule: string }> });
    expect(history.data[0]).toMatchObject({ user: 'ana', rule: 'SlowCheckout' });
  });

  it('shows a log line carrying markup as text, never as HTML', async () => {
    const body = '<img src=x onerror="window.__pwned = 1"><b>bold</b>';
    const request = { resourceLogs: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'hostile' } }] }, scopeLogs: [{ logRecords: [{ timeUnixNano: String(BigInt(Date.now() - 5000) * 1_000_000n), body: { stringValue: body }, severityNumber: 9 }] }] }] };
    expect((await fetch(`${collector.url}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(request) })).status).toBe(200);
    await page.goto(`${collector.url}/logs?service=hostile`);
    await page.getByText(body, { exact: false }).first().waitFor();
    expect(await page.evaluate('window.__pwned')).toBeUndefined();
    expect(await page.locator('main img, main b').count()).toBe(0);
  });
});
