import { useState } from 'react';
import { Link, useParams } from 'react-router-dom';
import { Bar, BarChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { queryExemplars, queryInstant, queryRange, searchLogs } from '../api/client.ts';
import { AlertOnThis } from '../components/AlertOnThis.tsx';
import { buildLatencyHistogram } from '../data/buildLatencyHistogram.ts';
import type { PromMatrix } from '../api/types.ts';
import { Empty, ErrorBox, Loading } from '../components/States.tsx';
import { TimeSeriesChart } from '../components/TimeSeriesChart.tsx';
import { buildChartData } from '../data/buildChartData.ts';
import { formatClock, formatPercent, formatRate, formatSeconds } from '../data/format.ts';
import { serviceQueries } from '../data/serviceQueries.ts';
import { stepFor, useTimeRange } from '../time.ts';
import { useApi } from '../useApi.ts';

const named = (m: PromMatrix, name: string): PromMatrix => m.map((s) => ({ metric: { series: name }, values: s.values }));

/** One service: requests, errors and latency over time, its operations, its recent error logs and firing alerts. */
export function ServicePage() {
  const { service = '' } = useParams();
  const { range, tick } = useTimeRange();
  const [picked, setPicked] = useState<number | null>(null);
  const q = serviceQueries(service);
  const step = stepFor(range, 120);
  const charts = useApi(async () => {
    const r = (query: string) => queryRange(query, range.startMs, range.endMs, step);
    const window = `${Math.max(60, Math.round((range.endMs - range.startMs) / 1000))}s`;
    const [requests, errors, p50, p95, p99, histogram] = await Promise.all([r(q.requests), r(q.errors), r(q.latency(0.5)), r(q.latency(0.95)), r(q.latency(0.99)), queryInstant(q.histogram(window), range.endMs)]);
    return {
      histogram: buildLatencyHistogram(histogram),
      traffic: buildChartData([...named(requests, 'requests/s'), ...named(errors, 'errors/s')], 'requests/s'),
      latency: buildChartData([...named(p50, 'p50'), ...named(p95, 'p95'), ...named(p99, 'p99')], 'latency', [], 1000),
    };
  }, [service, range.startMs, range.endMs, tick]);
  const details = useApi(async () => {
    const at = range.endMs;
    const [requests, errors, p95, alerts, logs] = await Promise.all([
      queryInstant(q.operations.requests, at),
      queryInstant(q.operations.errors, at),
      queryInstant(q.operations.p95, at),
      queryInstant(q.alerts, at),
      searchLogs({ service, severity: 'error', startMs: range.startMs, endMs: range.endMs, limit: 20 }),
    ]);
    const errorsBy = new Map(errors.map((s) => [s.metric.span_name, Number(s.value[1])]));
    const p95By = new Map(p95.map((s) => [s.metric.span_name, Number(s.value[1])]));
    const operations = requests
      .map((s) => {
        const rate = Number(s.value[1]);
        const name = s.metric.span_name ?? '';
        const p = p95By.get(name);
        return { name, rate, errorRate: rate > 0 ? (errorsBy.get(name) ?? 0) / rate : 0, p95: p !== undefined && Number.isFinite(p) ? p : null };
      })
      .sort((a, b) => b.rate - a.rate);
    return { operations, alerts, logs: logs.data };
  }, [service, range.startMs, range.endMs, tick]);
  // A point of a chart: example traces of this service from that minute.
  const pick = (t: number) => setPicked(t);
  return (
    <section>
      <h1>{service}</h1>
      <p>
        <Link to={`/traces?service=${encodeURIComponent(service)}`}>Traces of {service}</Link> · <Link to={`/logs?service=${encodeURIComponent(service)}`}>Logs of {service}</Link>
      </p>
      {charts.error !== null && <ErrorBox error={charts.error} />}
      {charts.data === null && charts.loading && <Loading />}
      {charts.data !== null && (
        <div className="two-charts">
          <div className="panel">
            <h2>Requests and errors per second</h2>
            <AlertOnThis name={`HighErrorRate_${service.replace(/\W/g, '_')}`} query={q.errorRatio} unit="% errors" scale={100} summary={`${service}: {{ $value | humanizePercentage }} of requests fail`} />
            {charts.data.traffic.rows.length === 0 ? <Empty>No requests of {service} in this time range.</Empty> : <TimeSeriesChart data={charts.data.traffic} unit="/s" label={`Requests and errors of ${service}`} onPick={pick} domain={[range.startMs, range.endMs]} />}
          </div>
          <div className="panel">
            <h2>Latency (ms): click a point for that minute's traces</h2>
            {charts.data.latency.rows.length === 0 ? <Empty>No latency histogram of {service} in this time range.</Empty> : <TimeSeriesChart data={charts.data.latency} unit="ms" label={`Latency of ${service}`} onPick={pick} domain={[range.startMs, range.endMs]} />}
            <AlertOnThis name={`HighLatencyP95_${service.replace(/\W/g, '_')}`} query={q.latency(0.95)} unit="ms p95" scale={1000} summary={`${service}: p95 latency is {{ $value | humanizeDuration }}`} />
          </div>
        </div>
      )}
      {picked !== null && <ExampleTraces service={service} atMs={picked} exemplarQuery={q.exemplars} onClose={() => setPicked(null)} />}
      {charts.data !== null && charts.data.histogram.length > 0 && (
        <div className="panel">
          <h2>Latency distribution over the time range</h2>
          <div role="img" aria-label={`Latency distribution of ${service}`}>
            <ResponsiveContainer width="100%" height={180}>
              <BarChart data={charts.data.histogram} margin={{ top: 8, right: 16, bottom: 4, left: 8 }}>
                <XAxis dataKey="label" />
                <YAxis width={60} />
                <Tooltip />
                <Bar dataKey="count" name="requests" fill="var(--accent)" isAnimationActive={false} />
              </BarChart>
            </ResponsiveContainer>
          </div>
        </div>
      )}
      {details.error !== null && <ErrorBox error={details.error} />}
      {details.data !== null && (
        <>
          {details.data.alerts.length > 0 && (
            <div className="panel">
              <h2>Firing alerts</h2>
              <ul>
                {details.data.alerts.map((a, i) => (
                  <li key={i}>
                    <Link to="/alerts">{a.metric.alertname}</Link> <span className="badge bad">firing</span>
                  </li>
                ))}
              </ul>
            </div>
          )}
          <div className="panel">
            <h2>Operations</h2>
            {details.data.operations.length === 0 ? (
              <Empty>No operation of {service} served requests in the last 5 minutes.</Empty>
            ) : (
              <table className="grid">
                <thead>
                  <tr>
                    <th>Operation</th>
                    <th>Requests</th>
                    <th>Errors</th>
                    <th>p95</th>
                  </tr>
                </thead>
                <tbody>
                  {details.data.operations.map((o) => (
                    <tr key={o.name}>
                      <td>
                        <Link to={`/traces?service=${encodeURIComponent(service)}&operation=${encodeURIComponent(o.name)}`}>{o.name}</Link>
                      </td>
                      <td className="num">{formatRate(o.rate)}</td>
                      <td className={`num${o.errorRate > 0.05 ? ' bad' : ''}`}>{formatPercent(o.errorRate)}</td>
                      <td className="num">{formatSeconds(o.p95)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </div>
          <div className="panel">
            <h2>Recent error logs</h2>
            {details.data.logs.length === 0 ? (
              <Empty>No error log of {service} in this time range.</Empty>
            ) : (
              <ul className="plain">
                {details.data.logs.map((l, i) => (
                  <li key={i}>
                    <span className="mono muted">{l.timestamp.slice(11, 23)}</span> {typeof l.body === 'string' ? l.body : JSON.stringify(l.body)}{' '}
                    {l.traceId !== null && <Link to={`/traces/${l.traceId}`}>trace</Link>}
                  </li>
                ))}
              </ul>
            )}
          </div>
        </>
      )}
    </section>
  );
}

/** Traces of that minute: exemplars of the agent's request-duration histogram where it has them, and a search over the minute. */
function ExampleTraces({ service, atMs, exemplarQuery, onClose }: { service: string; atMs: number; exemplarQuery: string; onClose: () => void }) {
  const [from, to] = [atMs - 30_000, atMs + 30_000];
  const state = useApi(() => queryExemplars(exemplarQuery, from, to), [exemplarQuery, from, to]);
  const exemplars = (state.data ?? []).flatMap((s) => s.exemplars.map((e) => ({ traceId: e.labels.trace_id ?? e.labels.traceID ?? '', seconds: Number(e.value), at: e.timestamp * 1000, route: s.seriesLabels.route ?? s.seriesLabels.http_route ?? '' }))).filter((e) => e.traceId !== '');
  const slowest = [...new Map(exemplars.map((e) => [e.traceId, e])).values()].sort((a, b) => b.seconds - a.seconds).slice(0, 10);
  return (
    <div className="panel example-traces" aria-label="Example traces">
      <h2>
        Traces of {service} around {formatClock(atMs)}{' '}
        <button type="button" className="link" onClick={onClose}>
          close
        </button>
      </h2>
      {state.error !== null && <ErrorBox error={state.error} />}
      {slowest.length > 0 ? (
        <ul className="plain">
          {slowest.map((e) => (
            <li key={e.traceId}>
              <Link to={`/traces/${e.traceId}`}>{e.traceId}</Link> {e.route} <span className="muted">{formatSeconds(e.seconds)} at {formatClock(e.at)}</span>
            </li>
          ))}
        </ul>
      ) : (
        state.data !== null && <p className="muted small">No exemplar of {service} in that minute.</p>
      )}
      <Link to={`/traces?service=${encodeURIComponent(service)}&from=${from}&to=${to}`}>Every trace of {service} in that minute</Link>
    </div>
  );
}

