/**
 * A small line of a series over the page's range, drawn as one SVG polyline:
 * an overview of 50 services draws 50 of these, so no chart library per row.
 */
export function Sparkline({ points, label, width = 200, height = 28 }: { points: Array<{ t: number; v: number }>; label: string; width?: number; height?: number }) {
  if (points.length < 2) return <span className="muted">–</span>;
  const [t0, t1] = [points[0]!.t, points[points.length - 1]!.t];
  const max = Math.max(...points.map((p) => p.v), 0);
  const x = (t: number) => (t1 === t0 ? 0 : ((t - t0) / (t1 - t0)) * (width - 2) + 1);
  const y = (v: number) => (max === 0 ? height - 1 : height - 1 - (v / max) * (height - 2));
  return (
    <svg className="sparkline" width={width} height={height} role="img" aria-label={label}>
      <polyline fill="none" stroke="var(--accent)" strokeWidth={1.5} points={points.map((p) => `${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(' ')} />
    </svg>
  );
}
