import type { LabelMatcher } from '../store/types.ts';
import { PromQLError, parsePromQL, type Expr } from './ast.ts';

export { PromQLError, stringValue } from './ast.ts';

/**
 * The vector selectors of a PromQL expression, each as its label matchers
 * (the metric name as a `__name__` matcher): what /api/v1/query_exemplars
 * needs of a query.
 */
export function selectorsOf(expression: string): LabelMatcher[][] {
  const selectors: LabelMatcher[][] = [];
  const visit = (e: Expr): void => {
    switch (e.kind) {
      case 'vector':
        selectors.push(e.matchers);
        return;
      case 'matrix':
        selectors.push(e.vector.matchers);
        return;
      case 'subquery':
      case 'unary':
        visit(e.expr);
        return;
      case 'binary':
        visit(e.lhs);
        visit(e.rhs);
        return;
      case 'aggregate':
        visit(e.expr);
        if (e.param !== null) visit(e.param);
        return;
      case 'call':
        e.args.forEach(visit);
        return;
      default:
    }
  };
  visit(parsePromQL(expression));
  return selectors;
}

/** One expression that must be a plain series selector (`match[]` of /api/v1/series). */
export function singleSelector(expression: string): LabelMatcher[] {
  const expr = parsePromQL(expression);
  if (expr.kind !== 'vector' || expr.offsetMs !== 0 || expr.at !== null) throw new PromQLError(`expected a series selector such as up{job="api"}, got ${JSON.stringify(expression)}`);
  return expr.matchers;
}
