import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { ChartData } from '../data/buildChartData.ts';
import { formatClock } from '../data/format.ts';

/** Where the plot starts (left margin plus the y axis) and how much it leaves on the right, px. */
const PLOT_LEFT = 68;
const PLOT_RIGHT = 16;
const COLORS = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#b07aa1', '#76b7b2', '#edc948'];

/** Lines over time; "(day before)" series dashed; a click on the chart hands on the time under the pointer. */
export function TimeSeriesChart({ data, unit, label, onPick, domain }: { data: ChartData; unit: string; label: string; onPick?: (timeMs: number) => void; domain?: [number, number] }) {
  return (
    <div
      className={`chart${onPick !== undefined ? ' pickable' : ''}`}
      role="img"
      aria-label={label}
      onClick={(e) => {
        if (onPick === undefined) return;
        // The time under the pointer, from where the plot area lies (left margin and y axis, right margin).
        const box = e.currentTarget.getBoundingClientRect();
        const [t0, t1] = domain ?? [data.rows[0]?.t ?? 0, data.rows.at(-1)?.t ?? 0];
        const share = (e.clientX - box.left - PLOT_LEFT) / (box.width - PLOT_LEFT - PLOT_RIGHT);
        if (share >= 0 && share <= 1 && t1 > t0) onPick(Math.round(t0 + share * (t1 - t0)));
      }}
    >
      <ResponsiveContainer width="100%" height={220}>
        <LineChart data={data.rows} margin={{ top: 8, right: PLOT_RIGHT, bottom: 4, left: 8 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="t" type="number" domain={domain ?? ['dataMin', 'dataMax']} tickFormatter={formatClock} scale="time" />
          <YAxis width={PLOT_LEFT - 8} unit={unit === '%' ? '%' : ''} />
          <Tooltip labelFormatter={(t) => formatClock(Number(t))} formatter={(v) => `${Number(v).toPrecision(3)}${unit}`} />
          {data.series.length <= 8 && <Legend />}
          {data.series.map((s, i) => (
            <Line key={s} dataKey={s} type="monotone" dot={false} isAnimationActive={false} stroke={COLORS[(s.endsWith('(day before)') ? data.series.indexOf(s.replace(' (day before)', '')) : i) % COLORS.length]} strokeDasharray={s.endsWith('(day before)') ? '4 3' : undefined} connectNulls />
          ))}
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}
