import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { CartesianGrid, ResponsiveContainer, Scatter, ScatterChart, Tooltip, XAxis, YAxis } from 'recharts';
import { listOperations, listServices, searchTraces } from '../api/client.ts';
import { Empty, ErrorBox, Loading } from '../components/States.tsx';
import { buildTraceSummaries } from '../data/buildWaterfallData.ts';
import { formatClock, formatSeconds } from '../data/format.ts';
import { useTimeRange } from '../time.ts';
import { useApi } from '../useApi.ts';
import { useSearchForm } from '../useSearchForm.ts';

const FIELDS = ['service', 'operation', 'tags', 'minDuration', 'maxDuration', 'limit'] as const;

/** Trace search by service, operation, tags, duration and time: a duration-over-time scatter and a list. */
export function TracesPage() {
  const { range, tick } = useTimeRange();
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const service = params.get('service') ?? '';
  const services = useApi(listServices, []);
  const operations = useApi(() => (service === '' ? Promise.resolve([]) : listOperations(service)), [service]);
  const results = useApi(
    () =>
      service === ''
        ? Promise.resolve(null)
        : searchTraces({
            service,
            operation: params.get('operation') ?? undefined,
            tags: params.get('tags') ?? undefined,
            minDuration: params.get('minDuration') ?? undefined,
            maxDuration: params.get('maxDuration') ?? undefined,
            startMs: range.startMs,
            endMs: range.endMs,
            limit: Number(params.get('limit') ?? 20),
          }).then(buildTraceSummaries),
    [params.toString(), range.startMs, range.endMs, tick],
  );
  const submit = useSearchForm(FIELDS);
  return (
    <section>
      <h1>Traces</h1>
      <form className="search" onSubmit={submit} key={params.toString()}>
        <label>
          Service
          <select name="service" defaultValue={service} aria-label="Service">
            <option value="">choose…</option>
            {(services.data ?? []).map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          Operation
          <select name="operation" defaultValue={params.get('operation') ?? ''} aria-label="Operation">
            <option value="">all</option>
            {(operations.data ?? []).map((o) => (
              <option key={o}>{o}</option>
            ))}
          </select>
        </label>
        <label>
          Tags
          <input name="tags" defaultValue={params.get('tags') ?? ''} placeholder="http.response.status_code=500" />
        </label>
        <label>
          Min duration
          <input name="minDuration" defaultValue={params.get('minDuration') ?? ''} placeholder="250ms" size={7} />
        </label>
        <label>
          Max duration
          <input name="maxDuration" defaultValue={params.get('maxDuration') ?? ''} placeholder="2s" size={7} />
        </label>
        <label>
          Limit
          <input name="limit" type="number" min={1} max={1500} defaultValue={params.get('limit') ?? '20'} size={4} />
        </label>
        <button type="submit">Find traces</button>
      </form>
      {services.error !== null && <ErrorBox error={services.error} />}
      {results.error !== null && <ErrorBox error={results.error} />}
      {service === '' && <Empty>Choose a service to search its traces.</Empty>}
      {service !== '' && results.data === null && results.loading && <Loading />}
      {results.data !== null && results.data.length === 0 && <Empty>No trace of {service} matches in this time range. Widen the range or loosen the filters.</Empty>}
      {results.data !== null && results.data.length > 0 && (
        <>
          <div className="chart" aria-label="Trace durations over time">
            <ResponsiveContainer width="100%" height={180}>
              <ScatterChart margin={{ top: 8, right: 16, bottom: 8, left: 8 }}>
                <CartesianGrid strokeDasharray="3 3" />
                <XAxis dataKey="startMs" type="number" domain={['dataMin', 'dataMax']} tickFormatter={formatClock} name="time" />
                <YAxis dataKey="durationMs" type="number" unit="ms" name="duration" width={70} />
                <Tooltip formatter={(v, name) => (name === 'time' ? formatClock(Number(v)) : `${Number(v).toFixed(1)} ms`)} />
                <Scatter
                  data={results.data}
                  fill="var(--accent)"
                  onClick={(point) => {
                    // The point carries the summary it was drawn from.
                    const traceId = (point as { payload?: { traceId?: string } }).payload?.traceId;
                    if (traceId !== undefined) void navigate(`/traces/${traceId}`);
                  }}
                />
              </ScatterChart>
            </ResponsiveContainer>
          </div>
          <table className="grid">
            <thead>
              <tr>
                <th>Trace</th>
                <th>Started</th>
                <th>Duration</th>
                <th>Spans</th>
                <th>Services</th>
              </tr>
            </thead>
            <tbody>
              {results.data.map((t) => (
                <tr key={t.traceId}>
                  <td>
                    <Link to={`/traces/${t.traceId}`}>
                      {t.rootService}: {t.rootOperation}
                    </Link>
                    {t.errorCount > 0 && <span className="badge bad">{t.errorCount} error{t.errorCount > 1 ? 's' : ''}</span>}
                    <div className="muted mono">{t.traceId}</div>
                  </td>
                  <td>{formatClock(t.startMs)}</td>
                  <td className="num">{formatSeconds(t.durationMs / 1000)}</td>
                  <td className="num">{t.spanCount}</td>
                  <td>{t.services.join(', ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
