import { LABEL_NAME, type Labels } from '../model/metric.ts';
import { PromQLError, type Expr } from './ast.ts';
import type { Run, Value } from './Engine.ts';
import { DATE, MATH, OVER_TIME, bucketOf, bucketQuantile, dropName, expandTemplate, extrapolatedRate, instantValue, linearRegression, quantile, type Sample } from './functions.ts';

/** A function call at t. */
export function evalCall(run: Run, e: Extract<Expr, { kind: 'call' }>, t: number): Value {
  const name = e.name;
  const vec = (samples: Sample[]): Value => ({ type: 'vector', samples });
  const map = (f: (v: number) => number, keepName = false) => vec(run.vector(e.args[0]!, t).map((s) => ({ labels: keepName ? s.labels : dropName(s.labels), value: f(s.value), t })));
  if (MATH[name] !== undefined) return map(MATH[name]);
  if (OVER_TIME[name] !== undefined) {
    const { series } = run.matrix(e.args[0]!, t);
    const out: Sample[] = [];
    for (const s of series) {
      const v = OVER_TIME[name](s);
      if (v !== null) out.push({ labels: name === 'last_over_time' ? s.labels : dropName(s.labels), value: v, t });
    }
    return vec(out);
  }
  switch (name) {
    case 'rate':
    case 'increase':
    case 'delta': {
      const m = run.matrix(e.args[0]!, t);
      const out: Sample[] = [];
      for (const s of m.series) {
        const v = extrapolatedRate(s, m, name !== 'delta', name === 'rate');
        if (v !== null) out.push({ labels: dropName(s.labels), value: v, t });
      }
      return vec(out);
    }
    case 'irate':
    case 'idelta': {
      const out: Sample[] = [];
      for (const s of run.matrix(e.args[0]!, t).series) {
        const v = instantValue(s, name === 'irate');
        if (v !== null) out.push({ labels: dropName(s.labels), value: v, t });
      }
      return vec(out);
    }
    case 'deriv':
    case 'predict_linear': {
      const m = run.matrix(e.args[0]!, t);
      const ahead = name === 'predict_linear' ? run.scalar(e.args[1]!, t) : 0;
      const out: Sample[] = [];
      for (const s of m.series) {
        if (s.v.length < 2) continue;
        // deriv: the slope from the first point; predict_linear: the line through the evaluation time.
        const [slope, intercept] = linearRegression(s, name === 'deriv' ? s.t[0]! : t);
        out.push({ labels: dropName(s.labels), value: name === 'deriv' ? slope : slope * ahead + intercept, t });
      }
      return vec(out);
    }
    case 'quantile_over_time': {
      const q = run.scalar(e.args[0]!, t);
      return vec(run.matrix(e.args[1]!, t).series.map((s) => ({ labels: dropName(s.labels), value: quantile(q, s.v), t })));
    }
    case 'holt_winters': {
      const sf = run.scalar(e.args[1]!, t);
      const tf = run.scalar(e.args[2]!, t);
      if (sf <= 0 || sf >= 1) throw new PromQLError(`invalid smoothing factor. Expected: 0 < sf < 1, got: ${sf}`);
      if (tf <= 0 || tf >= 1) throw new PromQLError(`invalid trend factor. Expected: 0 < tf < 1, got: ${tf}`);
      const out: Sample[] = [];
      for (const s of run.matrix(e.args[0]!, t).series) {
        if (s.v.length < 2) continue;
        // Prometheus 2.42's double exponential smoothing (funcHoltWinters), step for step.
        let s0 = 0;
        let s1 = s.v[0]!;
        let trend = s.v[1]! - s.v[0]!;
        for (let i = 1; i < s.v.length; i++) {
          const x = sf * s.v[i]!;
          if (i - 1 !== 0) trend = tf * (s1 - s0) + (1 - tf) * trend;
          const y = (1 - sf) * (s1 + trend);
          s0 = s1;
          s1 = x + y;
        }
        out.push({ labels: dropName(s.labels), value: s1, t });
      }
      return vec(out);
    }
    case 'absent_over_time':
    case 'absent': {
      const present = name === 'absent' ? run.vector(e.args[0]!, t).length > 0 : run.matrix(e.args[0]!, t).series.length > 0;
      if (present) return vec([]);
      const arg = e.args[0]!;
      const selector = arg.kind === 'vector' ? arg : arg.kind === 'matrix' ? arg.vector : null;
      const labels: Labels = {};
      if (selector !== null) {
        const counts = new Map<string, number>();
        for (const m of selector.matchers) counts.set(m.name, (counts.get(m.name) ?? 0) + 1);
        for (const m of selector.matchers) if (m.type === '=' && m.name !== '__name__' && counts.get(m.name) === 1) labels[m.name] = m.value;
      }
      return vec([{ labels, value: 1, t }]);
    }
    case 'histogram_quantile': {
      const q = run.scalar(e.args[0]!, t);
      const groups = new Map<string, { labels: Labels; buckets: Array<{ upperBound: number; count: number }> }>();
      for (const s of run.vector(e.args[1]!, t)) {
        const b = bucketOf(s.labels);
        if (b === null) continue;
        let g = groups.get(b.key);
        if (g === undefined) groups.set(b.key, (g = { labels: b.histogram, buckets: [] }));
        g.buckets.push({ upperBound: b.le, count: s.value });
      }
      return vec([...groups.values()].map((g) => ({ labels: g.labels, value: bucketQuantile(q, g.buckets), t })));
    }
    case 'round': {
      const to = e.args[1] === undefined ? 1 : run.scalar(e.args[1], t);
      const inverse = 1 / to;
      return map((v) => Math.floor(v * inverse + 0.5) / inverse);
    }
    case 'clamp':
    case 'clamp_min':
    case 'clamp_max': {
      const lo = name === 'clamp_max' ? -Infinity : run.scalar(e.args[1]!, t);
      const hi = name === 'clamp' ? run.scalar(e.args[2]!, t) : name === 'clamp_max' ? run.scalar(e.args[1]!, t) : Infinity;
      if (name === 'clamp' && hi < lo) return vec([]);
      return map((v) => (Number.isNaN(v) ? v : Math.max(lo, Math.min(hi, v))));
    }
    case 'timestamp':
      return vec(run.vector(e.args[0]!, t).map((s) => ({ labels: dropName(s.labels), value: s.t / 1000, t })));
    case 'sort':
    case 'sort_desc': {
      const samples = [...run.vector(e.args[0]!, t)].sort((a, b) => (name === 'sort' ? a.value - b.value : b.value - a.value));
      return vec(samples);
    }
    case 'label_replace': {
      const [dst, replacement, src, regex] = e.args.slice(1).map((a) => (run.eval(a, t) as { value: string }).value) as [string, string, string, string];
      let re: RegExp;
      try {
        re = new RegExp(`^(?:${regex})$`, 's');
      } catch {
        throw new PromQLError(`invalid regular expression in label_replace(): ${regex}`);
      }
      if (!LABEL_NAME.test(dst)) throw new PromQLError(`invalid destination label name in label_replace(): ${dst}`);
      const out = run.vector(e.args[0]!, t).map((s) => {
        const match = re.exec(s.labels[src] ?? '');
        if (match === null) return s;
        const value = expandTemplate(replacement, match);
        const labels = { ...s.labels };
        if (value === '') delete labels[dst];
        else labels[dst] = value;
        return { ...s, labels };
      });
      return vec(out);
    }
    case 'label_join': {
      const [dst, separator, ...sources] = e.args.slice(1).map((a) => (run.eval(a, t) as { value: string }).value) as [string, string, ...string[]];
      return vec(run.vector(e.args[0]!, t).map((s) => {
        const value = sources.map((n) => s.labels[n] ?? '').join(separator);
        const labels = { ...s.labels };
        if (value === '') delete labels[dst];
        else labels[dst] = value;
        return { ...s, labels };
      }));
    }
    case 'scalar': {
      const v = run.vector(e.args[0]!, t);
      return { type: 'scalar', value: v.length === 1 ? v[0]!.value : NaN };
    }
    case 'vector':
      return vec([{ labels: {}, value: run.scalar(e.args[0]!, t), t }]);
    case 'time':
      return { type: 'scalar', value: t / 1000 };
    case 'pi':
      return { type: 'scalar', value: Math.PI };
    default:
      if (DATE[name] !== undefined) {
        const samples = e.args.length === 0 ? [{ labels: {}, value: t / 1000, t }] : run.vector(e.args[0]!, t);
        return vec(samples.map((s) => ({ labels: dropName(s.labels), value: DATE[name]!(new Date(s.value * 1000)), t })));
      }
      throw new PromQLError(`unknown function ${JSON.stringify(name)}`);
  }
}
