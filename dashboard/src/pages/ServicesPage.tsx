import { Link, useSearchParams } from 'react-router-dom';
import { listServices, queryInstant, queryRange } from '../api/client.ts';
import { Sparkline } from '../components/Sparkline.tsx';
import { Empty, ErrorBox, Loading } from '../components/States.tsx';
import { buildServicesData, SERVICE_QUERIES, sortServiceRows, type ServiceRow } from '../data/buildServicesData.ts';
import { formatPercent, formatRate, formatSeconds } from '../data/format.ts';
import { stepFor, useTimeRange } from '../time.ts';
import { useApi } from '../useApi.ts';

type Column = keyof Omit<ServiceRow, 'spark'>;
const COLUMNS: Array<[Column, string]> = [
  ['service', 'Service'],
  ['rate', 'Requests'],
  ['errorRate', 'Errors'],
  ['p50', 'p50'],
  ['p95', 'p95'],
  ['p99', 'p99'],
];

/** Every service that reported, with request rate, error rate and latency quantiles from span metrics. */
export function ServicesPage() {
  const { range, tick } = useTimeRange();
  const [params, setParams] = useSearchParams();
  const state = useApi(async () => {
    const at = range.endMs;
    const [services, rate, errors, p50, p95, p99, rateOverTime] = await Promise.all([
      listServices(),
      queryInstant(SERVICE_QUERIES.rate, at),
      queryInstant(SERVICE_QUERIES.errors, at),
      queryInstant(SERVICE_QUERIES.quantile(0.5), at),
      queryInstant(SERVICE_QUERIES.quantile(0.95), at),
      queryInstant(SERVICE_QUERIES.quantile(0.99), at),
      queryRange(SERVICE_QUERIES.rate, range.startMs, range.endMs, stepFor(range)),
    ]);
    return buildServicesData({ services, rate, errors, p50, p95, p99, rateOverTime });
  }, [range.startMs, range.endMs, tick]);
  const sort = (params.get('sort') ?? 'service') as Column;
  const descending = params.get('dir') === 'desc';
  const sortBy = (column: Column) => {
    const next = new URLSearchParams(params);
    next.set('sort', column);
    next.set('dir', column === sort && !descending ? 'desc' : 'asc');
    setParams(next);
  };
  return (
    <section>
      <h1>Services</h1>
      {state.error !== null && <ErrorBox error={state.error} />}
      {state.data === null && state.loading && <Loading />}
      {state.data !== null && state.data.length === 0 && <Empty>No service has sent spans yet. Add the agent to a service (or run `npm start` for the sample system) and its requests show up here within a minute.</Empty>}
      {state.data !== null && state.data.length > 0 && (
        <table className="grid">
          <thead>
            <tr>
              {COLUMNS.map(([column, title]) => (
                <th key={column} aria-sort={column === sort ? (descending ? 'descending' : 'ascending') : 'none'}>
                  <button type="button" className="link" onClick={() => sortBy(column)}>
                    {title}
                    {column === sort ? (descending ? ' ▼' : ' ▲') : ''}
                  </button>
                </th>
              ))}
              <th>Requests over time</th>
            </tr>
          </thead>
          <tbody>
            {sortServiceRows(state.data, sort, descending).map((row) => (
              <tr key={row.service}>
                <td>
                  <Link to={`/services/${encodeURIComponent(row.service)}`}>{row.service}</Link>
                </td>
                <td className="num">{formatRate(row.rate)}</td>
                <td className={`num${(row.errorRate ?? 0) > 0.05 ? ' bad' : ''}`}>{formatPercent(row.errorRate)}</td>
                <td className="num">{formatSeconds(row.p50)}</td>
                <td className="num">{formatSeconds(row.p95)}</td>
                <td className="num">{formatSeconds(row.p99)}</td>
                <td className="spark-cell">
                  <Sparkline points={row.spark} label={`requests per second of ${row.service}`} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
