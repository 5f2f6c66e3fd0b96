import { parser } from '@prometheus-io/lezer-promql';
import type { SyntaxNode } from '@lezer/common';
import type { LabelMatcher } from '../store/types.ts';

/** PromQL that does not parse, or a selector Prometheus refuses; the message says where and why. */
export class PromQLError extends Error {
  override name = 'PromQLError';
}

/** Go's one-character escapes, as PromQL strings take them. */
const GO_ESCAPES: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', "'": "'", '"': '"' };

/** A PromQL string literal's value: Go's escapes in "..." and '...', none in `...`. */
export function stringValue(literal: string): string {
  const quote = literal[0];
  const body = literal.slice(1, -1);
  if (quote === '`') return body;
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = body[++i];
    if (e !== undefined && GO_ESCAPES[e] !== undefined) out += GO_ESCAPES[e];
    else if (e === 'x' || e === 'u' || e === 'U') {
      const digits = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      const hex = body.slice(i + 1, i + 1 + digits);
      if (!new RegExp(`^[0-9a-fA-F]{${digits}}$`).test(hex)) throw new PromQLError(`invalid escape "\\${e}${hex}" in string ${literal}`);
      out += e === 'x' ? String.fromCharCode(parseInt(hex, 16)) : String.fromCodePoint(parseInt(hex, 16));
      i += digits;
    } else if (e !== undefined && /[0-7]/.test(e)) {
      const octal = body.slice(i, i + 3);
      if (!/^[0-7]{3}$/.test(octal)) throw new PromQLError(`invalid escape "\\${octal}" in string ${literal}`);
      out += String.fromCharCode(parseInt(octal, 8));
      i += 2;
    } else throw new PromQLError(`invalid escape "\\${e ?? ''}" in string ${literal}`);
  }
  return out;
}

/** When an `@` modifier pins a selector: a Unix time in ms, or the query's start or end. */
export type At = number | 'start' | 'end' | null;

/** A parsed PromQL expression. */
export type Expr =
  | { kind: 'number'; value: number }
  | { kind: 'string'; value: string }
  | VectorSelector
  | { kind: 'matrix'; vector: VectorSelector; rangeMs: number }
  | { kind: 'subquery'; expr: Expr; rangeMs: number; stepMs: number | null; offsetMs: number; at: At }
  | { kind: 'unary'; negate: boolean; expr: Expr }
  | BinaryExpr
  | { kind: 'aggregate'; op: string; expr: Expr; param: Expr | null; grouping: string[]; without: boolean }
  | { kind: 'call'; name: string; args: Expr[] };

export interface VectorSelector {
  kind: 'vector';
  matchers: LabelMatcher[];
  offsetMs: number;
  at: At;
}

export interface BinaryExpr {
  kind: 'binary';
  op: string;
  lhs: Expr;
  rhs: Expr;
  bool: boolean;
  /** Vector matching; null for the default one-to-one matching on all labels. */
  matching: { on: boolean; labels: string[]; card: 'one-to-one' | 'many-to-one' | 'one-to-many'; include: string[] } | null;
}

/** Words before a parenthesis that are not functions: aggregations and modifiers. */
const KEYWORDS = new Set(['sum', 'avg', 'min', 'max', 'count', 'group', 'stddev', 'stdvar', 'topk', 'bottomk', 'quantile', 'count_values', 'limitk', 'limit_ratio', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'atan2', 'offset', 'start', 'end', 'double_exponential_smoothing']);

/** The four value types of PromQL. */
export type ValueType = 'scalar' | 'string' | 'vector' | 'matrix';

const BINARY_OPS: Record<string, string> = { Add: '+', Sub: '-', Mul: '*', Div: '/', Mod: '%', Pow: '^', Eql: '==', Neq: '!=', Gtr: '>', Lss: '<', Gte: '>=', Lte: '<=', And: 'and', Or: 'or', Unless: 'unless', Atan2: 'atan2' };
const MATCH_TYPES: Record<string, LabelMatcher['type']> = { EqlSingle: '=', Neq: '!=', EqlRegex: '=~', NeqRegex: '!~' };

