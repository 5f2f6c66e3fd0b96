import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { rfc3339 } from '../../src/alerts/goFormat.ts';
import { STALE_NAN } from '../../src/model/metric.ts';
import { runCollector } from '../support/collectorProcess.ts';
import { eventually, getJson, startTestCollector, tempDataDir } from '../support/testCollector.ts';
import { startWebhookReceiver, type WebhookReceiverServer } from '../support/webhookReceiver.ts';

const T0 = Date.UTC(2026, 10, 22, 10, 0, 0);

const RULES = `# Rules of the alerting API tests.
groups:
  - name: queues
    interval: 1h # stepped by the tests, never by the clock
    rules:
      - record: queue:depth:max
        expr: max by (queue) (queue_depth)
      # Too many messages wait.
      - alert: QueueBacklog
        expr: queue:depth:max > 100
        for: 30s
        labels:
          severity: page
        annotations:
          summary: "{{ $labels.queue }} holds {{ $value }} messages"
`;

type Running = Awaited<ReturnType<typeof startTestCollector>>;
const running: Running[] = [];
const receivers: WebhookReceiverServer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.stop()));
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

/** A collector with the rules in a temp dir, a webhook receiver, and a clock the test moves. */
async function start(options: { rules?: string; dataDir?: string; rulesDir?: string; clock: { now: number } }) {
  const dataDir = options.dataDir ?? tempDataDir();
  const rulesDir = options.rulesDir ?? fs.mkdtempSync(path.join(dataDir, 'rules-'));
  if (options.rules !== undefined) fs.writeFileSync(path.join(rulesDir, 'queues.rules.yaml'), options.rules);
  const hook = await startWebhookReceiver();
  receivers.push(hook);
  const notifications = path.join(rulesDir, 'notifications.yml');
  fs.writeFileSync(notifications, `webhooks:\n  - name: oncall\n    url: ${hook.url}\n    group_wait: 10s\n    group_interval: 1m\n    repeat_interval: 4h\n`);
  const collector = await startTestCollector(['--rules', path.join(rulesDir, '*.rules.yaml'), '--alert-notifications', notifications, '--external-url', 'http://mirador.example'], { now: () => options.clock.now }, dataDir);
  running.push(collector);
  return { collector, hook, dataDir, rulesDir, rulesFile: path.join(rulesDir, 'queues.rules.yaml') };
}

async function evaluateAt(collector: Running, clock: { now: number }, t: number, depth: number | null) {
  clock.now = t;
  const labels = { __name__: 'queue_depth', queue: 'payments' };
  await collector.stores.metrics.appendSamples([depth === null ? { labels, timestampMs: t, value: STALE_NAN, stale: true } : { labels, timestampMs: t, value: depth }]);
  await collector.alerting.manager.evaluateGroup('queues', t);
  collector.alerting.manager.tick();
}

/** Pending at T0, firing at +30 s, sent to the webhook after its group_wait (+45 s). */
async function fireAndNotify(at: { collector: Running; hook: WebhookReceiverServer }, clock: { now: number }) {
  await evaluateAt(at.collector, clock, T0, 150);
  await evaluateAt(at.collector, clock, T0 + 30_000, 150);
  await evaluateAt(at.collector, clock, T0 + 45_000, 150);
  await eventually(async () => at.hook.payloads[0]);
}

const send = (url: string, method: string, body?: unknown, user?: string) =>
  fetch(url, { method, headers: { 'content-type': 'application/json', ...(user !== undefined && { 'x-mirador-user': user }) }, ...(body !== undefined && { body: JSON.stringify(body) }) }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }));

