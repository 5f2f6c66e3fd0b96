import { describe, expect, it } from 'vitest';
import type { JaegerSpan, JaegerTrace, LogRecord } from '../src/api/types.ts';
import { buildTraceLogLines, buildTraceSummaries, buildWaterfallData } from '../src/data/buildWaterfallData.ts';

const span = (spanID: string, parent: string | null, processID: string, startTime: number, duration: number, extra: Partial<JaegerSpan> = {}): JaegerSpan => ({
  traceID: 't1',
  spanID,
  operationName: `op-${spanID}`,
  references: parent === null ? [] : [{ refType: 'CHILD_OF', traceID: 't1', spanID: parent }],
  startTime,
  duration,
  tags: [],
  logs: [],
  processID,
  ...extra,
});

// gateway (0-100) → order (10-90) → payment (20-40) and inventory (50-85); a late event consumer (95-99)
const trace: JaegerTrace = {
  traceID: 't1',
  processes: { p1: { serviceName: 'gateway', tags: [] }, p2: { serviceName: 'order', tags: [] }, p3: { serviceName: 'payment', tags: [] }, p4: { serviceName: 'inventory', tags: [] } },
  spans: [
    span('c', 'b', 'p3', 1_000_020, 20, { tags: [{ key: 'otel.status_code', type: 'string', value: 'ERROR' }] }),
    span('a', null, 'p1', 1_000_000, 100),
    span('b', 'a', 'p2', 1_000_010, 80),
    span('d', 'b', 'p4', 1_000_050, 35),
    span('e', 'a', 'p3', 1_000_095, 4),
  ],
};

describe('buildWaterfallData', () => {
  it('orders spans as a tree, children by start time, with depth and offsets from the trace start', () => {
    const w = buildWaterfallData(trace);
    expect(w.rows.map((r) => [r.spanId, r.depth, r.offsetUs, r.service])).toEqual([
      ['a', 0, 0, 'gateway'],
      ['b', 1, 10, 'order'],
      ['c', 2, 20, 'payment'],
      ['d', 2, 50, 'inventory'],
      ['e', 1, 95, 'payment'],
    ]);
    expect(w.durationUs).toBe(100);
    expect(w.services).toEqual(['gateway', 'inventory', 'order', 'payment']);
  });

  it('marks errors and the critical path: the child ending last before the cursor, then the one before it', () => {
    const w = buildWaterfallData(trace);
    expect(w.rows.filter((r) => r.error).map((r) => r.spanId)).toEqual(['c']);
    expect(w.rows.filter((r) => r.critical).map((r) => r.spanId)).toEqual(['a', 'b', 'c', 'd', 'e']);
    const parallel: JaegerTrace = { ...trace, spans: [span('a', null, 'p1', 0, 100), span('x', 'a', 'p2', 10, 80), span('y', 'a', 'p3', 20, 30)] };
    expect(buildWaterfallData(parallel).rows.filter((r) => r.critical).map((r) => r.spanId)).toEqual(['a', 'x']);
  });

  it('leaves out the subtree of a collapsed span', () => {
    expect(buildWaterfallData(trace, new Set(['b'])).rows.map((r) => r.spanId)).toEqual(['a', 'b', 'e']);
  });
});

describe('buildTraceSummaries', () => {
  it('names a trace by its root and counts spans, errors and services', () => {
    expect(buildTraceSummaries([trace])).toEqual([{ traceId: 't1', rootService: 'gateway', rootOperation: 'op-a', startMs: 1000, durationMs: 0.1, spanCount: 5, errorCount: 1, services: ['gateway', 'inventory', 'order', 'payment'] }]);
  });
});

describe('buildTraceLogLines', () => {
  it('puts the lines in time order with their offset and the operation of their span', () => {
    const log = (ns: bigint, spanId: string | null, body: unknown): LogRecord => ({ timestamp: '', timeUnixNano: ns.toString(), serviceName: 'order', severityNumber: 17, severityText: '', body, traceId: 't1', spanId, attributes: {} });
    const lines = buildTraceLogLines([log(1_000_060_000n, 'd', 'reserved'), log(1_000_030_500n, 'c', { msg: 'charge timed out' }), log(1_000_001_000n, 'zz', 'elsewhere')], trace);
    expect(lines.map((l) => [l.offsetMs, l.operation, l.message, l.severity])).toEqual([
      [0.001, null, 'elsewhere', 'ERROR'],
      [0.0305, 'op-c', '{"msg":"charge timed out"}', 'ERROR'],
      [0.06, 'op-d', 'reserved', 'ERROR'],
    ]);
  });
});
