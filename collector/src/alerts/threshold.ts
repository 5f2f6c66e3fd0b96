import { parser } from '@prometheus-io/lezer-promql';
import { formatG } from './goFormat.ts';

/** The threshold of an alert expression such as `rate(errors[5m]) > 0.05`: the comparison and the number compared with. */
export interface Threshold {
  op: '>' | '<' | '>=' | '<=' | '==' | '!=';
  value: number;
}

const COMPARISONS: Record<string, Threshold['op']> = { Gtr: '>', Lss: '<', Gte: '>=', Lte: '<=', Eql: '==', Neq: '!=' };

/**
 * Finds the threshold of an expression whose outermost operation compares
 * with a number literal (`<query> > 0.05`), with where the literal stands,
 * so a dashboard can show and change it without rewriting the query.
 */
export function findThreshold(expr: string): (Threshold & { from: number; to: number; opFrom: number; opTo: number }) | null {
  let node = parser.parse(expr).topNode.firstChild;
  while (node !== null && node.name === 'ParenExpr') node = node.firstChild;
  if (node === null || node.name !== 'BinaryExpr') return null;
  let op: Threshold['op'] | undefined;
  let opFrom = 0;
  let opTo = 0;
  let rhs = null;
  for (let c = node.firstChild; c !== null; c = c.nextSibling) {
    if (COMPARISONS[c.name] !== undefined) [op, opFrom, opTo] = [COMPARISONS[c.name], c.from, c.to];
    rhs = c;
  }
  if (op === undefined || rhs === null || rhs.name !== 'NumberDurationLiteral') return null;
  const value = Number(expr.slice(rhs.from, rhs.to));
  if (!Number.isFinite(value)) return null;
  return { op, value, from: rhs.from, to: rhs.to, opFrom, opTo };
}

/** The expression with its threshold set to a new value (and comparison, if given); null when it has no threshold to change. */
export function withThreshold(expr: string, value: number, op?: Threshold['op']): string | null {
  const found = findThreshold(expr);
  if (found === null) return null;
  const number = formatG(value, -1).replace('e+', 'e');
  const operator = op ?? found.op;
  return expr.slice(0, found.opFrom) + operator + expr.slice(found.opTo, found.from) + number + expr.slice(found.to);
}
