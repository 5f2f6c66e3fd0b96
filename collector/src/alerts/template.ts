import type { Labels } from '../model/metric.ts';
import { formatG, formatValue, sprintf } from './goFormat.ts';

/**
 * The part of Go's text/template that Prometheus alert labels and
 * annotations use: `{{ $labels.service }}`, `{{ $value }}`,
 * `{{ $externalLabels.x }}`, the `.Labels`/`.Value` forms, pipelines into
 * Prometheus' functions (`{{ $value | humanizePercentage }}`,
 * `{{ printf "%.2f" $value }}`) and trim markers (`{{-`, `-}}`). Control
 * actions (`if`, `range`, `with`, `define`) are refused when the rule is
 * loaded, with the template's text, rather than failing at 3 a.m.
 * (https://prometheus.io/docs/prometheus/latest/configuration/template_reference/)
 */

/** A template that does not parse; the message says where. */
export class TemplateError extends Error {
  override name = 'TemplateError';
}

/** What a template sees: the alert's labels, its value and the collector's external labels. */
export interface TemplateData {
  labels: Labels;
  value: number;
  externalLabels: Labels;
  externalURL: string;
}

type FieldRoot = 'labels' | 'value' | 'externalLabels' | 'externalURL' | 'dot';
type Operand = { kind: 'field'; root: FieldRoot; key: string | null } | { kind: 'literal'; value: string | number };
type Command = { fn: string | null; args: Operand[] };
type Part = string | Command[];

/** A parsed template, expanded once per alert. */
export class AlertTemplate {
  readonly source: string;
  private readonly parts: Part[];

  constructor(source: string) {
    this.source = source;
    this.parts = parse(source);
  }

  /** True when the text has no actions (most labels), so expanding is a copy. */
  get isPlain(): boolean {
    return this.parts.every((p) => typeof p === 'string');
  }

  /** The text with every action replaced by its value; a function's failure is Prometheus' "<error expanding template: ...>". */
  expand(data: TemplateData): string {
    let out = '';
    try {
      for (const part of this.parts) out += typeof part === 'string' ? part : formatValue(runPipeline(part, data));
    } catch (error) {
      return `<error expanding template: ${(error as Error).message}>`;
    }
    return out;
  }
}

const FUNCTIONS: Record<string, (args: unknown[]) => unknown> = {
  humanize: ([v]) => humanize(toNumber(v), 1000, ['k', 'M', 'G', 'T', 'P', 'E', 'Z', 'Y'], true),
  humanize1024: ([v]) => humanize(toNumber(v), 1024, ['ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei', 'Zi', 'Yi'], false),
  humanizePercentage: ([v]) => `${formatG(toNumber(v) * 100, 4)}%`,
  humanizeDuration: ([v]) => humanizeDuration(toNumber(v)),
  humanizeTimestamp: ([v]) => humanizeTimestamp(toNumber(v)),
  printf: ([format, ...rest]) => sprintf(String(format), rest),
  toUpper: ([v]) => formatValue(v).toUpperCase(),
  toLower: ([v]) => formatValue(v).toLowerCase(),
  title: ([v]) => formatValue(v).replace(/(^|[^\p{L}\p{N}])(\p{L})/gu, (_m, before: string, c: string) => before + c.toUpperCase()),
  reReplaceAll: ([pattern, replacement, text]) => formatValue(text).replace(new RegExp(String(pattern), 'g'), String(replacement).replace(/\$\{(\w+)\}/g, '$$$1')),
  stripPort: ([v]) => formatValue(v).replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1'),
};
const ARITY: Record<string, [number, number]> = { printf: [1, Infinity], reReplaceAll: [3, 3] };

function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  const n = Number(String(v).trim());
  if (String(v).trim() === '' || Number.isNaN(n)) throw new Error(`cannot convert ${JSON.stringify(String(v))} to a number`);
  return n;
}

