import { useEffect, useState } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { searchLogs } from '../api/client.ts';
import { Empty, ErrorBox, Loading } from '../components/States.tsx';
import { useTimeRange } from '../time.ts';
import { useApi } from '../useApi.ts';
import { useSearchForm } from '../useSearchForm.ts';

const FIELDS = ['traceId', 'service', 'severity', 'q'] as const;

/** Log search by trace id, service, severity, text and time; a line with a trace id links to its trace. */
export function LogsPage() {
  const { range, tick } = useTimeRange();
  const [params, setParams] = useSearchParams();
  const traceId = params.get('traceId') ?? '';
  // Live tail: the newest lines, fetched again every 2 s.
  const live = params.get('live') === '1';
  const [liveTick, setLiveTick] = useState(0);
  useEffect(() => {
    if (!live) return;
    const timer = setInterval(() => setLiveTick((n) => n + 1), 2000);
    return () => clearInterval(timer);
  }, [live]);
  const state = useApi(
    () =>
      searchLogs({
        traceId: traceId || undefined,
        service: params.get('service') ?? undefined,
        severity: params.get('severity') ?? undefined,
        q: params.get('q') ?? undefined,
        startMs: range.startMs,
        endMs: live ? Date.now() : range.endMs,
        limit: 200,
      }),
    [params.toString(), range.startMs, range.endMs, tick, liveTick],
  );
  const submit = useSearchForm(FIELDS);
  return (
    <section>
      <h1>Logs</h1>
      <form className="search" onSubmit={submit} key={params.toString()}>
        <label>
          Trace id
          <input name="traceId" defaultValue={traceId} size={34} placeholder="paste a trace id" />
        </label>
        <label>
          Service
          <input name="service" defaultValue={params.get('service') ?? ''} size={10} />
        </label>
        <label>
          Severity
          <select name="severity" defaultValue={params.get('severity') ?? ''}>
            <option value="">any</option>
            {['error', 'warn', 'info', 'debug'].map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          Text
          <input name="q" defaultValue={params.get('q') ?? ''} />
        </label>
        <button type="submit">Search</button>
        <label className="inline">
          <input
            type="checkbox"
            checked={live}
            onChange={(e) => {
              const next = new URLSearchParams(params);
              if (e.target.checked) next.set('live', '1');
              else next.delete('live');
              setParams(next);
            }}
          />{' '}
          Live tail
        </label>
      </form>
      {state.error !== null && <ErrorBox error={state.error} />}
      {state.data === null && state.loading && <Loading />}
      {state.data !== null && state.data.data.length === 0 && <Empty>No log line matches{traceId !== '' ? ' this trace id (a trace id finds its lines whatever the time range)' : ' in this time range'}.</Empty>}
      {state.data !== null && state.data.data.length > 0 && (
        <table className="grid logs">
          <thead>
            <tr>
              <th>Time</th>
              <th>Service</th>
              <th>Severity</th>
              <th>Message</th>
              <th>Trace</th>
            </tr>
          </thead>
          <tbody>
            {state.data.data.map((l, i) => (
              <tr key={i}>
                <td className="mono">{l.timestamp.slice(11, 23)}</td>
                <td>{l.serviceName}</td>
                <td className={`sev sev-${(l.severityText || '').toLowerCase()}`}>{l.severityText}</td>
                {/* Rendered as text, never as HTML: a log body is whatever a service wrote. */}
                <td>{typeof l.body === 'string' ? l.body : JSON.stringify(l.body)}</td>
                <td>{l.traceId !== null && <Link to={`/traces/${l.traceId}`}>{l.traceId.slice(0, 8)}…</Link>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
