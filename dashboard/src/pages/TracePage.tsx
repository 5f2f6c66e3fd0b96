import { useMemo, useState } from 'react';
import { Link, useParams, useSearchParams } from 'react-router-dom';
import { getTrace, logsOfTrace } from '../api/client.ts';
import { Empty, ErrorBox, Loading } from '../components/States.tsx';
import { buildTraceLogLines, buildWaterfallData, type WaterfallRow } from '../data/buildWaterfallData.ts';
import { formatMicros } from '../data/format.ts';
import { useApi } from '../useApi.ts';

const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#b07aa1', '#76b7b2', '#edc948', '#ff9da7', '#9c755f', '#e15759', '#bab0ac'];

/** One trace: a waterfall of its spans, and beside it every log line of the trace in time order, linked to its span. */
export function TracePage() {
  const { traceId = '' } = useParams();
  const [params, setParams] = useSearchParams();
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(new Set());
  const state = useApi(async () => {
    const [trace, logs] = await Promise.all([getTrace(traceId), logsOfTrace(traceId)]);
    return { trace, logs };
  }, [traceId]);
  const waterfall = useMemo(() => (state.data === null ? null : buildWaterfallData(state.data.trace, collapsed)), [state.data, collapsed]);
  const lines = useMemo(() => (state.data === null ? [] : buildTraceLogLines(state.data.logs, state.data.trace)), [state.data]);
  const selected = params.get('span');
  const select = (spanId: string | null) => {
    const next = new URLSearchParams(params);
    if (spanId === null) next.delete('span');
    else next.set('span', spanId);
    setParams(next, { replace: true });
  };
  const toggle = (spanId: string) => {
    const next = new Set(collapsed);
    if (next.has(spanId)) next.delete(spanId);
    else next.add(spanId);
    setCollapsed(next);
  };
  if (state.error !== null) return <ErrorBox error={state.error} />;
  if (waterfall === null) return <Loading />;
  const color = (service: string) => PALETTE[waterfall.services.indexOf(service) % PALETTE.length]!;
  const span = waterfall.rows.find((r) => r.spanId === selected) ?? null;
  return (
    <section>
      <h1>
        Trace <span className="mono">{waterfall.traceId}</span>
      </h1>
      <p className="muted">
        {waterfall.rows.length} spans across {waterfall.services.join(', ')} · {formatMicros(waterfall.durationUs)} · the critical path is outlined
      </p>
      <div className="trace-layout">
        <div className="waterfall" role="tree" aria-label="Spans">
          {waterfall.rows.map((row) => (
            <SpanRow key={row.spanId} row={row} total={waterfall.durationUs} color={color(row.service)} selected={row.spanId === selected} collapsed={collapsed.has(row.spanId)} onSelect={() => select(row.spanId)} onToggle={() => toggle(row.spanId)} />
          ))}
        </div>
        <aside className="trace-logs" aria-label="Logs of this trace">
          <h2>Logs ({lines.length})</h2>
          {lines.length === 0 && <Empty>No log line carries this trace id.</Empty>}
          <ol>
            {lines.map((l, i) => (
              <li key={i} className={l.spanId !== null && l.spanId === selected ? 'selected' : ''}>
                <span className="mono muted">+{l.offsetMs.toFixed(1)}ms</span> <span className={`sev sev-${l.severity.toLowerCase()}`}>{l.severity}</span> <span style={{ color: color(l.service) }}>{l.service}</span> {l.message}
                {l.spanId !== null && (
                  <button type="button" className="link" onClick={() => select(l.spanId)}>
                    {l.operation ?? 'span'}
                  </button>
                )}
              </li>
            ))}
          </ol>
        </aside>
      </div>
      {span !== null && <SpanDetails row={span} />}
      <p>
        <Link to={`/logs?traceId=${waterfall.traceId}`}>All logs of this trace on the logs page</Link>
      </p>
    </section>
  );
}

function SpanRow(props: { row: WaterfallRow; total: number; color: string; selected: boolean; collapsed: boolean; onSelect: () => void; onToggle: () => void }) {
  const { row, total } = props;
  const left = (row.offsetUs / Math.max(total, 1)) * 100;
  const width = Math.max((row.durationUs / Math.max(total, 1)) * 100, 0.3);
  return (
    <div className={`span-row${props.selected ? ' selected' : ''}`} role="treeitem" aria-level={row.depth + 1} aria-selected={props.selected} aria-expanded={row.childCount > 0 ? !props.collapsed : undefined}>
      <div className="span-label" style={{ paddingLeft: `${row.depth * 14}px` }}>
        {row.childCount > 0 ? (
          <button type="button" className="toggle" aria-label={props.collapsed ? 'Expand' : 'Collapse'} onClick={props.onToggle}>
            {props.collapsed ? '▸' : '▾'}
          </button>
        ) : (
          <span className="toggle" />
        )}
        <button type="button" className="link" onClick={props.onSelect}>
          <span style={{ color: props.color }}>{row.service}</span> {row.operation}
        </button>
        {row.error && <span className="badge bad">error</span>}
      </div>
      <div className="span-track">
        <div className={`span-bar${row.critical ? ' critical' : ''}`} style={{ left: `${left}%`, width: `${width}%`, background: props.color }} title={`${row.operation}: ${formatMicros(row.durationUs)}`} />
        <span className="span-duration">{formatMicros(row.durationUs)}</span>
      </div>
    </div>
  );
}

function SpanDetails({ row }: { row: WaterfallRow }) {
  return (
    <div className="span-details" aria-label="Span details">
      <h2>
        {row.service}: {row.operation} <span className="muted">({formatMicros(row.durationUs)}, starts at +{formatMicros(row.offsetUs)})</span>
      </h2>
      <table className="grid">
        <tbody>
          {row.tags.map((t) => (
            <tr key={t.key}>
              <th>{t.key}</th>
              <td className="mono">{t.value}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {row.events.length > 0 && (
        <>
          <h3>Events</h3>
          <ul>
            {row.events.map((e, i) => (
              <li key={i}>
                +{formatMicros(e.offsetUs)} {e.fields.map((f) => `${f.key}=${f.value}`).join(' ')}
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}
