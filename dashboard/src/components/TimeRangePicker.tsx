import { useSearchParams } from 'react-router-dom';
import { RANGES, REFRESH } from '../time.ts';

/** Relative range and auto-refresh, kept in the URL so a link reproduces the view. */
export function TimeRangePicker() {
  const [params, setParams] = useSearchParams();
  const set = (key: string, value: string) => {
    const next = new URLSearchParams(params);
    next.set(key, value);
    if (key === 'range') {
      next.delete('from');
      next.delete('to');
    }
    setParams(next);
  };
  const absolute = params.has('from') && params.has('to');
  // datetime-local speaks local time without a zone: converted to and from Unix ms here.
  const local = (ms: number) => new Date(ms - new Date(ms).getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
  const setAbsolute = (key: 'from' | 'to', text: string) => {
    const ms = new Date(text).getTime();
    if (!Number.isFinite(ms)) return;
    const next = new URLSearchParams(params);
    const now = Date.now();
    const span = RANGES[params.get('range') ?? '1h'] ?? 3_600_000;
    next.set('from', params.get('from') ?? String(now - span));
    next.set('to', params.get('to') ?? String(now));
    next.set(key, String(ms));
    setParams(next);
  };
  const from = Number(params.get('from') ?? 0);
  const to = Number(params.get('to') ?? 0);
  return (
    <div className="picker">
      <label>
        Last{' '}
        <select aria-label="Time range" value={absolute ? '' : (params.get('range') ?? '1h')} onChange={(e) => set('range', e.target.value)}>
          {absolute && <option value="">custom</option>}
          {Object.keys(RANGES).map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
      </label>
      <label>
        From <input type="datetime-local" aria-label="From" value={absolute ? local(from) : ''} onChange={(e) => setAbsolute('from', e.target.value)} />
      </label>
      <label>
        To <input type="datetime-local" aria-label="To" value={absolute ? local(to) : ''} onChange={(e) => setAbsolute('to', e.target.value)} />
      </label>
      <label>
        Refresh{' '}
        <select aria-label="Auto-refresh" value={params.get('refresh') ?? '30s'} onChange={(e) => set('refresh', e.target.value)}>
          {Object.keys(REFRESH).map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
      </label>
    </div>
  );
}
