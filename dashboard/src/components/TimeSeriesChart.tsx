import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { ChartData } from '../data/buildChartData.ts';
import { formatClock } from '../data/format.ts';

const COLORS = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#b07aa1', '#76b7b2', '#edc948'];

/** Lines over time; "(day before)" series dashed; a click on the chart hands on the time under the pointer. */
export function TimeSeriesChart({ data, unit, label, onPick, domain }: { data: ChartData; unit: string; label: string; onPick?: (timeMs: number) => void; domain?: [number, number] }) {
  return (
    <div className="chart" role="img" aria-label={label}>
      <ResponsiveContainer width="100%" height={220}>
        <LineChart
          data={data.rows}
          margin={{ top: 8, right: 16, bottom: 4, left: 8 }}
          onClick={(state) => {
            const t = (state as { activeLabel?: number | string } | null)?.activeLabel;
            if (onPick !== undefined && t !== undefined) onPick(Number(t));
          }}
        >
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="t" type="number" domain={domain ?? ['dataMin', 'dataMax']} tickFormatter={formatClock} scale="time" />
          <YAxis width={60} unit={unit === '%' ? '%' : ''} />
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
