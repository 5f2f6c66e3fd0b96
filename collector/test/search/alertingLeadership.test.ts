import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exited, spawnCollector, type CollectorProcess } from '../support/collectorProcess.ts';
import { useOpenSearchNode } from '../support/openSearch.ts';
import { eventually, tempDataDir } from '../support/testCollector.ts';
import { startWebhookReceiver, type WebhookReceiverServer } from '../support/webhookReceiver.ts';

// Two collector processes sharing one OpenSearch node, as replicas behind a
// load balancer: exactly one evaluates the alert rules; kill it and the
// other takes over within two evaluation intervals, without notifying again.
const node = useOpenSearchNode();
const INTERVAL_MS = 2000;

let hook: WebhookReceiverServer;
let dir: string;
beforeAll(async () => {
  hook = await startWebhookReceiver();
  dir = tempDataDir();
  fs.writeFileSync(
    path.join(dir, 'always.rules.yaml'),
    `groups:\n  - name: always\n    rules:\n      - alert: AlwaysFiring\n        expr: vector(1)\n        labels:\n          severity: page\n        annotations:\n          summary: fires from the first evaluation\n`,
  );
  fs.writeFileSync(path.join(dir, 'notifications.yml'), `webhooks:\n  - name: oncall\n    url: ${hook.url}\n    group_wait: 1s\n    group_interval: 1s\n    repeat_interval: 1h\n`);
});
afterAll(async () => {
  await hook.close();
});

function replica(name: string): Promise<CollectorProcess> {
  return spawnCollector([
    '--port', '0', '--grpc-port', 'off', '--data-dir', path.join(dir, name), '--replica-name', name,
    '--storage-backend', 'opensearch', '--search-url', node().url, '--index-replicas', '0', '--index-prefix', 'leader',
    '--rules', path.join(dir, 'always.rules.yaml'), '--alert-notifications', path.join(dir, 'notifications.yml'), '--evaluation-interval', `${INTERVAL_MS / 1000}s`,
  ]);
}

const leading = async (c: CollectorProcess) => /^mirador_alerting_leader 1$/m.test(await (await fetch(`${c.url}/metrics`)).text());
const firingNotifications = () => hook.payloads.filter((p) => p.status === 'firing').length;
type Alerts = { data: { alerts: Array<{ labels: Record<string, string>; state: string; activeAt: string }> } };
const alerts = async (c: CollectorProcess) => ((await (await fetch(`${c.url}/api/v1/alerts`)).json()) as Alerts).data.alerts;

describe('alert evaluation with two replicas', () => {
  it('runs on one replica; when it dies the other takes over within two intervals and sends nothing twice', async () => {
    const a = await replica('a');
    const b = await replica('b');
    try {
      await eventually(async () => (firingNotifications() >= 1 ? true : undefined), 20_000);
      const [aLeads, bLeads] = [await leading(a), await leading(b)];
      expect([aLeads, bLeads].filter(Boolean)).toHaveLength(1); // exactly one evaluates
      const [leader, follower] = aLeads ? [a, b] : [b, a];

      // The follower's API shows the leader's alert, same active time.
      const original = (await eventually(async () => {
        const [l, f] = [await alerts(leader), await alerts(follower)];
        return l.length === 1 && f.length === 1 && f[0]!.activeAt === l[0]!.activeAt ? l[0] : undefined;
      }, 10_000))!;
      expect(original).toMatchObject({ labels: { alertname: 'AlwaysFiring', severity: 'page' }, state: 'firing' });

      // Killed once it has recorded the notification in the shared state (a crash between a send and
      // its record would send it again: notifications are at least once, as with Alertmanager).
      await eventually(async () => {
        const doc = (await (await fetch(`${node().url}/leader-alerting/_doc/alert-state`)).json()) as { _source?: { state: string } };
        const state = doc._source ? (JSON.parse(doc._source.state) as { notifiers: Record<string, { sent?: object }> }) : null;
        return state !== null && Object.keys(state.notifiers['webhook oncall']?.sent ?? {}).length > 0 ? true : undefined;
      }, 10_000);
      leader.child.kill('SIGKILL');
      await exited(leader.child);
      const killedAt = Date.now();
      await eventually(async () => ((await leading(follower)) ? true : undefined), 4 * INTERVAL_MS);
      expect(Date.now() - killedAt).toBeLessThanOrEqual(2 * INTERVAL_MS);

      // Several more evaluations on the new leader: the alert keeps its active time and is not notified again.
      await new Promise((r) => setTimeout(r, 3 * INTERVAL_MS));
      const after = await alerts(follower);
      expect(after).toHaveLength(1);
      expect(after[0]!.activeAt).toBe(original.activeAt);
      expect(firingNotifications()).toBe(1);
    } finally {
      for (const c of [a, b]) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGTERM');
      await Promise.all([exited(a.child), exited(b.child)]);
    }
  }, 90_000);
});
