import path from 'node:path';
import type { CollectorConfig } from '../config/config.ts';
import type { Ingest } from '../pipeline/Ingest.ts';
import type { MetricStore, ReplicaCoordination } from '../store/types.ts';
import type { SelfMetrics } from '../telemetry/SelfMetrics.ts';
import type { CollectorLog } from '../telemetry/log.ts';
import { AlertHistory } from './AlertHistory.ts';
import { AlertLeadership } from './AlertLeadership.ts';
import { AlertStateFile, type AlertStateStore } from './AlertStateFile.ts';
import { AlertmanagerNotifier } from './notify/AlertmanagerNotifier.ts';
import type { Notifier, NotifierObserver } from './notify/notifier.ts';
import { readNotificationsFile } from './notify/notificationsFile.ts';
import { WebhookNotifier } from './notify/WebhookNotifier.ts';
import { RuleEditor } from './RuleEditor.ts';
import { readRuleFiles } from './ruleFiles.ts';
import { RuleManager } from './RuleManager.ts';
import { EngineRuleQuery, RemoteRuleQuery, RemoteWriteRuleOutput } from './ruleQueries.ts';

/** Entries the alert history keeps at most. */
const MAX_HISTORY_ENTRIES = 100_000;

/** The collector's alerting: rules, their evaluation, notifications, history and rule editing. */
export interface Alerting {
  manager: RuleManager;
  editor: RuleEditor;
  history: AlertHistory;
  /** Set when replicas share the stores: evaluation runs only where the lease is held. */
  leadership: AlertLeadership | null;
  /** Starts evaluating (or, with replicas, seeking the lease). */
  start(): void;
  /** Stops evaluating, saves the state, releases the lease. */
  stop(): Promise<void>;
}

/** What alerting is built from besides the configuration. */
export interface AlertingDeps {
  ingest: Ingest;
  metricStore: MetricStore;
  metrics: SelfMetrics;
  log: CollectorLog;
  now: () => number;
  /** The collector's URL once it listens (for links in notifications when no external URL is configured). */
  url: () => string;
  /** Set when replicas share the stores: the lease and the shared alert state (else a file in the data directory). */
  coordination: ReplicaCoordination | null;
  /** This replica's name in the lease. */
  replicaName: string;
}

/**
 * Reads the rule and notification files (a problem in either throws a
 * RuleFileError naming the file and line, so the collector does not start
 * on rules it cannot run) and assembles the alerting parts.
 */
