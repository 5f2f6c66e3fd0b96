/**
 * Naming rules of the OpenTelemetry "Prometheus and OpenMetrics Compatibility"
 * specification, OTLP → Prometheus direction: metric and label names, unit
 * suffixes, attribute values as label values.
 * https://opentelemetry.io/docs/specs/otel/compatibility/prometheus_and_openmetrics/#otlp-metric-points-to-prometheus
 */
import type { Attributes, AttributeValue } from '../model/attributes.ts';
import type { Labels, MetricType } from '../model/metric.ts';

// UCUM units the OpenTelemetry semantic conventions use, as Prometheus words
// (the table the OpenTelemetry Collector's Prometheus translator uses).
const UNIT_WORDS: Record<string, string> = {
  d: 'days', h: 'hours', min: 'minutes', s: 'seconds', ms: 'milliseconds', us: 'microseconds', ns: 'nanoseconds',
  By: 'bytes', KiBy: 'kibibytes', MiBy: 'mebibytes', GiBy: 'gibibytes', TiBy: 'tibibytes',
  KBy: 'kilobytes', MBy: 'megabytes', GBy: 'gigabytes', TBy: 'terabytes',
  m: 'meters', V: 'volts', A: 'amperes', J: 'joules', W: 'watts', g: 'grams',
  Cel: 'celsius', Hz: 'hertz', '%': 'percent', '1': '',
};
// After a slash the singular reads better: bytes_per_second.
const PER_UNIT_WORDS: Record<string, string> = {
  s: 'second', m: 'minute', h: 'hour', d: 'day', w: 'week', mo: 'month', y: 'year',
};

/** A metric name matching `[a-zA-Z_:][a-zA-Z0-9_:]*`: invalid characters become `_`, runs of `_` collapse to one. */
export function sanitizeMetricName(name: string): string {
  const s = name.replace(/[^a-zA-Z0-9_:]+/g, '_').replace(/__+/g, '_');
  return /^[0-9]/.test(s) ? `_${s}` : s;
}

/** A label name matching `[a-zA-Z_][a-zA-Z0-9_]*`; collapsing `__` also keeps attributes out of the reserved `__` namespace. */
export function sanitizeLabelName(name: string): string {
  const s = name.replace(/[^a-zA-Z0-9_]+/g, '_').replace(/__+/g, '_');
  return /^[0-9]/.test(s) ? `_${s}` : s;
}

/**
 * The Prometheus unit word for an OTLP (UCUM) unit: `ms` → `milliseconds`,
 * `By/s` → `bytes_per_second`, `{packet}` → `` (annotations are dropped), `1`
 * → `ratio` on gauges and `` otherwise; unknown units are sanitised as they are.
 */
export function prometheusUnit(unit: string, isGauge: boolean): string {
  const bare = unit.replace(/\{[^}]*\}/g, '').trim();
  if (bare === '1') return isGauge ? 'ratio' : '';
  const slash = bare.indexOf('/');
  const main = unitWord(slash < 0 ? bare : bare.slice(0, slash), UNIT_WORDS);
  const per = slash < 0 ? '' : unitWord(bare.slice(slash + 1), PER_UNIT_WORDS);
  if (per === '') return main;
  return main === '' ? `per_${per}` : `${main}_per_${per}`;
}

function unitWord(unit: string, words: Record<string, string>): string {
  const known = words[unit] ?? UNIT_WORDS[unit];
  if (known !== undefined) return known;
  return unit.replace(/[^a-zA-Z0-9]+/g, '_').replace(/^_+|_+$/g, '');
}

/** Name of the metric family and its unit word, as the Prometheus metadata API reports them. */
export interface FamilyName {
  /** The family name: `_total` included for counters; histograms and summaries add `_bucket`/`_sum`/`_count` to it. */
  name: string;
  unit: string;
}

/**
 * The Prometheus family name for an OTLP metric: sanitised name, then the unit
 * word unless the name already ends with it, then `_total` for counters.
 * `unitFromGauge` is true only for OTLP Gauges (the `_ratio` rule), not for
 * non-monotonic sums, as the OpenTelemetry Collector has it.
 */
export function familyName(otlpName: string, otlpUnit: string, type: MetricType, unitFromGauge: boolean): FamilyName {
  let name = sanitizeMetricName(otlpName);
  const counter = type === 'counter';
  if (counter && name.endsWith('_total')) name = name.slice(0, -'_total'.length);
  const unit = prometheusUnit(otlpUnit, unitFromGauge);
  if (unit !== '' && name !== unit && !name.endsWith(`_${unit}`)) name = name === '' ? unit : `${name}_${unit}`;
  if (counter) name += '_total';
  return { name, unit };
}

// JSON.rawJSON (Node 21+, ES2026) writes number text as given; TypeScript's lib does not declare it yet.
const rawJSON = (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON;

/** A label value for an attribute value: strings as they are, other values as the attribute specification writes them. */
export function labelValue(value: AttributeValue): string {
  if (typeof value === 'string') return value;
  if (value === null) return '';
  if (typeof value === 'boolean' || typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'bigint') return rawJSON(v.toString());
    if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
    return v;
  });
}

/** A float as a label value (`le`, `quantile`), the way prom-client writes it; infinities as `+Inf`/`-Inf`. */
export function formatFloat(value: number): string {
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

const labelNameCache = new Map<string, string>();
const LABEL_NAME_CACHE_SIZE = 4096;

function cachedLabelName(key: string): string {
  let name = labelNameCache.get(key);
  if (name === undefined) {
    name = sanitizeLabelName(key);
    // Attribute keys come from a small vocabulary; a flood of new ones just restarts the cache.
    if (labelNameCache.size >= LABEL_NAME_CACHE_SIZE) labelNameCache.clear();
    labelNameCache.set(key, name);
  }
  return name;
}

/**
 * Adds attributes to `labels` under sanitised names, skipping `skip` keys and
 * empty values (an empty label is an absent label in Prometheus). Attributes
 * whose names collide after sanitising are joined with `;` in the order of
 * their original keys, as the specification requires.
 */
export function addAttributeLabels(labels: Labels, attributes: Attributes, skip?: ReadonlySet<string>): Labels {
  let collisions: Map<string, Array<[string, string]>> | null = null;
  const origin = new Map<string, string>();
  for (const key in attributes) {
    if (skip?.has(key)) continue;
    const value = labelValue(attributes[key]!);
    if (value === '') continue;
    const name = cachedLabelName(key);
    if (name === '') continue;
    const first = origin.get(name);
    if (first === undefined) {
      origin.set(name, key);
      labels[name] = value;
      continue;
    }
    collisions ??= new Map();
    let list = collisions.get(name);
    if (list === undefined) collisions.set(name, (list = [[first, labels[name]!]]));
    list.push([key, value]);
  }
  if (collisions !== null) {
    for (const [name, list] of collisions) {
      list.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      labels[name] = list.map((entry) => entry[1]).join(';');
    }
  }
  return labels;
}
