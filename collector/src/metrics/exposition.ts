import { LABEL_NAME, METRIC_NAME, type Labels, type MetricMetadata, type MetricType } from '../model/metric.ts';

/**
 * A parser for the two text formats a Prometheus client writes: the
 * Prometheus text exposition format 0.0.4 and OpenMetrics 1.0 text, exemplars
 * included (https://prometheus.io/docs/instrumenting/exposition_formats/,
 * https://github.com/OpenObservability/OpenMetrics/blob/main/specification/OpenMetrics.md).
 * No npm package reads OpenMetrics exemplars, so this one is written here; it
 * is a line scanner with the formats' escaping rules and checks.
 */
export type ExpositionFormat = 'prometheus' | 'openmetrics';

/** Limits a pushed exposition must keep. */
export interface ExpositionLimits {
  /** Labels of one sample, `__name__` not counted. */
  maxLabels: number;
  /** Bytes of a label value (and of a HELP text). */
  maxLabelValueBytes: number;
}

/** One sample as written; its time is the caller's (a push is stamped on arrival). */
export interface ParsedSample {
  /** `__name__` included. */
  labels: Labels;
  value: number;
  exemplar?: ParsedExemplar;
}

/** An exemplar attached to a sample: its own labels (a trace id, typically), value and time. */
export interface ParsedExemplar {
  labels: Labels;
  value: number;
  /** Unix milliseconds, when the exemplar carried a timestamp. */
  timestampMs?: number;
}

export interface ParsedExposition {
  samples: ParsedSample[];
  metadata: MetricMetadata[];
}

/** Malformed exposition text; the message names the line and what was expected. */
export class ExpositionError extends Error {
  override name = 'ExpositionError';
}

const PROMETHEUS_TYPES: Record<string, MetricType> = { counter: 'counter', gauge: 'gauge', histogram: 'histogram', summary: 'summary', untyped: 'unknown' };
const OPENMETRICS_TYPES: Record<string, MetricType> = {
  counter: 'counter',
  gauge: 'gauge',
  histogram: 'histogram',
  gaugehistogram: 'gaugehistogram',
  summary: 'summary',
  info: 'info',
  stateset: 'stateset',
  unknown: 'unknown',
};

/** Content type → format; null for a type neither format has. */
export function expositionFormatOf(contentType: string | undefined): ExpositionFormat | null {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/openmetrics-text') return 'openmetrics';
  if (type === '' || type === 'text/plain') return 'prometheus';
  return null;
}

/**
 * Parses one exposition. Every error names its line; nothing is returned from
 * a text with an error, so a push is stored whole or not at all. OpenMetrics
 * `_created` samples are left out (Prometheus does not ingest them by
 * default), and so are sample timestamps: a push is stamped on arrival.
 */