describe('alerting through the collector', () => {
  it('serves rules and alerts in the Prometheus API shapes as an alert goes pending and firing', async () => {
    const clock = { now: T0 };
    const { collector } = await start({ rules: RULES, clock });
    await evaluateAt(collector, clock, T0, 150);
    const pending = await getJson<{ data: { alerts: Array<Record<string, unknown>> } }>(collector.url, '/api/v1/alerts');
    expect(pending.body.data.alerts).toEqual([{ labels: { alertname: 'QueueBacklog', queue: 'payments', severity: 'page' }, annotations: { summary: 'payments holds 150 messages' }, state: 'pending', activeAt: rfc3339(T0), value: '1.5e+02' }]);

    await evaluateAt(collector, clock, T0 + 30_000, 160);
    const rules = await getJson<{ status: string; data: { groups: Array<Record<string, unknown> & { rules: Array<Record<string, unknown>> }> } }>(collector.url, '/api/v1/rules');
    expect(rules.body.status).toBe('success');
    const [group] = rules.body.data.groups;
    expect(group).toMatchObject({ name: 'queues', interval: 3600, limit: 0, lastEvaluation: rfc3339(T0 + 30_000) });
    expect(group!.file).toMatch(/queues\.rules\.yaml$/);
    expect(group!.rules[0]).toMatchObject({ type: 'recording', name: 'queue:depth:max', query: 'max by (queue) (queue_depth)', health: 'ok', labels: {} });
    expect(group!.rules[1]).toMatchObject({
      type: 'alerting',
      state: 'firing',
      name: 'QueueBacklog',
      query: 'queue:depth:max > 100',
      duration: 30,
      keepFiringFor: 0,
      labels: { severity: 'page' },
      annotations: { summary: '{{ $labels.queue }} holds {{ $value }} messages' },
      health: 'ok',
      alerts: [{ labels: { alertname: 'QueueBacklog', queue: 'payments', severity: 'page' }, annotations: { summary: 'payments holds 160 messages' }, state: 'firing', activeAt: rfc3339(T0), value: '1.6e+02' }],
    });
    const onlyRecording = await getJson<{ data: { groups: Array<{ rules: Array<{ type: string }> }> } }>(collector.url, '/api/v1/rules?type=record');
    expect(onlyRecording.body.data.groups[0]!.rules.map((r) => r.type)).toEqual(['recording']);

    // The recording rule's series and ALERTS are queryable like any metric.
    const query = await getJson<{ data: { result: Array<{ metric: Record<string, string> }> } }>(collector.url, `/api/v1/query?query=${encodeURIComponent('ALERTS or queue:depth:max')}&time=${(T0 + 30_000) / 1000}`);
    expect(query.body.data.result.map((r) => r.metric).sort((a, b) => a.__name__!.localeCompare(b.__name__!))).toEqual([
      { __name__: 'ALERTS', alertname: 'QueueBacklog', alertstate: 'firing', queue: 'payments', severity: 'page' },
      { __name__: 'queue:depth:max', queue: 'payments' },
    ]);

    const history = await getJson<{ data: Array<Record<string, unknown>> }>(collector.url, `/api/alerts/history?start=${T0}&end=${T0 + 60_000}`);
    expect(history.body.data).toEqual([expect.objectContaining({ kind: 'firing', time: rfc3339(T0 + 30_000), rule: 'QueueBacklog', group: 'queues', labels: { alertname: 'QueueBacklog', queue: 'payments', severity: 'page' }, activeAt: rfc3339(T0) })]);
  });

  it('notifies a webhook after group_wait with the Alertmanager payload, and once more when it resolves', async () => {
    const clock = { now: T0 };
    const { collector, hook } = await start({ rules: RULES, clock });
    await evaluateAt(collector, clock, T0, 150);
    await evaluateAt(collector, clock, T0 + 30_000, 150); // firing: handed to the webhook's group
    expect(hook.payloads).toEqual([]); // group_wait is 10 s
    await evaluateAt(collector, clock, T0 + 40_000, 150);
    const firing = await eventually(async () => hook.payloads[0]);
    expect(firing).toEqual({
      receiver: 'oncall',
      status: 'firing',
      alerts: [
        {
          status: 'firing',
          labels: { alertname: 'QueueBacklog', queue: 'payments', severity: 'page' },
          annotations: { summary: 'payments holds 150 messages' },
          startsAt: rfc3339(T0 + 30_000),
          endsAt: '0001-01-01T00:00:00Z',
          generatorURL: `http://mirador.example/graph?g0.expr=${encodeURIComponent('queue:depth:max > 100')}&g0.tab=1`,
          fingerprint: expect.stringMatching(/^[0-9a-f]{16}$/),
        },
      ],
      groupLabels: { alertname: 'QueueBacklog' },
      commonLabels: { alertname: 'QueueBacklog', queue: 'payments', severity: 'page' },
      commonAnnotations: { summary: 'payments holds 150 messages' },
      externalURL: 'http://mirador.example',
      version: '4',
      groupKey: '{}:{alertname="QueueBacklog"}',
      truncatedAlerts: 0,
    });
    // Unchanged within the repeat interval: nothing more.
    await evaluateAt(collector, clock, T0 + 120_000, 150);
    await evaluateAt(collector, clock, T0 + 200_000, 40); // resolved
    await evaluateAt(collector, clock, T0 + 260_000, 40); // the group interval has passed
    const resolved = await eventually(async () => hook.payloads[1]);
    expect(hook.payloads).toHaveLength(2);
    expect(resolved).toMatchObject({ status: 'resolved', alerts: [{ status: 'resolved', endsAt: rfc3339(T0 + 200_000) }] });
  });

  it('retries a webhook that fails, and counts the failed attempts', async () => {
    const clock = { now: T0 };
    const { collector, hook } = await start({ rules: RULES, clock });
    hook.failNext(2, 503);
    await evaluateAt(collector, clock, T0, 150);
    await evaluateAt(collector, clock, T0 + 30_000, 150);
    await evaluateAt(collector, clock, T0 + 40_000, 150);
    const payload = await eventually(async () => hook.payloads[0], 10_000);
    expect(payload).toMatchObject({ status: 'firing', groupLabels: { alertname: 'QueueBacklog' } });
    const metrics = await (await fetch(`${collector.url}/metrics`)).text();
    expect(metrics).toContain('mirador_notifications_errors_total{receiver="webhook oncall"} 2');
    expect(metrics).toContain('mirador_notifications_sent_total{receiver="webhook oncall"} 1');
  });

  it('sends a resolution held for the group interval after a restart', async () => {
    const clock = { now: T0 };
    const first = await start({ rules: RULES, clock });
    await fireAndNotify(first, clock);
    await evaluateAt(first.collector, clock, T0 + 60_000, 40); // resolved, held until the group interval has passed
    await first.collector.stop();
    const second = await start({ dataDir: first.dataDir, rulesDir: first.rulesDir, clock });
    await evaluateAt(second.collector, clock, T0 + 120_000, 40);
    const resolved = await eventually(async () => second.hook.payloads[0]);
    expect(resolved).toMatchObject({ status: 'resolved', alerts: [{ status: 'resolved', endsAt: rfc3339(T0 + 60_000) }] });
  });

  it('ends the ALERTS series of a deleted rule at the next evaluation', async () => {
    const clock = { now: T0 };
    const { collector } = await start({ rules: RULES, clock });
    await evaluateAt(collector, clock, T0, 150);
    await evaluateAt(collector, clock, T0 + 30_000, 150);
    expect((await send(`${collector.url}/api/alert-rules/queues/QueueBacklog`, 'DELETE')).status).toBe(200);
    await evaluateAt(collector, clock, T0 + 45_000, 150);
    const query = await getJson<{ data: { result: unknown[] } }>(collector.url, `/api/v1/query?query=ALERTS&time=${(T0 + 50_000) / 1000}`);
    expect(query.body.data.result).toEqual([]);
  });

  it('keeps a firing alert firing across a restart, with its active-since time, without notifying again', async () => {
    const clock = { now: T0 };
    const first = await start({ rules: RULES, clock });
    await fireAndNotify(first, clock);
    await first.collector.stop();

    // The same data dir and rule files; the receiver has the same name (at a new address).
    const second = await start({ dataDir: first.dataDir, rulesDir: first.rulesDir, clock });
    const before = await getJson<{ data: { alerts: Array<{ state: string; activeAt: string }> } }>(second.collector.url, '/api/v1/alerts');
    expect(before.body.data.alerts).toMatchObject([{ state: 'firing', activeAt: rfc3339(T0) }]);
    for (const t of [T0 + 60_000, T0 + 120_000, T0 + 180_000, T0 + 240_000]) await evaluateAt(second.collector, clock, t, 150);
    await new Promise((r) => setTimeout(r, 300));
    expect(second.hook.payloads).toEqual([]);
    expect(first.hook.payloads).toHaveLength(1);
    const after = await getJson<{ data: { alerts: Array<{ state: string; activeAt: string }> } }>(second.collector.url, '/api/v1/alerts');
    expect(after.body.data.alerts).toMatchObject([{ state: 'firing', activeAt: rfc3339(T0) }]);
  });
});