export async function createAlerting(config: CollectorConfig, deps: AlertingDeps): Promise<Alerting> {
  const { alerting } = config;
  const groups = config.rules === '' ? [] : readRuleFiles(config.rules);
  const notifications = alerting.notificationsFile === '' ? { alertmanagers: [], webhooks: [] } : readNotificationsFile(alerting.notificationsFile);
  const externalURL = () => (alerting.externalUrl !== '' ? alerting.externalUrl : deps.url());
  let manager: RuleManager | null = null;
  const observer: NotifierObserver = {
    sent: (receiver, n) => {
      deps.metrics.notificationsSent.inc({ receiver }, n);
      manager?.markDirty();
    },
    failed: (receiver, error) => {
      deps.metrics.notificationsErrors.inc({ receiver });
      deps.log.warn('sending alerts failed; retrying', { receiver, error: (error as Error).message });
    },
    dropped: (receiver, n) => {
      deps.metrics.notificationsDropped.inc({ receiver }, n);
      deps.log.error('alerts dropped after retries', { receiver, alerts: n });
    },
  };
  const notifiers: Notifier[] = [];
  const alertmanagers = [...alerting.alertmanagerUrls, ...notifications.alertmanagers];
  if (alertmanagers.length > 0) notifiers.push(new AlertmanagerNotifier(alertmanagers, observer));
  for (const receiver of notifications.webhooks) notifiers.push(new WebhookNotifier(receiver, externalURL, observer));

  // Rules read where the metrics are: the embedded store, the metrics backend, or a store of their own.
  const queryUrl = alerting.queryUrl !== '' ? alerting.queryUrl : config.metrics.backend === 'prometheus' ? config.metrics.queryUrl : '';
  const writeUrl = alerting.remoteWriteUrl !== '' ? alerting.remoteWriteUrl : config.metrics.backend === 'prometheus' ? config.metrics.remoteWriteUrl : '';
  const timeout = config.query.timeoutMs;
  const stateStore: AlertStateStore = deps.coordination?.alertState ?? new AlertStateFile(path.join(config.dataDir, 'alerts', 'state.json'));
  const { state: savedState, problem } = await stateStore.load();
  if (problem !== null) deps.log.warn('alert state not restored', { problem });
  const history = new AlertHistory({
    file: path.join(config.dataDir, 'alerts', 'history.jsonl'),
    retentionMs: config.retentionMs,
    maxEntries: MAX_HISTORY_ENTRIES,
    ...(deps.coordination !== null && { shared: deps.coordination.alertHistory }),
    onSharedError: (error) => deps.log.error('the shared alert history was not written; this replica keeps the entries in its own file', { error: (error as Error).message }),
  });
  manager = new RuleManager({
    query: queryUrl !== '' ? new RemoteRuleQuery(queryUrl, timeout) : new EngineRuleQuery(deps.metricStore, { timeoutMs: timeout, maxSamples: config.query.maxSamples, lookbackMs: config.query.lookbackDeltaMs }),
    // Results written straight to a remote store (not through the ingest buffer), so the next rule of the group reads them.
    output: writeUrl !== '' ? new RemoteWriteRuleOutput(writeUrl, timeout) : { write: (samples) => deps.ingest.ruleResults(samples) },
    notifiers,
    history,
    stateStore,
    savedState,
    defaultIntervalMs: alerting.evaluationIntervalMs,
    resendDelayMs: alerting.resendDelayMs,
    externalLabels: {},
    externalURL,
    now: deps.now,
    log: deps.log,
    observer: {
      evaluated: (group, seconds, failures, rules) => {
        deps.metrics.ruleEvaluations.inc({ rule_group: group }, rules);
        if (failures > 0) deps.metrics.ruleEvaluationFailures.inc({ rule_group: group }, failures);
        deps.metrics.ruleGroupSeconds.set({ rule_group: group }, seconds);
      },
      missed: (group, slots) => deps.metrics.ruleGroupMissed.inc({ rule_group: group }, slots),
    },
  });
  await manager.replace(groups);
  const editor = new RuleEditor({ globs: config.rules, manager, history, now: deps.now, log: deps.log, ...(deps.coordination !== null && { shared: deps.coordination.ruleEdits }) });
  // Replicas pick up each other's rule edits: at start, then every third of an evaluation interval.
  let syncTimer: NodeJS.Timeout | null = null;
  const syncRules = () => editor.sync().catch((error: unknown) => deps.log.warn('reading shared rule edits failed; tried again', { error: (error as Error).message }));
  if (deps.coordination !== null) await syncRules();
  const ruleManager = manager;
  const leadership =
    deps.coordination === null
      ? null
      : new AlertLeadership({
          lease: deps.coordination.alertingLease,
          holder: deps.replicaName,
          // A dead leader's lease expires after one interval; the next replica takes it within a third more.
          ttlMs: alerting.evaluationIntervalMs,
          manager: ruleManager,
          stateStore,
          log: deps.log,
          leading: (leading) => deps.metrics.alertingLeader.set(leading ? 1 : 0),
        });
  return {
    manager: ruleManager,
    editor,
    history,
    leadership,
    start: () => {
      if (leadership === null) return ruleManager.start();
      leadership.start();
      syncTimer = setInterval(() => void syncRules(), Math.max(1000, Math.floor(alerting.evaluationIntervalMs / 3)));
      syncTimer.unref();
    },
    stop: async () => {
      if (syncTimer !== null) clearInterval(syncTimer);
      await leadership?.stop();
      await ruleManager.stop();
    },
  };
}
