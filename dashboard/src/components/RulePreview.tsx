import { CartesianGrid, Line, LineChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { alertHistory, queryRange } from '../api/client.ts';
import type { AlertRuleView } from '../api/types.ts';
import { buildChartData } from '../data/buildChartData.ts';
import { formatClock } from '../data/format.ts';
import { useApi } from '../useApi.ts';
import { Empty, ErrorBox, Loading } from './States.tsx';

const PREVIEW_MS = 3 * 3_600_000;
const COLORS = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#b07aa1', '#76b7b2'];

/** The rule's query over the last three hours with the threshold being edited as a line, and what fired when. */
export function RulePreview({ rule, threshold }: { rule: AlertRuleView; threshold: number | null }) {
  const query = rule.threshold?.query ?? rule.expr;
  const state = useApi(async () => {
    const end = Date.now();
    const [matrix, history] = await Promise.all([queryRange(query, end - PREVIEW_MS, end, 60_000), alertHistory(rule.name, 10)]);
    return { chart: buildChartData(matrix, rule.name), history };
  }, [query, rule.name]);
  if (state.error !== null) return <ErrorBox error={state.error} />;
  if (state.data === null) return <Loading />;
  const { chart, history } = state.data;
  return (
    <div className="preview">
      {chart.rows.length === 0 ? (
        <Empty>{query} has no data in the last three hours.</Empty>
      ) : (
        <div role="img" aria-label={`Preview of ${rule.name}`}>
          <ResponsiveContainer width="100%" height={180}>
            <LineChart data={chart.rows} margin={{ top: 8, right: 16, bottom: 4, left: 8 }}>
              <CartesianGrid strokeDasharray="3 3" />
              <XAxis dataKey="t" type="number" domain={['dataMin', 'dataMax']} tickFormatter={formatClock} />
              <YAxis width={60} domain={[0, (max: number) => Math.max(max, threshold ?? 0) * 1.1]} />
              <Tooltip labelFormatter={(t) => formatClock(Number(t))} />
              {chart.series.slice(0, 12).map((s, i) => (
                <Line key={s} dataKey={s} dot={false} isAnimationActive={false} stroke={COLORS[i % COLORS.length]} />
              ))}
              {threshold !== null && <ReferenceLine y={threshold} stroke="var(--bad)" strokeDasharray="6 3" label={{ value: `${rule.threshold?.op ?? ''} ${threshold}`, position: 'insideTopRight' }} />}
            </LineChart>
          </ResponsiveContainer>
        </div>
      )}
      <h3>History</h3>
      {history.length === 0 ? (
        <p className="muted small">Nothing fired, resolved or changed yet.</p>
      ) : (
        <ul className="plain small">
          {history.map((h, i) => (
            <li key={i}>
              <span className="mono">{h.time.replace('T', ' ').slice(0, 19)}</span> {h.kind.replace('_', ' ')}
              {h.user !== undefined && ` by ${h.user}`}
              {h.labels !== undefined && ` ${Object.entries(h.labels).filter(([k]) => k !== 'alertname').map(([k, v]) => `${k}=${v}`).join(' ')}`}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
