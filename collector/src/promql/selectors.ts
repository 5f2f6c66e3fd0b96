import { parser } from '@prometheus-io/lezer-promql';
import type { SyntaxNode } from '@lezer/common';
import type { LabelMatcher } from '../store/types.ts';

/** PromQL that does not parse, or a selector Prometheus refuses; the message says where and why. */
export class PromQLError extends Error {
  override name = 'PromQLError';
}

const MATCH_TYPES: Record<string, LabelMatcher['type']> = { EqlSingle: '=', Neq: '!=', EqlRegex: '=~', NeqRegex: '!~' };

/**
 * The vector selectors of a PromQL expression, each as its label matchers
 * (the metric name as a `__name__` matcher), parsed with Prometheus' own
 * grammar (@prometheus-io/lezer-promql). What /api/v1/series (`match[]`) and
 * /api/v1/query_exemplars (`query`) need of an expression.
 */
export function selectorsOf(expression: string): LabelMatcher[][] {
  if (expression.trim() === '') throw new PromQLError('empty expression');
  const tree = parser.parse(expression);
  // The grammar recovers from errors by inserting error nodes; any of them anywhere refuses the expression.
  let errorAt = -1;
  tree.iterate({
    enter: (ref) => {
      if (errorAt === -1 && ref.type.isError) errorAt = ref.from;
      return errorAt === -1;
    },
  });
  if (errorAt !== -1) {
    throw new PromQLError(`parse error at character ${errorAt + 1}: unexpected ${errorAt < expression.length ? JSON.stringify(expression.slice(errorAt, errorAt + 10)) : 'end of input'}`);
  }
  const selectors: LabelMatcher[][] = [];
  tree.iterate({
    enter: (ref) => {
      if (ref.name !== 'VectorSelector') return undefined;
      selectors.push(selectorMatchers(ref.node, expression));
      return false;
    },
  });
  for (const matchers of selectors) {
    // Prometheus refuses a selector that would match every series.
    if (!matchers.some((m) => !matchesEmpty(m))) throw new PromQLError('vector selector must contain at least one non-empty matcher');
  }
  return selectors;
}

/** One selector expression that must be a plain vector selector (`match[]` of /api/v1/series). */
export function singleSelector(expression: string): LabelMatcher[] {
  const selectors = selectorsOf(expression);
  const tree = parser.parse(expression);
  const top = tree.topNode.firstChild;
  if (selectors.length !== 1 || top?.name !== 'VectorSelector') throw new PromQLError(`expected a series selector such as up{job="api"}, got ${JSON.stringify(expression)}`);
  return selectors[0]!;
}

function selectorMatchers(node: SyntaxNode, text: string): LabelMatcher[] {
  const matchers: LabelMatcher[] = [];
  const name = node.getChild('Identifier');
  if (name !== null) matchers.push({ name: '__name__', type: '=', value: text.slice(name.from, name.to) });
  const block = node.getChild('LabelMatchers');
  for (let m = block?.firstChild ?? null; m !== null; m = m.nextSibling) {
    if (m.name === 'UnquotedLabelMatcher') {
      const label = m.getChild('LabelName')!;
      matchers.push(matcher(text.slice(label.from, label.to), m, text));
    } else if (m.name === 'QuotedLabelMatcher') {
      const quoted = m.getChild('QuotedLabelName')!.getChild('StringLiteral')!;
      matchers.push(matcher(stringValue(text.slice(quoted.from, quoted.to)), m, text));
    } else if (m.name === 'QuotedLabelName') {
      // {"metric.name"}: a quoted metric name on its own (Prometheus 3).
      const quoted = m.getChild('StringLiteral')!;
      matchers.push({ name: '__name__', type: '=', value: stringValue(text.slice(quoted.from, quoted.to)) });
    }
  }
  return matchers;
}

function matcher(name: string, node: SyntaxNode, text: string): LabelMatcher {
  const op = node.getChild('MatchOp')?.firstChild;
  const literal = node.getChild('StringLiteral');
  const type = op === null || op === undefined ? undefined : MATCH_TYPES[op.name];
  if (type === undefined || literal === null) throw new PromQLError(`malformed label matcher ${JSON.stringify(text.slice(node.from, node.to))}`);
  const value = stringValue(text.slice(literal.from, literal.to));
  if (type === '=~' || type === '!~') {
    try {
      new RegExp(`^(?:${value})$`, 's');
    } catch {
      throw new PromQLError(`invalid regular expression ${JSON.stringify(value)} in matcher for label ${JSON.stringify(name)}`);
    }
  }
  return { name, type, value };
}

/** Whether a matcher matches the empty string (an absent label). */
function matchesEmpty(m: LabelMatcher): boolean {
  switch (m.type) {
    case '=':
      return m.value === '';
    case '!=':
      return m.value !== '';
    case '=~':
      return new RegExp(`^(?:${m.value})$`, 's').test('');
    case '!~':
      return !new RegExp(`^(?:${m.value})$`, 's').test('');
  }
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
