/** Numbers as the dashboard writes them. */

/** Seconds as a short duration: 850µs, 12.3ms, 1.25s. */
export function formatSeconds(s: number | null): string {
  if (s === null) return '–';
  if (s < 0.001) return `${(s * 1e6).toFixed(0)}µs`;
  if (s < 1) return `${trimZeros((s * 1000).toPrecision(3))}ms`;
  return `${trimZeros(s.toPrecision(3))}s`;
}

/** "12.50" → "12.5", "100" stays "100", "2.00" → "2". */
function trimZeros(text: string): string {
  return text.includes('.') ? text.replace(/0+$/, '').replace(/\.$/, '') : text;
}

/** Microseconds as a short duration. */
export function formatMicros(us: number): string {
  return formatSeconds(us / 1e6);
}

/** A rate per second with two to three significant digits. */
export function formatRate(r: number | null): string {
  if (r === null) return '–';
  if (r === 0) return '0/s';
  return `${r >= 100 ? r.toFixed(0) : r.toPrecision(2)}/s`;
}

/** A share (0..1) as a percentage. */
export function formatPercent(p: number | null): string {
  if (p === null) return '–';
  if (p === 0) return '0%';
  return `${(p * 100).toPrecision(2)}%`;
}

/** A Unix-ms time as local HH:MM:SS. */
export function formatClock(ms: number): string {
  return new Date(ms).toLocaleTimeString([], { hour12: false });
}
