import { useEffect, useMemo, useState } from 'react';
import { useSearchParams } from 'react-router-dom';

/** Relative ranges the picker offers, by their URL spelling. */
export const RANGES: Record<string, number> = { '5m': 300_000, '15m': 900_000, '1h': 3_600_000, '3h': 10_800_000, '6h': 21_600_000, '12h': 43_200_000, '24h': 86_400_000 };
/** Auto-refresh choices, by their URL spelling; off is 0. */
export const REFRESH: Record<string, number> = { off: 0, '10s': 10_000, '30s': 30_000, '1m': 60_000 };

/** The time range of the page, from the URL: `range=1h` (up to now), or `from`/`to` in Unix ms. */
export interface TimeRange {
  startMs: number;
  endMs: number;
  /** The relative range's name, or null for an absolute range. */
  relative: string | null;
}

/** Reads the time range from URL parameters at `nowMs`. */
export function parseTimeRange(params: URLSearchParams, nowMs: number): TimeRange {
  const from = Number(params.get('from'));
  const to = Number(params.get('to'));
  if (params.has('from') && params.has('to') && Number.isFinite(from) && Number.isFinite(to) && from < to) return { startMs: from, endMs: to, relative: null };
  const range = params.get('range') ?? '1h';
  const ms = RANGES[range] ?? RANGES['1h']!;
  return { startMs: nowMs - ms, endMs: nowMs, relative: RANGES[range] === undefined ? '1h' : range };
}

/**
 * The page's time range and a tick that advances on the auto-refresh
 * interval (`refresh=30s` in the URL; 30 s by default for relative ranges),
 * so data hooks fetch again.
 */
export function useTimeRange(): { range: TimeRange; tick: number } {
  const [params] = useSearchParams();
  const refresh = REFRESH[params.get('refresh') ?? '30s'] ?? 30_000;
  const key = params.toString();
  const [clock, setClock] = useState(() => ({ key, now: Date.now() }));
  useEffect(() => {
    if (refresh === 0 || params.has('from')) return;
    const timer = setInterval(() => setClock({ key, now: Date.now() }), refresh);
    return () => clearInterval(timer);
  }, [refresh, params, key]);
  // A changed URL (another range, another search) reads the clock anew, auto-refresh or not.
  useEffect(() => {
    // eslint-disable-next-line react-hooks/set-state-in-effect -- the clock is outside React: read it when the URL changes
    if (clock.key !== key) setClock({ key, now: Date.now() });
  }, [key, clock.key]);
  // A relative range ends at the last reading, so it moves with the clock.
  const range = useMemo(() => parseTimeRange(params, clock.now), [params, clock.now]);
  return { range, tick: clock.now };
}

/** A step for a range query that gives about `points` points, a whole number of seconds, at least 15 s. */
export function stepFor(range: TimeRange, points = 60): number {
  return Math.max(15_000, Math.ceil((range.endMs - range.startMs) / points / 1000) * 1000);
}