describe('/api/alert-rules', () => {
  it('lists rules with their threshold and state', async () => {
    const clock = { now: T0 };
    const { collector } = await start({ rules: RULES, clock });
    const { body } = await getJson<{ groups: Array<{ name: string; rules: Array<Record<string, unknown>> }> }>(collector.url, '/api/alert-rules');
    expect(body.groups[0]!.rules[1]).toMatchObject({ group: 'queues', index: 0, type: 'alerting', name: 'QueueBacklog', expr: 'queue:depth:max > 100', for: '30s', threshold: { op: '>', value: 100, query: 'queue:depth:max' }, state: 'inactive', labels: { severity: 'page' } });
    expect(body.groups[0]!.rules[0]).toMatchObject({ type: 'recording', name: 'queue:depth:max', threshold: null });
  });

  it('changes a threshold: saved to the file with its comments, applied at once, recorded with who did it', async () => {
    const clock = { now: T0 };
    const { collector, rulesFile } = await start({ rules: RULES, clock });
    await evaluateAt(collector, clock, T0, 150);
    const changed = await send(`${collector.url}/api/alert-rules/queues/QueueBacklog`, 'PUT', { threshold: 200, for: '1m' }, 'ana@example.com');
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ expr: 'queue:depth:max > 200', for: '1m', threshold: { op: '>', value: 200 } });
    const text = fs.readFileSync(rulesFile, 'utf8');
    expect(text).toContain('expr: queue:depth:max > 200');
    expect(text).toContain('# Too many messages wait.');
    expect(text).toContain('interval: 1h # stepped by the tests, never by the clock');
    // Applied without a restart: 150 is under the new threshold, so the pending alert goes.
    await evaluateAt(collector, clock, T0 + 15_000, 150);
    const alerts = await getJson<{ data: { alerts: unknown[] } }>(collector.url, '/api/v1/alerts');
    expect(alerts.body.data.alerts).toEqual([]);
    const history = await getJson<{ data: Array<Record<string, unknown>> }>(collector.url, `/api/alerts/history?kind=rule_updated&start=${T0 - 1}&end=${T0 + 1}`);
    expect(history.body.data).toEqual([
      expect.objectContaining({ kind: 'rule_updated', user: 'ana@example.com', group: 'queues', rule: 'QueueBacklog', before: expect.objectContaining({ expr: 'queue:depth:max > 100', for: '30s' }), after: expect.objectContaining({ expr: 'queue:depth:max > 200', for: '1m' }) }),
    ]);
  });

  it.each([
    [{ expr: 'rate(queue_depth[5m] > 1' }, 'expr', /could not parse expression/],
    [{ for: '5 minutes' }, 'for', /not a valid duration/],
    [{ labels: { 'bad-name': 'x' } }, 'labels.bad-name', /invalid label name/],
    [{ annotations: { summary: '{{ $value | nosuch }}' } }, 'annotations.summary', /function "nosuch" not defined/],
    [{ threshold: 'high' }, 'threshold', /expected a number/],
    [{ colour: 'red' }, 'colour', /unknown field/],
  ])('refuses %j with an error naming the field, and leaves the file as it was', async (change, field, message) => {
    const clock = { now: T0 };
    const { collector, rulesFile } = await start({ rules: RULES, clock });
    const res = await send(`${collector.url}/api/alert-rules/queues/QueueBacklog`, 'PUT', change);
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ field, message: expect.stringMatching(message) }]);
    expect(fs.readFileSync(rulesFile, 'utf8')).toBe(RULES);
  });

  it('answers 404 for a rule that is not there and 400 for a body that is not JSON', async () => {
    const clock = { now: T0 };
    const { collector } = await start({ rules: RULES, clock });
    expect((await send(`${collector.url}/api/alert-rules/queues/NoSuchAlert`, 'PUT', { for: '1m' })).status).toBe(404);
    const notJson = await fetch(`${collector.url}/api/alert-rules/queues/QueueBacklog`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{not json' });
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as { errors: Array<{ field: string }> }).errors[0]!.field).toBe('body');
  });

  it('adds a rule to a new group and deletes it again', async () => {
    const clock = { now: T0 };
    const { collector, rulesFile } = await start({ rules: RULES, clock });
    const created = await send(`${collector.url}/api/alert-rules/latency`, 'POST', { alert: 'SlowCheckout', expr: 'checkout_p95_seconds > 2', for: '5m', labels: { severity: 'warning' }, annotations: { summary: 'Checkout is slow' }, interval: '30s' }, 'ana');
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ group: 'latency', name: 'SlowCheckout', threshold: { op: '>', value: 2 }, for: '5m' });
    const rules = await getJson<{ data: { groups: Array<{ name: string; interval: number }> } }>(collector.url, '/api/v1/rules');
    expect(rules.body.data.groups.map((g) => [g.name, g.interval])).toEqual([['queues', 3600], ['latency', 30]]);
    expect(fs.readFileSync(rulesFile, 'utf8')).toContain('alert: SlowCheckout');

    const deleted = await send(`${collector.url}/api/alert-rules/latency/SlowCheckout`, 'DELETE');
    expect(deleted.status).toBe(200);
    expect(fs.readFileSync(rulesFile, 'utf8')).not.toContain('SlowCheckout');
    const kinds = await getJson<{ data: Array<{ kind: string; user: string }> }>(collector.url, `/api/alerts/history?start=${T0 - 1}&end=${T0 + 1}`);
    expect(kinds.body.data.map((e) => e.kind)).toEqual(['rule_deleted', 'rule_created']);
  });

  it('keeps the running rules when a reload finds a broken file, and applies the fixed one', async () => {
    const clock = { now: T0 };
    const { collector, rulesFile } = await start({ rules: RULES, clock });
    fs.writeFileSync(rulesFile, RULES.replace('for: 30s', 'for: soon'));
    const broken = await fetch(`${collector.url}/-/reload`, { method: 'POST' });
    expect(broken.status).toBe(400);
    expect(((await broken.json()) as { error: string }).error).toMatch(/queues\.rules\.yaml:11: .*for: not a valid duration/);
    const still = await getJson<{ data: { groups: Array<{ rules: Array<{ duration?: number }> }> } }>(collector.url, '/api/v1/rules');
    expect(still.body.data.groups[0]!.rules[1]!.duration).toBe(30);
    fs.writeFileSync(rulesFile, RULES.replace('for: 30s', 'for: 2m'));
    expect((await fetch(`${collector.url}/-/reload`, { method: 'POST' })).status).toBe(200);
    const fixed = await getJson<{ data: { groups: Array<{ rules: Array<{ duration?: number }> }> } }>(collector.url, '/api/v1/rules');
    expect(fixed.body.data.groups[0]!.rules[1]!.duration).toBe(120);
  });
});

