import { useNavigate } from 'react-router-dom';
import { queryRange } from '../api/client.ts';
import { Empty, ErrorBox, Loading } from '../components/States.tsx';
import { TimeSeriesChart } from '../components/TimeSeriesChart.tsx';
import { buildChartData } from '../data/buildChartData.ts';
import { BUSINESS_CHARTS } from '../data/businessCharts.ts';
import { stepFor, useTimeRange } from '../time.ts';
import { useApi } from '../useApi.ts';

/** Order volume, order value and payment success over time, each against the same time one (simulated) day earlier. */
export function BusinessPage() {
  const { range, tick } = useTimeRange();
  const navigate = useNavigate();
  const step = stepFor(range, 120);
  const state = useApi(
    () =>
      Promise.all(
        BUSINESS_CHARTS.map(async (c) => {
          const [now, before] = await Promise.all([
            queryRange(c.query, range.startMs, range.endMs, step),
            c.compare === undefined ? Promise.resolve([]) : queryRange(c.compare, range.startMs, range.endMs, step),
          ]);
          return { chart: c, data: buildChartData(now, c.title, before, c.scale ?? 1) };
        }),
      ),
    [range.startMs, range.endMs, tick],
  );
  return (
    <section>
      <h1>Business</h1>
      {state.error !== null && <ErrorBox error={state.error} />}
      {state.data === null && state.loading && <Loading />}
      {state.data?.map(({ chart, data }) => (
        <div key={chart.title} className="panel">
          <h2>{chart.title}</h2>
          {data.rows.length === 0 ? (
            <Empty>No data for {chart.query} in this time range: the services push their business counters every 15 seconds once they serve requests.</Empty>
          ) : (
            <TimeSeriesChart
              data={data}
              unit={chart.unit}
              label={chart.title}
              domain={[range.startMs, range.endMs]}
              onPick={(t) => void navigate(`/traces?service=${encodeURIComponent(chart.traceService)}&from=${t - 30_000}&to=${t + 30_000}`)}
            />
          )}
        </div>
      ))}
    </section>
  );
}