const DURATION = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;
const DURATION_MS = [31_536_000_000, 604_800_000, 86_400_000, 3_600_000, 60_000, 1000, 1];

/**
 * A duration as Prometheus writes one everywhere (model.ParseDuration: units
 * from years down to milliseconds, each at most once and in that order, or
 * `0`), in ms; null when the text is not one. PromQL ranges, rule files and
 * configuration all read durations this way.
 */
export function modelDuration(text: string): number | null {
  if (text === '0') return 0;
  const m = DURATION.exec(text);
  if (m === null || text === '') return null;
  return DURATION_MS.reduce((sum, unit, i) => sum + Number(m[i + 1] ?? 0) * unit, 0);
}

/** A Prometheus duration (`5m`, `1h30m`, `250ms`), or a number of seconds as the HTTP API takes them, in milliseconds. */
export function parseDuration(text: string): number {
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const ms = modelDuration(text);
  if (ms === null) throw new PromQLError(`invalid duration ${JSON.stringify(text)}`);
  return ms;
}

/** Parses a PromQL expression with Prometheus' own grammar into an {@link Expr}, refusing what does not type-check. */
export function parsePromQL(text: string): Expr {
  if (text.trim() === '') throw new PromQLError('empty expression');
  // The grammar is Prometheus 3's, where holt_winters is named double_exponential_smoothing; 2.42's name is read as that.
  text = text.replace(/\bholt_winters(\s*\()/g, 'double_exponential_smoothing$1');
  const tree = parser.parse(text);
  let errorAt = -1;
  tree.iterate({
    enter: (ref) => {
      if (errorAt === -1 && ref.type.isError) errorAt = ref.from;
      return errorAt === -1;
    },
  });
  // The grammar knows every function by name, so an unknown one is a syntax error there; say what it is.
  if (errorAt !== -1) {
    for (const m of text.slice(0, errorAt + 1).matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*\(/g)) {
      const name = m[1]!;
      if (FUNCTION_TYPES[name] === undefined && !KEYWORDS.has(name)) throw new PromQLError(`unknown function with name ${JSON.stringify(name)}`);
    }
  }
  if (errorAt !== -1) throw new PromQLError(`parse error at character ${errorAt + 1}: unexpected ${errorAt < text.length ? JSON.stringify(text.slice(errorAt, errorAt + 10)) : 'end of input'}`);
  const top = tree.topNode.firstChild;
  if (top === null) throw new PromQLError('empty expression');
  const expr = build(top, text);
  typeOf(expr);
  return expr;
}

const src = (n: SyntaxNode, text: string) => text.slice(n.from, n.to);
const children = (n: SyntaxNode): SyntaxNode[] => {
  const out: SyntaxNode[] = [];
  for (let c = n.firstChild; c !== null; c = c.nextSibling) out.push(c);
  return out;
};

function labelList(n: SyntaxNode | null, text: string): string[] {
  return n === null ? [] : children(n).filter((c) => c.name === 'LabelName' || c.name === 'QuotedLabelName').map((c) => (c.name === 'LabelName' ? src(c, text) : stringValue(src(c.firstChild!, text))));
}

function numberLiteral(raw: string): number {
  const lower = raw.toLowerCase();
  if (lower === 'inf' || lower === '+inf') return Infinity;
  if (lower === '-inf') return -Infinity;
  if (lower === 'nan') return NaN;
  if (/^0x[0-9a-f]+$/i.test(raw)) return parseInt(raw, 16);
  const n = Number(raw);
  if (Number.isNaN(n)) return parseDuration(raw) / 1000;
  return n;
}

function build(n: SyntaxNode, text: string): Expr {
  switch (n.name) {
    case 'ParenExpr':
      return build(n.firstChild!, text);
    case 'NumberDurationLiteral':
      return { kind: 'number', value: numberLiteral(src(n, text)) };
    case 'StringLiteral':
      return { kind: 'string', value: stringValue(src(n, text)) };
    case 'VectorSelector':
      return vectorSelector(n, text);
    case 'MatrixSelector': {
      const [vector, duration] = children(n);
      return { kind: 'matrix', vector: vectorSelector(vector!, text), rangeMs: parseDuration(src(duration!, text)) };
    }
    case 'SubqueryExpr': {
      const [inner, range, step] = children(n);
      return { kind: 'subquery', expr: build(inner!, text), rangeMs: parseDuration(src(range!, text)), stepMs: step === undefined ? null : parseDuration(src(step, text)), offsetMs: 0, at: null };
    }
    case 'OffsetExpr': {
      const [inner, , duration] = children(n);
      const expr = build(inner!, text);
      const offset = src(duration!, text).startsWith('-') ? -parseDuration(src(duration!, text).slice(1)) : parseDuration(src(duration!, text));
      return modify(expr, (target) => {
        if (target.offsetMs !== 0) throw new PromQLError('offset may not be set multiple times');
        target.offsetMs = offset;
      });
    }
    case 'StepInvariantExpr': {
      const [inner, , value] = children(n);
      const expr = build(inner!, text);
      const at: At = value!.name === 'AtModifierPreprocessors' ? (value!.firstChild!.name === 'AtStart' ? 'start' : 'end') : Math.round(numberLiteral(src(value!, text).replace(/^\+/, '')) * 1000);
      return modify(expr, (target) => {
        if (target.at !== null) throw new PromQLError('@ <timestamp> may not be set multiple times');
        target.at = at;
      });
    }
    case 'UnaryExpr': {
      const [op, inner] = children(n);
      return { kind: 'unary', negate: src(op!, text) === '-', expr: build(inner!, text) };
    }
    case 'BinaryExpr':
      return binary(n, text);
    case 'AggregateExpr':
      return aggregate(n, text);
    case 'FunctionCall': {
      const [identifier, body] = children(n);
      const name = src(identifier!, text);
      return { kind: 'call', name: name === 'double_exponential_smoothing' ? 'holt_winters' : name, args: children(body!).map((a) => build(a, text)) };
    }
    default:
      throw new PromQLError(`unsupported expression ${JSON.stringify(src(n, text))} (${n.name})`);
  }
}

/** Applies offset or @ to the selector (or subquery) an OffsetExpr/StepInvariantExpr wraps. */
function modify(expr: Expr, apply: (target: { offsetMs: number; at: At }) => void): Expr {
  if (expr.kind === 'vector' || expr.kind === 'subquery') apply(expr);
  else if (expr.kind === 'matrix') apply(expr.vector);
  // In Prometheus' grammar the modifier binds tighter than any operator: `a > b offset 5m` shifts b only.
  else if (expr.kind === 'binary') modify(expr.rhs, apply);
  else if (expr.kind === 'unary') modify(expr.expr, apply);
  else throw new PromQLError('offset and @ modifiers apply to selectors and subqueries only');
  return expr;
}

function vectorSelector(n: SyntaxNode, text: string): VectorSelector {
  const matchers: LabelMatcher[] = [];
  const name = n.getChild('Identifier');
  if (name !== null) matchers.push({ name: '__name__', type: '=', value: src(name, text) });
  for (const m of children(n.getChild('LabelMatchers') ?? n).filter((c) => c.name.endsWith('LabelMatcher') || c.name === 'QuotedLabelName')) {
    if (m.name === 'QuotedLabelName') {
      matchers.push({ name: '__name__', type: '=', value: stringValue(src(m.firstChild!, text)) });
      continue;
    }
    const label = m.name === 'UnquotedLabelMatcher' ? src(m.getChild('LabelName')!, text) : stringValue(src(m.getChild('QuotedLabelName')!.firstChild!, text));
    const type = MATCH_TYPES[m.getChild('MatchOp')!.firstChild!.name]!;
    const value = stringValue(src(m.getChild('StringLiteral')!, text));
    if (type === '=~' || type === '!~') {
      try {
        new RegExp(`^(?:${value})$`, 's');
      } catch {
        throw new PromQLError(`invalid regular expression ${JSON.stringify(value)} in matcher for label ${JSON.stringify(label)}`);
      }
    }
    matchers.push({ name: label, type, value });
  }
  if (!matchers.some((m) => !matchesEmpty(m))) throw new PromQLError('vector selector must contain at least one non-empty matcher');
  return { kind: 'vector', matchers, offsetMs: 0, at: null };
}

function matchesEmpty(m: LabelMatcher): boolean {
  if (m.type === '=') return m.value === '';
  if (m.type === '!=') return m.value !== '';
  const re = new RegExp(`^(?:${m.value})$`, 's');
  return m.type === '=~' ? re.test('') : !re.test('');
}

function binary(n: SyntaxNode, text: string): BinaryExpr {
  const parts = children(n);
  const opNode = parts.find((p) => BINARY_OPS[p.name] !== undefined)!;
  const op = BINARY_OPS[opNode.name]!;
  const bool = parts.some((p) => p.name === 'BoolModifier');
  const clause = parts.find((p) => p.name === 'MatchingModifierClause');
  let matching: BinaryExpr['matching'] = null;
  if (clause !== undefined) {
    const c = children(clause);
    const groups = c.filter((x) => x.name === 'GroupingLabels');
    const card = c.some((x) => x.name === 'GroupLeft') ? 'many-to-one' : c.some((x) => x.name === 'GroupRight') ? 'one-to-many' : 'one-to-one';
    matching = { on: c.some((x) => x.name === 'On'), labels: labelList(groups[0] ?? null, text), card, include: labelList(groups[1] ?? null, text) };
  }
  const expr: BinaryExpr = { kind: 'binary', op, lhs: build(parts[0]!, text), rhs: build(parts.at(-1)!, text), bool, matching };
  if (bool && !['==', '!=', '>', '<', '>=', '<='].includes(op)) throw new PromQLError('bool modifier can only be used on comparison operators');
  return expr;
}

function aggregate(n: SyntaxNode, text: string): Expr {
  const op = src(n.getChild('AggregateOp')!, text);
  const modifier = n.getChild('AggregateModifier');
  const args = children(n.getChild('FunctionCallBody')!).map((a) => build(a, text));
  const withParam = ['topk', 'bottomk', 'quantile', 'count_values', 'limitk', 'limit_ratio'].includes(op);
  if (args.length !== (withParam ? 2 : 1)) throw new PromQLError(`wrong number of arguments for aggregate expression provided, expected ${withParam ? 2 : 1}, got ${args.length}`);
  return {
    kind: 'aggregate',
    op,
    expr: args.at(-1)!,
    param: withParam ? args[0]! : null,
    grouping: labelList(modifier?.getChild('GroupingLabels') ?? null, text),
    without: modifier?.getChild('Without') !== null && modifier !== null,
  };
}

/** Argument types of each function, the last repeated for variadic ones; and the result type. */
export const FUNCTION_TYPES: Record<string, { args: ValueType[]; optional?: number; variadic?: boolean; returns: ValueType }> = {};
for (const f of ['abs', 'ceil', 'floor', 'exp', 'ln', 'log2', 'log10', 'sqrt', 'sgn', 'acos', 'acosh', 'asin', 'asinh', 'atan', 'atanh', 'cos', 'cosh', 'sin', 'sinh', 'tan', 'tanh', 'deg', 'rad', 'timestamp', 'sort', 'sort_desc', 'absent']) FUNCTION_TYPES[f] = { args: ['vector'], returns: 'vector' };
for (const f of ['rate', 'irate', 'increase', 'delta', 'idelta', 'deriv', 'changes', 'resets', 'avg_over_time', 'min_over_time', 'max_over_time', 'sum_over_time', 'count_over_time', 'last_over_time', 'present_over_time', 'stddev_over_time', 'stdvar_over_time', 'absent_over_time']) FUNCTION_TYPES[f] = { args: ['matrix'], returns: 'vector' };
for (const f of ['day_of_month', 'day_of_week', 'day_of_year', 'days_in_month', 'hour', 'minute', 'month', 'year']) FUNCTION_TYPES[f] = { args: ['vector'], optional: 1, returns: 'vector' };
Object.assign(FUNCTION_TYPES, {
  round: { args: ['vector', 'scalar'], optional: 1, returns: 'vector' },
  clamp: { args: ['vector', 'scalar', 'scalar'], returns: 'vector' },
  clamp_min: { args: ['vector', 'scalar'], returns: 'vector' },
  clamp_max: { args: ['vector', 'scalar'], returns: 'vector' },
  histogram_quantile: { args: ['scalar', 'vector'], returns: 'vector' },
  quantile_over_time: { args: ['scalar', 'matrix'], returns: 'vector' },
  predict_linear: { args: ['matrix', 'scalar'], returns: 'vector' },
  holt_winters: { args: ['matrix', 'scalar', 'scalar'], returns: 'vector' },
  label_replace: { args: ['vector', 'string', 'string', 'string', 'string'], returns: 'vector' },
  label_join: { args: ['vector', 'string', 'string', 'string'], variadic: true, returns: 'vector' },
  scalar: { args: ['vector'], returns: 'scalar' },
  vector: { args: ['scalar'], returns: 'vector' },
  time: { args: [], returns: 'scalar' },
  pi: { args: [], returns: 'scalar' },
});

/** The value type of an expression; a mistyped argument or operand is a PromQLError saying what was expected. */
export function typeOf(e: Expr): ValueType {
  switch (e.kind) {
    case 'number':
      return 'scalar';
    case 'string':
      return 'string';
    case 'vector':
      return 'vector';
    case 'matrix':
      return 'matrix';
    case 'subquery':
      if (typeOf(e.expr) !== 'vector') throw new PromQLError(`subquery is only allowed on instant vector, got ${typeOf(e.expr)}`);
      return 'matrix';
    case 'unary': {
      const t = typeOf(e.expr);
      if (t !== 'scalar' && t !== 'vector') throw new PromQLError(`unary expression only allowed on expressions of type scalar or instant vector, got ${JSON.stringify(t)}`);
      return t;
    }
    case 'binary': {
      const l = typeOf(e.lhs);
      const r = typeOf(e.rhs);
      for (const t of [l, r]) if (t !== 'scalar' && t !== 'vector') throw new PromQLError(`binary expression must contain only scalar and instant vector types`);
      if (['and', 'or', 'unless'].includes(e.op) && (l !== 'vector' || r !== 'vector')) throw new PromQLError(`set operator "${e.op}" not allowed in binary scalar expression`);
      if (['==', '!=', '>', '<', '>=', '<='].includes(e.op) && l === 'scalar' && r === 'scalar' && !e.bool) throw new PromQLError('comparisons between scalars must use BOOL modifier');
      return l === 'scalar' && r === 'scalar' ? 'scalar' : 'vector';
    }
    case 'aggregate':
      if (typeOf(e.expr) !== 'vector') throw new PromQLError(`expected type instant vector in aggregation expression, got ${typeOf(e.expr)}`);
      if (e.param !== null && typeOf(e.param) !== (e.op === 'count_values' ? 'string' : 'scalar')) throw new PromQLError(`expected type ${e.op === 'count_values' ? 'string' : 'scalar'} in aggregation parameter, got ${typeOf(e.param)}`);
      return 'vector';
    case 'call': {
      const spec = FUNCTION_TYPES[e.name];
      if (spec === undefined) throw new PromQLError(`unknown function with name ${JSON.stringify(e.name)}`);
      const min = spec.args.length - (spec.optional ?? 0);
      if (e.args.length < min || (!spec.variadic && e.args.length > spec.args.length)) throw new PromQLError(`expected ${min === spec.args.length ? min : `${min} to ${spec.args.length}`} argument(s) in call to ${JSON.stringify(e.name)}, got ${e.args.length}`);
      e.args.forEach((a, i) => {
        const want = spec.args[Math.min(i, spec.args.length - 1)]!;
        const got = typeOf(a);
        if (got !== want) throw new PromQLError(`expected type ${typeName(want)} in call to function ${JSON.stringify(e.name)}, got ${typeName(got)}`);
      });
      return spec.returns;
    }
  }
}

const typeName = (t: ValueType) => (t === 'vector' ? 'instant vector' : t === 'matrix' ? 'range vector' : t);
