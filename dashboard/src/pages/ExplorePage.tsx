import { useCallback, useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import { queryInstant, queryRange } from '../api/client.ts';
import { PromQLEditor } from '../components/PromQLEditor.tsx';
import { Empty, ErrorBox, Loading } from '../components/States.tsx';
import { TimeSeriesChart } from '../components/TimeSeriesChart.tsx';
import { buildChartData } from '../data/buildChartData.ts';
import { stepFor, useTimeRange } from '../time.ts';
import { useApi } from '../useApi.ts';

/** A PromQL box with completion and syntax errors, a chart of the query over the time range and a table of its value now; the query lives in the URL. */
export function ExplorePage() {
  const { range, tick } = useTimeRange();
  const [params, setParams] = useSearchParams();
  const query = params.get('q') ?? '';
  const [draft, setDraft] = useState(query);
  const run = useCallback(
    (q: string) => {
      const next = new URLSearchParams(params);
      if (q.trim() === '') next.delete('q');
      else next.set('q', q.trim());
      setParams(next);
    },
    [params, setParams],
  );
  const state = useApi(async () => {
    if (query === '') return null;
    const [matrix, vector] = await Promise.all([queryRange(query, range.startMs, range.endMs, stepFor(range, 200)), queryInstant(query, range.endMs)]);
    return { chart: buildChartData(matrix, query), vector };
  }, [query, range.startMs, range.endMs, tick]);
  return (
    <section>
      <h1>Explore</h1>
      <div className="explore-bar">
        <PromQLEditor value={query} onRun={run} onChange={setDraft} />
        <button type="button" onClick={() => run(draft)}>
          Run
        </button>
      </div>
      <p className="muted small">Ctrl-Enter runs the query. Completion knows PromQL's functions and the collector's metric names and labels.</p>
      {state.error !== null && <ErrorBox error={state.error} />}
      {query === '' && <Empty>Type a PromQL expression and run it: its series over the time range are charted, and its value now listed.</Empty>}
      {query !== '' && state.data === null && state.loading && <Loading />}
      {state.data !== null && state.data.chart.rows.length === 0 && <Empty>The query returns no series in this time range.</Empty>}
      {state.data !== null && state.data.chart.rows.length > 0 && (
        <>
          <TimeSeriesChart data={state.data.chart} unit="" label={`Chart of ${query}`} domain={[range.startMs, range.endMs]} />
          <table className="grid">
            <thead>
              <tr>
                <th>Series</th>
                <th>Value now</th>
              </tr>
            </thead>
            <tbody>
              {state.data.vector.map((s, i) => (
                <tr key={i}>
                  <td className="mono">
                    {s.metric.__name__ ?? ''}
                    {`{${Object.entries(s.metric)
                      .filter(([k]) => k !== '__name__')
                      .map(([k, v]) => `${k}="${v}"`)
                      .join(', ')}}`}
                  </td>
                  <td className="num">{s.value[1]}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
