import fs from 'node:fs';
import { modelDuration } from '../../promql/ast.ts';
import { isMap, isScalar, isSeq, type Node } from 'yaml';
import { parseRuleYaml, RuleFileError } from '../ruleFiles.ts';
import { WEBHOOK_DEFAULTS, type WebhookReceiver } from './WebhookNotifier.ts';

/** Where alerts go, as the notifications file says. */
export interface NotificationsConfig {
  /** Alertmanager base URLs (alerts go to `<url>/api/v2/alerts`). */
  alertmanagers: string[];
  webhooks: WebhookReceiver[];
}

const TOP = ['alertmanagers', 'webhooks'];
const WEBHOOK = ['name', 'url', 'group_by', 'group_wait', 'group_interval', 'repeat_interval', 'send_resolved', 'max_alerts'];

/**
 * Reads the notifications file (`--alert-notifications`):
 *
 *   alertmanagers: [http://127.0.0.1:9093]
 *   webhooks:
 *     - name: oncall
 *       url: http://hooks.example/alerts
 *       group_by: [alertname, service]     # default [alertname]; [...] for one alert per notification
 *       group_wait: 30s                    # Alertmanager's defaults
 *       group_interval: 5m
 *       repeat_interval: 4h
 *       send_resolved: true
 *       max_alerts: 0
 *
 * Problems are thrown as a {@link RuleFileError} naming the file and line.
 */
export function readNotificationsFile(file: string): NotificationsConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new RuleFileError([{ file, line: 0, message: `cannot read the notifications file: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` }]);
  }
  const { doc, lineOf } = parseRuleYaml(file, text);
  const problems: Array<{ file: string; line: number; message: string }> = [];
  const at = (node: Node | null | undefined, message: string) => problems.push({ file, line: lineOf(node), message });
  const config: NotificationsConfig = { alertmanagers: [], webhooks: [] };
  if (doc.contents === null) return config;
  if (!isMap(doc.contents)) throw new RuleFileError([{ file, line: 1, message: 'expected a mapping with alertmanagers and/or webhooks' }]);
  for (const pair of doc.contents.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '';
    if (!TOP.includes(key)) at(pair.key as Node, `unknown field ${JSON.stringify(key)} (expected ${TOP.join(', ')})`);
  }
  const ams = doc.contents.get('alertmanagers', true) as Node | undefined;
  if (ams !== undefined) {
    if (!isSeq(ams)) at(ams, 'alertmanagers: expected a list of URLs');
    else for (const item of ams.items as Node[]) {
      const url = isScalar(item) ? String(item.value) : '';
      if (!isHttpUrl(url)) at(item, `alertmanagers: expected an http(s) URL, got ${JSON.stringify(url)}`);
      else config.alertmanagers.push(url);
    }
  }
  const hooks = doc.contents.get('webhooks', true) as Node | undefined;
  if (hooks !== undefined) {
    if (!isSeq(hooks)) at(hooks, 'webhooks: expected a list of receivers');
    else for (const item of hooks.items as Node[]) {
      if (!isMap(item)) {
        at(item, 'webhooks: expected a receiver (a mapping with name and url)');
        continue;
      }
      for (const pair of item.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : '';
        if (!WEBHOOK.includes(key)) at(pair.key as Node, `unknown field ${JSON.stringify(key)} in webhook (expected ${WEBHOOK.join(', ')})`);
      }
      const raw = item.toJSON() as Record<string, unknown>;
      const name = typeof raw.name === 'string' ? raw.name : '';
      if (name === '') at(item, 'webhook: name must be set');
      if (config.webhooks.some((w) => w.name === name)) at(item, `webhook: name ${JSON.stringify(name)} is used twice`);
      const url = typeof raw.url === 'string' ? raw.url : '';
      if (!isHttpUrl(url)) at(item.get('url', true) as Node ?? item, `webhook ${JSON.stringify(name)}: url: expected an http(s) URL, got ${JSON.stringify(url)}`);
      const duration = (key: string, fallback: number): number => {
        if (raw[key] === undefined) return fallback;
        const ms = modelDuration(String(raw[key]));
        if (ms === null || ms <= 0) at(item.get(key, true) as Node, `webhook ${JSON.stringify(name)}: ${key}: expected a positive duration such as 30s or 5m, got ${JSON.stringify(raw[key])}`);
        return ms ?? fallback;
      };
      const groupBy = raw.group_by === undefined ? WEBHOOK_DEFAULTS.groupBy : raw.group_by;
      if (!Array.isArray(groupBy) || !groupBy.every((g) => typeof g === 'string')) at(item.get('group_by', true) as Node, `webhook ${JSON.stringify(name)}: group_by: expected a list of label names`);
      const maxAlerts = raw.max_alerts === undefined ? 0 : Number(raw.max_alerts);
      if (!Number.isInteger(maxAlerts) || maxAlerts < 0) at(item.get('max_alerts', true) as Node, `webhook ${JSON.stringify(name)}: max_alerts: expected a whole number of 0 or more`);
      config.webhooks.push({
        name,
        url,
        groupBy: Array.isArray(groupBy) ? groupBy.map(String) : WEBHOOK_DEFAULTS.groupBy,
        groupWaitMs: duration('group_wait', WEBHOOK_DEFAULTS.groupWaitMs),
        groupIntervalMs: duration('group_interval', WEBHOOK_DEFAULTS.groupIntervalMs),
        repeatIntervalMs: duration('repeat_interval', WEBHOOK_DEFAULTS.repeatIntervalMs),
        sendResolved: raw.send_resolved === undefined ? true : raw.send_resolved === true,
        maxAlerts,
      });
    }
  }
  if (problems.length > 0) throw new RuleFileError(problems);
  return config;
}

function isHttpUrl(text: string): boolean {
  try {
    return ['http:', 'https:'].includes(new URL(text).protocol);
  } catch {
    return false;
  }
}
