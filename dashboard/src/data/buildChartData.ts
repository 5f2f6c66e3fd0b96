import type { PromMatrix } from '../api/types.ts';

/** Rows for a recharts line chart: one per time, one key per series; the series' names in order. */
export interface ChartData {
  rows: Array<Record<string, number>>;
  series: string[];
}

/** A series' name from its labels: the values of the labels that tell series apart, or the query's own name. */
function seriesName(metric: Record<string, string>, fallback: string): string {
  const values = Object.entries(metric)
    .filter(([k]) => k !== '__name__')
    .map(([, v]) => v);
  return values.length === 0 ? fallback : values.join(', ');
}

/**
 * Merges range-query answers into chart rows keyed by time (ms); `compare`
 * (the same query an offset earlier) becomes series named "… (day before)".
 */
export function buildChartData(matrix: PromMatrix, name: string, compare: PromMatrix = [], scale = 1): ChartData {
  const byTime = new Map<number, Record<string, number>>();
  const series: string[] = [];
  const add = (m: PromMatrix, suffix: string) => {
    for (const s of m) {
      const key = `${seriesName(s.metric, name)}${suffix}`;
      if (!series.includes(key)) series.push(key);
      for (const [t, v] of s.values) {
        const ms = Math.round(t * 1000);
        let row = byTime.get(ms);
        if (row === undefined) byTime.set(ms, (row = { t: ms }));
        const value = Number(v) * scale;
        if (Number.isFinite(value)) row[key] = value;
      }
    }
  };
  add(matrix, '');
  add(compare, ' (day before)');
  return { rows: [...byTime.values()].sort((a, b) => a.t! - b.t!), series };
}
