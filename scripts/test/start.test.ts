/**
 * User journey 1 (shortened): the README's first command's stack comes up
 * with a progress line per component and the dashboard URL, sample traffic
 * flows through every service, and Ctrl-C stops everything it started.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { portAnswers } from '../portAnswers.ts';
import { startStack } from './stackProcess.ts';

let stack: ChildProcess | undefined;
afterAll(() => {
  if (stack?.exitCode === null) stack.kill('SIGKILL');
});

const isOpen = (port: string) => portAnswers('127.0.0.1', Number(port));

describe('npm start (scripts/start.ts)', () => {
  it('brings up the collector, the five services and the load generator, then stops them all on Ctrl-C', async () => {
    const started = await startStack({ MIRADOR_DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'mirador-start-')), LOADGEN_PEAK_ORDERS: '10', LOADGEN_MINUTES_PER_DAY: '1', DEMO_NAMESPACE: `mirador-start-test-${process.pid}`, MIRADOR_METRICS_PUSH_INTERVAL: '500', OTEL_BSP_SCHEDULE_DELAY: '200' });
    stack = started.child;
    const { dashboard, ports } = started;
    const output = () => started.output();
    expect(dashboard).toBe(`http://127.0.0.1:${ports.MIRADOR_PORT}/`);
    for (const name of ['catalog', 'inventory', 'payment', 'order', 'gateway', 'loadgen']) {
      expect(output()).toContain(`[mirador] ${name} listening on http://127.0.0.1:${ports[`${name.toUpperCase()}_PORT`]}`);
    }

    // Sample traffic reaches every service.
    const deadline = Date.now() + 30_000;
    let seen: string[] = [];
    while (Date.now() < deadline) {
      seen = ((await (await fetch(`${dashboard}api/services`)).json()) as { data: string[] }).data;
      if (['catalog', 'gateway', 'inventory', 'order', 'payment'].every((s) => seen.includes(s))) break;
      await new Promise((r) => setTimeout(r, 300));
    }
    expect(seen).toEqual(expect.arrayContaining(['catalog', 'gateway', 'inventory', 'order', 'payment']));

    // Ctrl-C: nothing it started is left listening.
    expect(await Promise.all(Object.values(ports).map(isOpen))).toEqual(Object.values(ports).map(() => true));
    const exited = new Promise<number | null>((resolve) => stack!.once('exit', (code) => resolve(code)));
    stack.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(output()).toContain('[mirador] stopped');
    expect(await Promise.all(Object.values(ports).map(isOpen))).toEqual(Object.values(ports).map(() => false));
  });
});
