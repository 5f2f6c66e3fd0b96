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