export function parseExposition(text: string, format: ExpositionFormat, limits: ExpositionLimits): ParsedExposition {
  const lines = text.split('\n');
  const families = new Map<string, MetricMetadata>();
  const samples: ParsedSample[] = [];
  const seen = new Set<string>();
  let eof = false;
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    let line = lines[i]!;
    if (line.endsWith('\r') && format === 'prometheus') line = line.slice(0, -1);
    const fail = (message: string): never => {
      throw new ExpositionError(`line ${lineNo}: ${message}: ${JSON.stringify(line.length > 120 ? `${line.slice(0, 120)}…` : line)}`);
    };
    if (eof) {
      if (line === '' && i === lines.length - 1) break;
      fail('nothing may follow "# EOF"');
    }
    if (format === 'prometheus') line = line.trim();
    if (line === '') {
      if (format === 'openmetrics' && i !== lines.length - 1) fail('OpenMetrics has no empty lines');
      continue;
    }
    if (line.startsWith('#')) {
      if (format === 'openmetrics' && line === '# EOF') {
        eof = true;
        continue;
      }
      const m = /^#\s*(HELP|TYPE|UNIT)\s+(\S+)(?:\s(.*))?$/.exec(line);
      if (m === null) {
        if (format === 'openmetrics') fail('expected "# HELP", "# TYPE", "# UNIT" or "# EOF"');
        continue; // a comment
      }
      const [, keyword, name, rest = ''] = m as unknown as [string, string, string, string?];
      if (!METRIC_NAME.test(name)) fail(`invalid metric name ${JSON.stringify(name)}`);
      const family = families.get(name) ?? { metric: name, type: 'unknown' as MetricType, help: '', unit: '' };
      families.set(name, family);
      if (keyword === 'HELP') {
        family.help = unescape(rest, format === 'openmetrics' ? ESCAPES_OPENMETRICS : ESCAPES_HELP, fail);
        if (Buffer.byteLength(family.help) > limits.maxLabelValueBytes) family.help = truncateUtf8(family.help, limits.maxLabelValueBytes);
      } else if (keyword === 'TYPE') {
        const type = (format === 'openmetrics' ? OPENMETRICS_TYPES : PROMETHEUS_TYPES)[rest.trim()];
        if (type === undefined) fail(`unknown metric type ${JSON.stringify(rest.trim())}; expected one of ${Object.keys(format === 'openmetrics' ? OPENMETRICS_TYPES : PROMETHEUS_TYPES).join(', ')}`);
        family.type = type!;
      } else {
        if (format !== 'openmetrics') fail('"# UNIT" is OpenMetrics only');
        family.unit = rest.trim();
      }
      continue;
    }
    const sample = parseSampleLine(line, format, limits, fail);
    const name = sample.labels.__name__!;
    if (format === 'openmetrics' && name.endsWith('_created') && families.has(name.slice(0, -'_created'.length))) continue;
    const identity = JSON.stringify(Object.entries(sample.labels).sort(([a], [b]) => (a < b ? -1 : 1)));
    if (seen.has(identity)) fail('a sample of this series came earlier in the same exposition');
    seen.add(identity);
    samples.push(sample);
  }
  if (format === 'openmetrics' && !eof) throw new ExpositionError(`line ${lines.length}: OpenMetrics text must end with "# EOF"`);
  // Families with a TYPE but no sample still carry metadata; keep those whose samples came, or that said anything.
  const metadata = [...families.values()].filter((f) => f.type !== 'unknown' || f.help !== '' || f.unit !== '');
  return { samples, metadata };
}

type Fail = (message: string) => never;

const ESCAPES_LABEL: Record<string, string> = { '\\': '\\', '"': '"', n: '\n' };
const ESCAPES_HELP: Record<string, string> = { '\\': '\\', n: '\n' };
const ESCAPES_OPENMETRICS: Record<string, string> = { '\\': '\\', '"': '"', n: '\n' };

function unescape(text: string, escapes: Record<string, string>, fail: Fail): string {
  if (!text.includes('\\')) return text;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const next = text[++i];
    const replacement = next === undefined ? undefined : escapes[next];
    if (replacement === undefined) {
      // The Prometheus format passes unknown escapes through; OpenMetrics forbids them.
      if (escapes === ESCAPES_OPENMETRICS) fail(`invalid escape "\\${next ?? ''}"`);
      out += `\\${next ?? ''}`;
    } else out += replacement;
  }
  return out;
}

function truncateUtf8(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text);
  let end = maxBytes;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString();
}

/** A cursor over one sample line. */
class Scanner {
  pos = 0;
  readonly line: string;
  readonly fail: Fail;

  constructor(line: string, fail: Fail) {
    this.line = line;
    this.fail = fail;
  }

  peek(): string | undefined {
    return this.line[this.pos];
  }

  done(): boolean {
    return this.pos >= this.line.length;
  }

  /** Reads up to (not including) a character of `stop`, or the end. */
  until(stop: string): string {
    const start = this.pos;
    while (this.pos < this.line.length && !stop.includes(this.line[this.pos]!)) this.pos++;
    return this.line.slice(start, this.pos);
  }

  expect(c: string, what: string): void {
    if (this.line[this.pos] !== c) this.fail(`expected ${what} at column ${this.pos + 1}`);
    this.pos++;
  }

  /** Skips blanks: one space in OpenMetrics, any spaces and tabs in the Prometheus format. */
  blanks(format: ExpositionFormat, required: boolean, what: string): void {
    const start = this.pos;
    if (format === 'openmetrics') {
      if (this.line[this.pos] === ' ') this.pos++;
    } else {
      while (this.line[this.pos] === ' ' || this.line[this.pos] === '\t') this.pos++;
    }
    if (required && this.pos === start) this.fail(`expected a space before ${what} at column ${this.pos + 1}`);
  }