describe('mirador-collector with rule files', () => {
  it('does not start on a rule file with an error, and says which file, line and why', async () => {
    const dir = tempDataDir();
    const file = path.join(dir, 'bad.rules.yaml');
    fs.writeFileSync(file, RULES.replace('queue:depth:max > 100', 'queue:depth:max >'));
    const { code, stderr } = await runCollector(['--port', '0', '--grpc-port', 'off', '--data-dir', dir, '--rules', file]);
    expect(code).toBe(1);
    expect(stderr).toContain(`${file}:10: group "queues", rule "QueueBacklog": expr: could not parse expression`);
  });

  it('check-rules passes the shipped rules and fails a broken file with its line', async () => {
    const shipped = path.resolve(import.meta.dirname, '../../../alert-rules/sample-system.rules.yaml');
    const good = await runCollector(['check-rules', shipped]);
    expect(good.code).toBe(0);
    expect(good.stdout).toMatch(/SUCCESS: \d+ rules found/);
    const dir = tempDataDir();
    const bad = path.join(dir, 'bad.yaml');
    fs.writeFileSync(bad, 'groups:\n  - name: x\n    rules:\n      - alert: A\n        expr: up\n        for: tomorrow\n');
    const failed = await runCollector(['check-rules', bad]);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain(`${bad}:6: group "x", rule "A": for: not a valid duration string: "tomorrow"`);
  });
});
