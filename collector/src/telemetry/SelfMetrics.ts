import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** A signal the collector ingests. */
export type Signal = 'traces' | 'logs' | 'metrics';

/** The collector's own metrics, served at /metrics; one instance per collector so tests can run several. */
export class SelfMetrics {
  readonly registry = new Registry();
  /** Items (spans, log records, data points) that arrived, before any check. */
  readonly received = new Counter({ name: 'mirador_receiver_received_items_total', help: 'Items received, per signal.', labelNames: ['signal', 'transport'], registers: [this.registry] });
  /** Items made durable. */
  readonly accepted = new Counter({ name: 'mirador_receiver_accepted_items_total', help: 'Items accepted and stored, per signal.', labelNames: ['signal'], registers: [this.registry] });
  /** Items refused one by one (partial success). */
  readonly rejected = new Counter({ name: 'mirador_receiver_rejected_items_total', help: 'Items refused with a reason, per signal.', labelNames: ['signal', 'reason'], registers: [this.registry] });
  /** Requests refused whole. */
  readonly refusedRequests = new Counter({ name: 'mirador_receiver_refused_requests_total', help: 'Requests refused whole, per signal and HTTP status.', labelNames: ['signal', 'status'], registers: [this.registry] });
  /** Items lost after acceptance was attempted (write failures, full queue). */
  readonly derivedEdges = new Gauge({ name: 'mirador_service_graph_unpaired_spans', help: 'Client/server span halves never paired: expired after the wait, or dropped because too many waited (counts since start).', labelNames: ['outcome'], registers: [this.registry] });
  readonly dropped = new Counter({ name: 'mirador_receiver_dropped_items_total', help: 'Items not stored because the queue was full or the write failed.', labelNames: ['signal', 'reason'], registers: [this.registry] });
  /** Values cut to the configured limits. */
  readonly redacted = new Counter({ name: 'mirador_receiver_redacted_values_total', help: 'Sensitive values replaced before storing (by attribute key, card number or e-mail pattern).', labelNames: ['signal'], registers: [this.registry] });
  readonly truncated = new Counter({ name: 'mirador_receiver_truncated_values_total', help: 'Attribute values truncated, attributes dropped or nesting cut by the limits.', labelNames: ['signal', 'limit'], registers: [this.registry] });
  /** Items waiting to be written. */
  readonly queueDepth = new Gauge({ name: 'mirador_pipeline_queue_items', help: 'Items accepted and waiting to be written, per signal.', labelNames: ['signal'], registers: [this.registry] });
  /** Store write latency. */
  readonly writeSeconds = new Histogram({
    name: 'mirador_store_write_duration_seconds',
    help: 'Duration of one batch write to the store, per signal.',
    labelNames: ['signal'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  /** Rows deleted by retention. */
  readonly retentionDeleted = new Counter({ name: 'mirador_retention_deleted_items_total', help: 'Items deleted by retention, per signal.', labelNames: ['signal'], registers: [this.registry] });
  /** Remote write to a metrics backend. */
  readonly remoteWriteBytes = new Counter({ name: 'mirador_remote_write_sent_bytes_total', help: 'Compressed remote-write bytes the metrics backend accepted, per shard.', labelNames: ['shard'], registers: [this.registry] });
  readonly remoteWriteRetries = new Counter({ name: 'mirador_remote_write_retries_total', help: 'Remote-write requests retried (backend away, 5xx or 429), per shard.', labelNames: ['shard'], registers: [this.registry] });
  readonly remoteWriteRefused = new Counter({ name: 'mirador_remote_write_refused_total', help: 'Remote-write requests the backend refused for good (4xx), per shard and status.', labelNames: ['shard', 'status'], registers: [this.registry] });
  readonly remoteWritePending = new Gauge({ name: 'mirador_remote_write_buffer_bytes', help: 'Bytes of the remote-write buffer on disk, sent or not.', registers: [this.registry] });
  readonly searchIndexed = new Counter({ name: 'mirador_search_indexed_documents_total', help: 'Documents (spans, logs, trace summaries, operations) the search cluster took.', registers: [this.registry] });
  readonly searchRetries = new Counter({ name: 'mirador_search_retries_total', help: 'Bulk batches sent again (cluster away, 429 or 5xx).', registers: [this.registry] });
  readonly searchRejected = new Counter({ name: 'mirador_search_rejected_documents_total', help: 'Documents the search cluster refused for good, per status.', labelNames: ['status'], registers: [this.registry] });
  readonly searchSpoolBytes = new Gauge({ name: 'mirador_search_spool_bytes', help: 'Bytes of the search spool on disk, sent or not.', registers: [this.registry] });
  /** Rule evaluations, per group. */
  readonly ruleEvaluations = new Counter({ name: 'mirador_rule_evaluations_total', help: 'Rules evaluated, per group.', labelNames: ['rule_group'], registers: [this.registry] });
  readonly ruleEvaluationFailures = new Counter({ name: 'mirador_rule_evaluation_failures_total', help: 'Rule evaluations that failed, per group.', labelNames: ['rule_group'], registers: [this.registry] });
  readonly ruleGroupSeconds = new Gauge({ name: 'mirador_rule_group_last_duration_seconds', help: 'Duration of the last evaluation of each rule group.', labelNames: ['rule_group'], registers: [this.registry] });
  readonly unauthorizedIngest = new Counter({ name: 'mirador_ingest_unauthorized_total', help: 'Ingest requests refused for a missing or unknown token, by source address (the first 1000, then "other") and reason.', labelNames: ['source', 'reason'], registers: [this.registry] });
  readonly loginFailures = new Counter({ name: 'mirador_login_failures_total', help: 'Sign-ins refused (unknown user or wrong password).', registers: [this.registry] });
  readonly alertingLeader = new Gauge({ name: 'mirador_alerting_leader', help: '1 while this replica holds the alerting lease and evaluates the rules (replicas sharing a search cluster).', registers: [this.registry] });
  readonly ruleGroupMissed = new Counter({ name: 'mirador_rule_group_iterations_missed_total', help: 'Evaluation slots skipped because the group was still being evaluated.', labelNames: ['rule_group'], registers: [this.registry] });
  /** Alert notifications, per receiver. */
  readonly notificationsSent = new Counter({ name: 'mirador_notifications_sent_total', help: 'Alerts sent, per receiver.', labelNames: ['receiver'], registers: [this.registry] });
  readonly notificationsErrors = new Counter({ name: 'mirador_notifications_errors_total', help: 'Failed send attempts (each retried), per receiver.', labelNames: ['receiver'], registers: [this.registry] });
  readonly notificationsDropped = new Counter({ name: 'mirador_notifications_dropped_total', help: 'Alerts given up on after the retries or a full queue, per receiver.', labelNames: ['receiver'], registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'mirador_' });
  }
}