  /** A `{name="value",...}` block. */
  labels(into: Labels, format: ExpositionFormat, limits: ExpositionLimits): void {
    this.expect('{', '"{"');
    let count = 0;
    for (;;) {
      if (format === 'prometheus') this.blanks(format, false, '');
      if (this.peek() === '}') {
        this.pos++;
        return;
      }
      const name = this.until('=} \t');
      if (!LABEL_NAME.test(name)) this.fail(`invalid label name ${JSON.stringify(name)} at column ${this.pos - name.length + 1}`);
      if (format === 'prometheus') this.blanks(format, false, '');
      this.expect('=', '"=" after a label name');
      if (format === 'prometheus') this.blanks(format, false, '');
      this.expect('"', 'a quoted label value');
      let raw = '';
      for (;;) {
        if (this.done()) this.fail('unterminated label value');
        const c = this.line[this.pos++]!;
        if (c === '"') break;
        if (c === '\\') {
          raw += c + (this.line[this.pos++] ?? '');
          continue;
        }
        raw += c;
      }
      const value = unescape(raw, format === 'openmetrics' ? ESCAPES_OPENMETRICS : ESCAPES_LABEL, this.fail);
      if (Object.hasOwn(into, name)) this.fail(`label ${JSON.stringify(name)} given twice`);
      if (++count > limits.maxLabels) this.fail(`more than ${limits.maxLabels} labels (limits.maxAttributes)`);
      if (Buffer.byteLength(value) > limits.maxLabelValueBytes) this.fail(`the value of label ${JSON.stringify(name)} is longer than ${limits.maxLabelValueBytes} bytes (limits.maxAttributeValueBytes)`);
      // An empty label value is the label's absence.
      if (value !== '') into[name] = value;
      if (format === 'prometheus') this.blanks(format, false, '');
      if (this.peek() === ',') {
        this.pos++;
        continue;
      }
      if (this.peek() !== '}') this.fail(`expected "," or "}" at column ${this.pos + 1}`);
    }
  }
}

function parseNumber(text: string, what: string, fail: Fail): number {
  switch (text) {
    case 'NaN':
      return NaN;
    case '+Inf':
    case 'Inf':
    case '+inf':
    case 'inf':
      return Infinity;
    case '-Inf':
    case '-inf':
      return -Infinity;
  }
  // Go's ParseFloat: decimal or hexadecimal floats, optional sign, no other text.
  if (!/^[+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?|0[xX][0-9a-fA-F]+)$/.test(text)) fail(`expected ${what} as a number, got ${JSON.stringify(text)}`);
  return Number(text);
}

function parseSampleLine(line: string, format: ExpositionFormat, limits: ExpositionLimits, fail: Fail): ParsedSample {
  const s = new Scanner(line, fail);
  const name = s.until('{ \t');
  if (!METRIC_NAME.test(name)) fail(`invalid metric name ${JSON.stringify(name)}`);
  const labels: Labels = { __name__: name };
  if (s.peek() === '{') s.labels(labels, format, limits);
  s.blanks(format, true, 'the value');
  const value = parseNumber(s.until(' \t'), 'the value', fail);
  s.blanks(format, false, '');
  if (!s.done() && s.peek() !== '#') {
    // A timestamp: milliseconds in the Prometheus format, seconds in OpenMetrics. Checked, then left out (see parseExposition).
    parseNumber(s.until(' \t'), 'the timestamp', fail);
    s.blanks(format, false, '');
  }
  let exemplar: ParsedExemplar | undefined;
  if (!s.done()) {
    if (format !== 'openmetrics') fail(`unexpected text at column ${s.pos + 1}; exemplars ("# {...}") are OpenMetrics only`);
    s.expect('#', '"#" before an exemplar');
    s.blanks(format, true, 'the exemplar');
    const exemplarLabels: Labels = {};
    s.labels(exemplarLabels, format, { maxLabels: limits.maxLabels, maxLabelValueBytes: limits.maxLabelValueBytes });
    // OpenMetrics caps an exemplar's label set at 128 UTF-8 characters.
    if ([...Object.entries(exemplarLabels)].reduce((n, [k, v]) => n + [...k].length + [...v].length, 0) > 128) fail('an exemplar\'s labels may hold at most 128 characters');
    s.blanks(format, true, 'the exemplar value');
    const exemplarValue = parseNumber(s.until(' '), 'the exemplar value', fail);
    exemplar = { labels: exemplarLabels, value: exemplarValue };
    if (!s.done()) {
      s.blanks(format, true, 'the exemplar timestamp');
      const seconds = parseNumber(s.until(' '), 'the exemplar timestamp', fail);
      exemplar.timestampMs = Math.round(seconds * 1000);
    }
    if (!s.done()) fail(`unexpected text at column ${s.pos + 1}`);
  }
  return exemplar === undefined ? { labels, value } : { labels, value, exemplar };
}
