import { LABEL_NAME, type Labels } from '../model/metric.ts';
import { PromQLError, type Expr } from './ast.ts';
import { keyWithout, labelsKey, type Run } from './Engine.ts';
import { formatFloat, quantile, welford, type Sample } from './functions.ts';

/** An aggregation (`sum by (...)`, `topk`, `count_values`, ...) at t. */
export function evalAggregate(run: Run, e: Extract<Expr, { kind: 'aggregate' }>, t: number): Sample[] {
  const input = run.vector(e.expr, t);
  const groupLabels = (labels: Labels): Labels => {
    if (e.without) {
      const out: Labels = {};
      for (const [k, v] of Object.entries(labels)) if (k !== '__name__' && !e.grouping.includes(k)) out[k] = v;
      return out;
    }
    const out: Labels = {};
    for (const n of e.grouping) if (labels[n] !== undefined && labels[n] !== '') out[n] = labels[n];
    return out;
  };
  const groups = new Map<string, { labels: Labels; samples: Sample[] }>();
  for (const s of input) {
    // The group's key straight from the sample's labels; its label set is built once per group.
    const key = e.without ? keyWithout(s.labels, e.grouping) : e.grouping.map((n) => s.labels[n] ?? '').join('\xff');
    let g = groups.get(key);
    if (g === undefined) groups.set(key, (g = { labels: groupLabels(s.labels), samples: [] }));
    g.samples.push(s);
  }
  const out: Sample[] = [];
  if (e.op === 'topk' || e.op === 'bottomk') {
    const k = Math.floor(run.scalar(e.param!, t));
    if (k < 1) return [];
    for (const g of groups.values()) {
      const sorted = [...g.samples].sort((a, b) => {
        // NaN sorts last for both.
        if (Number.isNaN(a.value)) return 1;
        if (Number.isNaN(b.value)) return -1;
        return e.op === 'topk' ? b.value - a.value : a.value - b.value;
      });
      for (const s of sorted.slice(0, k)) out.push({ labels: s.labels, value: s.value, t });
    }
    return out;
  }
  if (e.op === 'count_values') {
    const label = (run.eval(e.param!, t) as { value: string }).value;
    if (!LABEL_NAME.test(label)) throw new PromQLError(`invalid label name ${JSON.stringify(label)}`);
    const counts = new Map<string, Sample>();
    for (const s of input) {
      const labels = { ...groupLabels(s.labels), [label]: formatFloat(s.value) };
      const key = labelsKey(labels);
      const c = counts.get(key);
      if (c === undefined) counts.set(key, { labels, value: 1, t });
      else c.value++;
    }
    return [...counts.values()];
  }
  const q = e.op === 'quantile' ? run.scalar(e.param!, t) : NaN;
  for (const g of groups.values()) {
    const values = g.samples.map((s) => s.value);
    let value: number;
    switch (e.op) {
      case 'sum':
        value = values.reduce((a, b) => a + b, 0);
        break;
      case 'avg': {
        let mean = 0;
        let count = 0;
        for (const v of values) {
          count++;
          if (!Number.isFinite(mean) && !Number.isNaN(mean) && (Number.isFinite(v) || (v > 0) === (mean > 0))) continue;
          mean += v / count - mean / count;
        }
        value = mean;
        break;
      }
      case 'count':
        value = values.length;
        break;
      case 'min':
        value = values.reduce((m, v) => (v < m || Number.isNaN(m) ? v : m), values[0]!);
        break;
      case 'max':
        value = values.reduce((m, v) => (v > m || Number.isNaN(m) ? v : m), values[0]!);
        break;
      case 'group':
        value = 1;
        break;
      case 'stddev':
        value = Math.sqrt(welford(values)[1]);
        break;
      case 'stdvar':
        value = welford(values)[1];
        break;
      case 'quantile':
        value = quantile(q, values);
        break;
      default:
        throw new PromQLError(`unsupported aggregation ${JSON.stringify(e.op)}`);
    }
    out.push({ labels: g.labels, value, t });
  }
  return out;
}