function humanize(v: number, base: number, prefixes: string[], small: boolean): string {
  if (v === 0 || !Number.isFinite(v)) return formatG(v, 4);
  let prefix = '';
  if (Math.abs(v) >= 1 || !small) {
    for (const p of prefixes) {
      if (Math.abs(v) < base) break;
      prefix = p;
      v /= base;
    }
    return formatG(v, 4) + prefix;
  }
  for (const p of ['m', 'u', 'n', 'p', 'f', 'a', 'z', 'y']) {
    if (Math.abs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return formatG(v, 4) + prefix;
}

function humanizeDuration(v: number): string {
  if (!Number.isFinite(v)) return formatG(v, 4);
  if (v === 0) return '0s';
  if (Math.abs(v) >= 1) {
    const sign = v < 0 ? '-' : '';
    const abs = Math.abs(v);
    const whole = Math.trunc(abs);
    const [days, hours, minutes, seconds] = [Math.trunc(whole / 86_400), Math.trunc(whole / 3600) % 24, Math.trunc(whole / 60) % 60, whole % 60];
    if (days !== 0) return `${sign}${days}d ${hours}h ${minutes}m ${seconds}s`;
    if (hours !== 0) return `${sign}${hours}h ${minutes}m ${seconds}s`;
    if (minutes !== 0) return `${sign}${minutes}m ${seconds}s`;
    return `${sign}${formatG(abs, 4)}s`;
  }
  let prefix = '';
  for (const p of ['m', 'u', 'n', 'p', 'f', 'a', 'z', 'y']) {
    if (Math.abs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return `${formatG(v, 4)}${prefix}s`;
}

/** Go's time.Time.String() of a Unix time in UTC, as Prometheus prints it. */
function humanizeTimestamp(seconds: number): string {
  if (!Number.isFinite(seconds)) return formatG(seconds, 4);
  const iso = new Date(seconds * 1000).toISOString();
  const fraction = iso.slice(20, 23).replace(/0+$/, '');
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${fraction === '' ? '' : '.' + fraction} +0000 UTC`;
}

function runPipeline(commands: Command[], data: TemplateData): unknown {
  let piped: unknown = undefined;
  commands.forEach((command, i) => {
    const args = command.args.map((a) => operandValue(a, data));
    if (i > 0) args.push(piped);
    piped = command.fn === null ? args[0] : FUNCTIONS[command.fn]!(args);
  });
  return piped;
}

function operandValue(o: Operand, data: TemplateData): unknown {
  if (o.kind === 'literal') return o.value;
  switch (o.root) {
    case 'value':
      return data.value;
    case 'externalURL':
      return data.externalURL;
    case 'labels':
      return o.key === null ? data.labels : (data.labels[o.key] ?? '');
    case 'externalLabels':
      return o.key === null ? data.externalLabels : (data.externalLabels[o.key] ?? '');
    default:
      return { Labels: data.labels, Value: data.value, ExternalLabels: data.externalLabels };
  }
}

const CONTROL = new Set(['if', 'else', 'end', 'range', 'with', 'define', 'template', 'block', 'break', 'continue']);

function parse(source: string): Part[] {
  const parts: Part[] = [];
  let at = 0;
  while (at < source.length) {
    const open = source.indexOf('{{', at);
    if (open === -1) {
      parts.push(source.slice(at));
      break;
    }
    let text = source.slice(at, open);
    const close = source.indexOf('}}', open + 2);
    if (close === -1) throw new TemplateError(`unclosed action: ${JSON.stringify(source.slice(open, open + 30))}`);
    let inner = source.slice(open + 2, close);
    if (/^-\s/.test(inner)) {
      text = text.replace(/\s+$/, '');
      inner = inner.slice(1);
    }
    let trimAfter = false;
    if (/\s-$/.test(inner)) {
      trimAfter = true;
      inner = inner.slice(0, -1);
    }
    if (text !== '') parts.push(text);
    if (!/^\s*\/\*[\s\S]*\*\/\s*$/.test(inner)) parts.push(parseAction(inner.trim()));
    at = close + 2;
    if (trimAfter) while (at < source.length && /\s/.test(source[at]!)) at++;
  }
  return parts;
}

function parseAction(action: string): Command[] {
  if (action === '') throw new TemplateError('missing value for command');
  const first = /^[a-z]+/.exec(action)?.[0];
  if (first !== undefined && CONTROL.has(first)) {
    throw new TemplateError(`{{${first}}} is not supported here: only values and pipelines such as {{ $value | humanize }} or {{ $labels.service }} are`);
  }
  if (/^\$\w+\s*:?=/.test(action)) throw new TemplateError(`variable declarations are not supported: {{${action}}}`);
  return splitPipes(action).map((cmd, i) => parseCommand(cmd, i > 0, action));
}

function splitPipes(action: string): string[] {
  const out: string[] = [];
  let current = '';
  let quote: string | null = null;
  for (let i = 0; i < action.length; i++) {
    const c = action[i]!;
    if (quote !== null) {
      current += c;
      if (c === '\\' && quote === '"') current += action[++i] ?? '';
      else if (c === quote) quote = null;
    } else if (c === '"' || c === '`') {
      quote = c;
      current += c;
    } else if (c === '|') {
      out.push(current.trim());
      current = '';
    } else current += c;
  }
  if (quote !== null) throw new TemplateError(`unterminated quoted string in {{${action}}}`);
  out.push(current.trim());
  return out;
}

function parseCommand(text: string, piped: boolean, action: string): Command {
  const tokens = text.match(/"(?:[^"\\]|\\.)*"|`[^`]*`|\S+/g) ?? [];
  if (tokens.length === 0) throw new TemplateError(`missing command in {{${action}}}`);
  const head = tokens[0]!;
  if (/^[a-zA-Z]\w*$/.test(head)) {
    if (FUNCTIONS[head] === undefined) throw new TemplateError(`function ${JSON.stringify(head)} not defined (in {{${action}}})`);
    const args = tokens.slice(1).map((t) => parseOperand(t, action));
    const [min, max] = ARITY[head] ?? [1, 1];
    const count = args.length + (piped ? 1 : 0);
    if (count < min || count > max) throw new TemplateError(`wrong number of args for ${head}: want ${min === max ? min : `at least ${min}`} got ${count} (in {{${action}}})`);
    return { fn: head, args };
  }
  if (tokens.length > 1 || piped) throw new TemplateError(`can't give argument to non-function ${head} (in {{${action}}})`);
  return { fn: null, args: [parseOperand(head, action)] };
}

const ROOTS: Record<string, FieldRoot> = { $labels: 'labels', '.Labels': 'labels', $value: 'value', '.Value': 'value', $externalLabels: 'externalLabels', '.ExternalLabels': 'externalLabels', $externalURL: 'externalURL', '.ExternalURL': 'externalURL', '.': 'dot' };

function parseOperand(token: string, action: string): Operand {
  if (token.startsWith('"')) {
    try {
      return { kind: 'literal', value: JSON.parse(token) as string };
    } catch {
      throw new TemplateError(`bad string ${token} in {{${action}}}`);
    }
  }
  if (token.startsWith('`')) return { kind: 'literal', value: token.slice(1, -1) };
  if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(token)) return { kind: 'literal', value: Number(token) };
  const m = /^(\$labels|\$value|\$externalLabels|\$externalURL|\.Labels|\.Value|\.ExternalLabels|\.ExternalURL|\.)(?:\.([a-zA-Z_]\w*))?$/.exec(token);
  if (m === null) throw new TemplateError(`undefined variable or field ${JSON.stringify(token)} in {{${action}}} (use $labels.<name>, $value or $externalLabels.<name>)`);
  const root = ROOTS[m[1]!]!;
  if ((root === 'value' || root === 'externalURL') && m[2] !== undefined) throw new TemplateError(`${m[1]} has no field ${m[2]} (in {{${action}}})`);
  return { kind: 'field', root, key: m[2] ?? null };
}
