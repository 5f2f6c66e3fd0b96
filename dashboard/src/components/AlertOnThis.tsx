import { useState, type FormEvent } from 'react';
import { Link } from 'react-router-dom';
import { ApiError, createAlertRule } from '../api/client.ts';

/**
 * "Alert on this": a rule made from a chart's query and a threshold, added to
 * the `dashboard` rule group (saved in the first rule file, applied at once).
 */
export function AlertOnThis({ name, query, unit, scale, summary }: { name: string; query: string; unit: string; scale: number; summary: string }) {
  const [threshold, setThreshold] = useState('');
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const value = Number(threshold);
    if (threshold.trim() === '' || !Number.isFinite(value)) {
      setResult({ ok: false, text: `threshold: expected a number, got ${JSON.stringify(threshold)}` });
      return;
    }
    createAlertRule('dashboard', { alert: name, expr: `${query} > ${value / scale}`, for: '5m', labels: { severity: 'warning' }, annotations: { summary } }).then(
      () => setResult({ ok: true, text: `${name} created` }),
      (error: unknown) => setResult({ ok: false, text: error instanceof ApiError && error.problems.length > 0 ? error.problems.map((p) => `${p.field}: ${p.message}`).join('; ') : (error as Error).message }),
    );
  };
  return (
    <form className="alert-on-this" onSubmit={submit} aria-label={`Alert on ${name}`}>
      <label>
        Alert above <input value={threshold} onChange={(e) => setThreshold(e.target.value)} size={6} aria-label={`Threshold for ${name}`} /> {unit}
      </label>
      <button type="submit">Alert on this</button>
      {result !== null && (
        <span className={result.ok ? 'small' : 'bad small'} role={result.ok ? 'status' : 'alert'}>
          {result.text}
          {result.ok && (
            <>
              {' '}
              — <Link to="/alerts">Alerts</Link>
            </>
          )}
        </span>
      )}
    </form>
  );
}
