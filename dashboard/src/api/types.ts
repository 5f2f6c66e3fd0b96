/** The collector's API answers, as the dashboard reads them. */

/** A Prometheus instant-vector element. */
export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}
export type PromVector = PromSample[];

/** A Prometheus range-query series. */
export interface PromSeries {
  metric: Record<string, string>;
  values: Array<[number, string]>;
}
export type PromMatrix = PromSeries[];

/** A key-value tag of the Jaeger model. */
export interface JaegerTag {
  key: string;
  type: string;
  value: string | number | boolean;
}

/** A span of the Jaeger model: times in Unix microseconds. */
export interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references: Array<{ refType: string; traceID: string; spanID: string }>;
  startTime: number;
  duration: number;
  tags: JaegerTag[];
  logs: Array<{ timestamp: number; fields: JaegerTag[] }>;
  processID: string;
}

/** A trace of the Jaeger model. */
export interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string; tags: JaegerTag[] }>;
}

/** A log record of /api/logs. */
export interface LogRecord {
  timestamp: string;
  timeUnixNano: string;
  serviceName: string;
  severityNumber: number;
  severityText: string;
  body: unknown;
  traceId: string | null;
  spanId: string | null;
  attributes: Record<string, unknown>;
}

/** An alert of a rule. */
export interface AlertView {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'pending' | 'firing';
  activeAt: string;
  value: string;
}

/** A rule as /api/alert-rules shows it. */
export interface AlertRuleView {
  group: string;
  file: string;
  index: number;
  type: 'alerting' | 'recording';
  name: string;
  expr: string;
  for?: string;
  keepFiringFor?: string;
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  /** The comparison the expression ends in, and the query it compares (for a preview). */
  threshold: { op: string; value: number; query: string } | null;
  state: 'inactive' | 'pending' | 'firing' | null;
  health: 'unknown' | 'ok' | 'err';
  lastError: string;
  lastEvaluation: string | null;
  alerts: AlertView[];
}

export interface AlertRuleGroups {
  groups: Array<{ name: string; file: string; interval: number; rules: AlertRuleView[] }>;
}

/** An entry of /api/alerts/history. */
export interface HistoryEntry {
  kind: 'firing' | 'resolved' | 'rule_created' | 'rule_updated' | 'rule_deleted';
  time: string;
  group: string;
  rule: string;
  labels?: Record<string, string>;
  value?: number;
  user?: string;
}

/** A change to a rule: the fields given are replaced. */
export interface RuleChange {
  threshold?: number | string;
  for?: string;
  expr?: string;
}
