import { Line, LineChart, ResponsiveContainer, YAxis } from 'recharts';

/** A small line of a series over the page's range. */
export function Sparkline({ points, label }: { points: Array<{ t: number; v: number }>; label: string }) {
  if (points.length < 2) return <span className="muted">–</span>;
  return (
    <div className="sparkline" role="img" aria-label={label}>
      <ResponsiveContainer width="100%" height={28}>
        <LineChart data={points} margin={{ top: 2, bottom: 2, left: 0, right: 0 }}>
          <YAxis hide domain={[0, 'auto']} />
          <Line type="monotone" dataKey="v" dot={false} strokeWidth={1.5} stroke="var(--accent)" isAnimationActive={false} />
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}
