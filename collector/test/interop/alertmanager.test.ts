import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAlertmanager, type RunningAlertmanager } from '../support/alertmanager.ts';
import { eventually, startTestCollector, tempDataDir } from '../support/testCollector.ts';
import { startWebhookReceiver, type WebhookReceiverServer } from '../support/webhookReceiver.ts';

const RULES = `groups:
  - name: payments
    interval: 1h # stepped by the test
    rules:
      - alert: PaymentFailureBurst
        expr: payment_failure_ratio > 0.2
        labels:
          severity: critical
        annotations:
          summary: "{{ $value | humanizePercentage }} of payments fail"
          description: Orders are being cancelled by the saga.
`;

let alertmanager: RunningAlertmanager;
let viaAlertmanager: WebhookReceiverServer;
let direct: WebhookReceiverServer;
let collector: Awaited<ReturnType<typeof startTestCollector>>;

beforeAll(async () => {
  viaAlertmanager = await startWebhookReceiver();
  direct = await startWebhookReceiver();
  // The same receiver, grouping and timings in Alertmanager and in the collector's own webhook.
  alertmanager = await startAlertmanager(`route:
  receiver: oncall
  group_by: [alertname]
  group_wait: 1s
  group_interval: 2s
  repeat_interval: 1h
receivers:
  - name: oncall
    webhook_configs:
      - url: ${viaAlertmanager.url}
        send_resolved: true
`);
  const dir = tempDataDir();
  fs.writeFileSync(path.join(dir, 'payments.rules.yaml'), RULES);
  fs.writeFileSync(path.join(dir, 'notifications.yaml'), `webhooks:\n  - name: oncall\n    url: ${direct.url}\n    group_wait: 1s\n    group_interval: 2s\n    repeat_interval: 1h\n`);
  collector = await startTestCollector(['--rules', path.join(dir, 'payments.rules.yaml'), '--alertmanager-url', alertmanager.url, '--alert-notifications', path.join(dir, 'notifications.yaml')], {}, dir);
});

afterAll(async () => {
  await collector?.stop();
  await alertmanager?.stop();
  await viaAlertmanager?.close();
  await direct?.close();
});

async function failureRatio(value: number): Promise<void> {
  const t = Date.now();
  await collector.stores.metrics.appendSamples([{ labels: { __name__: 'payment_failure_ratio', job: 'payment' }, timestampMs: t, value }]);
  await collector.alerting.manager.evaluateGroup('payments', t);
}

/** The parts of a webhook payload that do not depend on who sent it. */
function comparable(payload: Record<string, unknown>) {
  const { externalURL: _externalURL, ...rest } = payload;
  return rest;
}

describe('with a real Alertmanager', () => {
  it('an alert arrives at Alertmanager with its labels and annotations, and its webhook payload is the one the collector sends itself', async () => {
    await failureRatio(0.35);
    const alerts = await eventually(async () => {
      const list = (await (await fetch(`${alertmanager.url}/api/v2/alerts`)).json()) as Array<{ labels: Record<string, string>; annotations: Record<string, string>; status: { state: string } }>;
      return list.length > 0 ? list : undefined;
    }, 10_000);
    expect(alerts).toMatchObject([{ labels: { alertname: 'PaymentFailureBurst', job: 'payment', severity: 'critical' }, annotations: { summary: '35% of payments fail', description: 'Orders are being cancelled by the saga.' }, status: { state: 'active' } }]);

    const fromAlertmanager = await eventually(async () => viaAlertmanager.payloads[0], 15_000);
    const fromCollector = await eventually(async () => direct.payloads[0], 15_000);
    expect(fromCollector.externalURL).toBe(collector.url);
    expect(comparable(fromCollector)).toEqual(comparable(fromAlertmanager));
    expect(fromAlertmanager).toMatchObject({ status: 'firing', groupLabels: { alertname: 'PaymentFailureBurst' } });
  }, 30_000);

  it('resolves at Alertmanager when the fault ends, and both webhooks get the same resolved payload', async () => {
    await failureRatio(0.01);
    const fromAlertmanager = await eventually(async () => viaAlertmanager.payloads.find((p) => p.status === 'resolved'), 15_000);
    const fromCollector = await eventually(async () => direct.payloads.find((p) => p.status === 'resolved'), 15_000);
    expect(comparable(fromCollector)).toEqual(comparable(fromAlertmanager));
    expect(fromAlertmanager).toMatchObject({ alerts: [{ status: 'resolved', labels: { alertname: 'PaymentFailureBurst' } }] });
    expect(viaAlertmanager.payloads.map((p) => p.status)).toEqual(['firing', 'resolved']);
    expect(direct.payloads.map((p) => p.status)).toEqual(['firing', 'resolved']);
  }, 30_000);
});
