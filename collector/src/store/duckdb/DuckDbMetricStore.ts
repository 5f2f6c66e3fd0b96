import { createHash } from 'node:crypto';
import { SerialQueue } from '../../pipeline/SerialQueue.ts';
import type { DuckDBConnection, DuckDBValue, DuckDBVector } from '@duckdb/node-api';
import type { Labels, MetricMetadata, MetricSample, MetricType } from '../../model/metric.ts';
import { STALE_NAN, isStaleNaN } from '../../model/metric.ts';
import type { LabelMatcher, MetricStore, SeriesExemplars, SeriesSamples } from '../types.ts';
import { SqlParams, jsonKeyPath, type SqlReader } from './sqlParams.ts';

// A stale marker is stored as a NULL value, not as its NaN: DuckDB keeps the
// NaN's bits through the appender and its ALP compression, but a bound DOUBLE
// parameter sets the quiet bit, sorting on the column rewrites every NaN to the
// canonical one, and NaN = NaN is true in SQL, so the bits would survive only
// by the luck of the query plan. NULL also keeps markers out of SQL aggregates.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS metric_series (
  series_id UBIGINT NOT NULL,
  metric_name VARCHAR NOT NULL,
  labels VARCHAR NOT NULL  -- JSON object of the labels but __name__, keys sorted, no empty values
);
CREATE TABLE IF NOT EXISTS metric_samples (
  series_id UBIGINT NOT NULL,
  timestamp_ms BIGINT NOT NULL,
  value DOUBLE             -- NULL is Prometheus' stale marker
);
CREATE TABLE IF NOT EXISTS metric_exemplars (
  series_id UBIGINT NOT NULL,
  timestamp_ms BIGINT NOT NULL,
  value DOUBLE NOT NULL,
  labels VARCHAR NOT NULL  -- JSON object of the exemplar's own labels (trace_id, ...)
);
CREATE TABLE IF NOT EXISTS metric_metadata (
  metric_name VARCHAR NOT NULL,
  type VARCHAR NOT NULL,
  help VARCHAR NOT NULL,
  unit VARCHAR NOT NULL
);`;

/** A series' identity: metric name and the canonical JSON of its other labels. */
interface SeriesKey {
  name: string;
  labelsJson: string;
  /** Unique text of the label set, the key of the in-memory series map. */
  key: string;
}

function seriesKey(labels: Labels): SeriesKey {
  const name = labels.__name__ ?? '';
  const sorted: Labels = {};
  for (const k of Object.keys(labels).sort()) {
    const v = labels[k]!;
    // An empty label is an absent label in Prometheus.
    if (k !== '__name__' && v !== '') sorted[k] = v;
  }
  const labelsJson = JSON.stringify(sorted);
  return { name, labelsJson, key: JSON.stringify(name) + labelsJson };
}

/** The series id: the first 8 bytes of the SHA-256 of the label set, stable across restarts and machines. */
function seriesId(key: string): bigint {
  return createHash('sha256').update(key).digest().readBigUInt64BE(0);
}

/** `WHERE` text for the matchers, every value a bound parameter; `__name__` uses the metric_name column so DuckDB can prune. */
function matchersSql(matchers: readonly LabelMatcher[], params: SqlParams): string {
  if (matchers.length === 0) return 'TRUE';
  return matchers
    .map((m) => {
      const column = m.name === '__name__' ? 'metric_name' : `coalesce(json_extract_string(labels, ${params.text(jsonKeyPath(m.name))}), '')`;
      switch (m.type) {
        case '=':
          return `${column} = ${params.text(m.value)}`;
        case '!=':
          return `${column} <> ${params.text(m.value)}`;
        // Anchored and with `.` matching newlines, as Prometheus compiles them; DuckDB's regexes are RE2 like Prometheus'.
        case '=~':
          return `regexp_full_match(${column}, ${params.text(`(?s:${m.value})`)})`;
        case '!~':
          return `NOT regexp_full_match(${column}, ${params.text(`(?s:${m.value})`)})`;
        default:
          throw new Error(`Unknown label matcher type ${JSON.stringify((m as LabelMatcher).type)}`);
      }
    })
    .join(' AND ');
}

/** Metric samples in the embedded DuckDB database: a series table, a sample table and metadata. */
export class DuckDbMetricStore implements MetricStore {
  private readonly write: DuckDBConnection;
  private readonly writes = new SerialQueue();
  private readonly read: SqlReader;
  /** Every stored series by its key, so a series row is written once. */
  private readonly series: Map<string, bigint>;
  /** Stored metadata by metric name, so unchanged metadata costs no write. */
  private readonly metadataByName: Map<string, string>;

  /** Use {@link DuckDbMetricStore.create}; `read` may be a connection or a per-query reader. */
  constructor(write: DuckDBConnection, read: SqlReader, series = new Map<string, bigint>(), metadata = new Map<string, string>()) {
    this.write = write;
    this.read = read;
    this.series = series;
    this.metadataByName = metadata;
  }

  /** Creates the tables if needed and loads the known series and metadata. */
  static async create(write: DuckDBConnection, read: SqlReader): Promise<DuckDbMetricStore> {
    await write.run(SCHEMA);
    const series = new Map<string, bigint>();
    const rows = (await write.runAndReadAll('SELECT series_id, metric_name, labels FROM metric_series')).getRows();
    for (const [id, name, labels] of rows) series.set(JSON.stringify(name) + String(labels), id as bigint);
    const metadata = new Map<string, string>();
    const meta = (await write.runAndReadAll('SELECT metric_name, type, help, unit FROM metric_metadata')).getRows();
    for (const [name, type, help, unit] of meta) metadata.set(String(name), JSON.stringify([type, help, unit]));
    return new DuckDbMetricStore(write, read, series, metadata);
  }

  appendSamples(samples: readonly MetricSample[], metadata: readonly MetricMetadata[] = []): Promise<void> {
    return this.writes.run(() => this.appendSamplesNow(samples, metadata));
  }

  private async appendSamplesNow(samples: readonly MetricSample[], metadata: readonly MetricMetadata[]): Promise<void> {
    if (samples.length === 0 && metadata.length === 0) return;
    const ids = new Array<bigint>(samples.length);
    const added = new Map<string, { id: bigint; name: string; labelsJson: string }>();
    for (let i = 0; i < samples.length; i++) {
      const sample = samples[i]!;
      if (!Number.isFinite(sample.timestampMs)) throw new RangeError(`samples[${i}].timestampMs: expected a finite number, got ${sample.timestampMs}`);
      const k = seriesKey(sample.labels);
      let id = this.series.get(k.key) ?? added.get(k.key)?.id;
      if (id === undefined) {
        id = seriesId(k.key);
        added.set(k.key, { id, name: k.name, labelsJson: k.labelsJson });
      }
      ids[i] = id;
    }
    const changedMetadata = metadata.filter((m) => this.metadataByName.get(m.metric) !== JSON.stringify([m.type, m.help, m.unit]));

    await this.write.run('BEGIN TRANSACTION');
    try {
      if (added.size > 0) {
        const appender = await this.write.createAppender('metric_series');
        try {
          for (const s of added.values()) {
            appender.appendUBigInt(s.id);
            appender.appendVarchar(s.name);
            appender.appendVarchar(s.labelsJson);
            appender.endRow();
          }
          appender.flushSync();
        } finally {
          appender.closeSync();
        }
      }
      if (samples.length > 0) {
        const appender = await this.write.createAppender('metric_samples');
        try {
          for (let i = 0; i < samples.length; i++) {
            const sample = samples[i]!;
            appender.appendUBigInt(ids[i]!);
            appender.appendBigInt(BigInt(Math.trunc(sample.timestampMs)));
            if (sample.stale === true || isStaleNaN(sample.value)) appender.appendNull();
            else appender.appendDouble(sample.value);
            appender.endRow();
          }
          appender.flushSync();
        } finally {
          appender.closeSync();
        }
      }
      const withExemplar = samples.flatMap((sample, i) => (sample.exemplar === undefined ? [] : [i]));
      if (withExemplar.length > 0) {
        const appender = await this.write.createAppender('metric_exemplars');
        try {
          for (const i of withExemplar) {
            const e = samples[i]!.exemplar!;
            appender.appendUBigInt(ids[i]!);
            appender.appendBigInt(BigInt(Math.trunc(e.timestampMs)));
            appender.appendDouble(e.value);
            appender.appendVarchar(JSON.stringify(e.labels));
            appender.endRow();
          }
          appender.flushSync();
        } finally {
          appender.closeSync();
        }
      }
      for (const m of changedMetadata) {
        // Latest wins; metadata changes rarely, so delete-then-insert needs no key constraint.
        await this.write.run('DELETE FROM metric_metadata WHERE metric_name = $1', [m.metric]);
        await this.write.run('INSERT INTO metric_metadata VALUES ($1, $2, $3, $4)', [m.metric, m.type, m.help, m.unit]);
      }
      await this.write.run('COMMIT');
    } catch (error) {
      // The append's error is the one to report; a failed rollback adds nothing to it.
      await this.write.run('ROLLBACK').catch(() => undefined);
      throw error;
    }
    for (const [key, s] of added) this.series.set(key, s.id);
    for (const m of changedMetadata) this.metadataByName.set(m.metric, JSON.stringify([m.type, m.help, m.unit]));
  }

  async selectSeries(matchers: readonly LabelMatcher[], startMs: number, endMs: number): Promise<SeriesSamples[]> {
    const seriesParams = new SqlParams();
    const seriesRows = (
      await this.read.runAndReadAll(
        `SELECT series_id, metric_name, labels FROM metric_series WHERE ${matchersSql(matchers, seriesParams)}`,
        seriesParams.values,
        seriesParams.types,
      )
    ).getRows();
    if (seriesRows.length === 0) return [];
    const found = new Map<bigint, FoundSeries>();
    const all: FoundSeries[] = [];
    for (const [id, name, labels] of seriesRows) {
      const entry: FoundSeries = { sortKey: `${name as string}\u0000${labels as string}`, labels: { __name__: name as string, ...(JSON.parse(labels as string) as Labels) }, timestampsMs: [], values: [], staleAt: [] };
      found.set(id as bigint, entry);
      all.push(entry);
    }
    const params = new SqlParams();
    const where = matchersSql(matchers, params);
    // Read as DuckDB's chunks, whose columns are typed arrays: the series id as two 32-bit halves and the
    // time as DOUBLE (exact below 2^53 ms), so no row costs a BigInt or a boxed value.
    const sql = `SELECT (series_id >> 32)::UINTEGER, (series_id & 4294967295)::UINTEGER, timestamp_ms::DOUBLE, value FROM metric_samples
      WHERE series_id IN (SELECT series_id FROM metric_series WHERE ${where})
        AND timestamp_ms >= ${params.bigint(BigInt(Math.ceil(startMs)))} AND timestamp_ms <= ${params.bigint(BigInt(Math.floor(endMs)))}
      ORDER BY series_id, timestamp_ms`;
    // Rows come ordered by series: the series is looked up when the id changes, not per row.
    let [hi, lo] = [-1, -1];
    let s: FoundSeries | undefined;
    for (const chunk of await this.read.readChunks(sql, params.values, params.types)) {
      const his = numbersOf(chunk.getColumnVector(0), Uint32Array);
      const los = numbersOf(chunk.getColumnVector(1), Uint32Array);
      const times = numbersOf(chunk.getColumnVector(2), Float64Array);
      const valueVector = chunk.getColumnVector(3);
      const values = numbersOf(valueVector, Float64Array);
      // Most chunks have no NULL (stale marker) at all: then no row needs asking.
      const anyNull = hasNulls(valueVector);
      // rowCount asks the native side each time it is read: once per chunk.
      const rows = chunk.rowCount;
      for (let i = 0; i < rows; i++) {
        if (his[i] !== hi || los[i] !== lo) {
          [hi, lo] = [his[i]!, los[i]!];
          // A series written between the two queries is not found; the next query sees it.
          s = found.get((BigInt(hi) << 32n) | BigInt(lo));
        }
        if (s === undefined) continue;
        // A stale marker is stored as NULL; it is handed on flagged, its NaN bits being no safe carrier.
        const stale = anyNull && valueVector.getItem(i) === null;
        if (stale) s.staleAt.push(s.values.length);
        s.timestampsMs.push(times[i]!);
        s.values.push(stale ? STALE_NAN : values[i]!);
      }
    }
    return all
      .filter((f) => f.timestampsMs.length > 0)
      .sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0))
      .map((f) => {
        if (f.staleAt.length === 0) return { labels: f.labels, timestampsMs: f.timestampsMs, values: f.values };
        const stale = new Uint8Array(f.values.length);
        for (const i of f.staleAt) stale[i] = 1;
        return { labels: f.labels, timestampsMs: f.timestampsMs, values: f.values, stale };
      });
  }

  async selectExemplars(matchers: readonly LabelMatcher[], startMs: number, endMs: number): Promise<SeriesExemplars[]> {
    const params = new SqlParams();
    const sql = `SELECT s.metric_name, s.labels, e.timestamp_ms, e.value, e.labels
      FROM metric_exemplars e JOIN metric_series s USING (series_id)
      WHERE e.series_id IN (SELECT series_id FROM metric_series WHERE ${matchersSql(matchers, params)})
        AND e.timestamp_ms >= ${params.bigint(BigInt(Math.ceil(startMs)))} AND e.timestamp_ms <= ${params.bigint(BigInt(Math.floor(endMs)))}
      ORDER BY s.metric_name, s.labels, e.timestamp_ms`;
    const rows = (await this.read.runAndReadAll(sql, params.values, params.types)).getRows();
    const bySeries = new Map<string, SeriesExemplars>();
    for (const [name, labels, time, value, exemplarLabels] of rows) {
      const key = `${name as string}\u0000${labels as string}`;
      let series = bySeries.get(key);
      if (series === undefined) {
        series = { seriesLabels: { __name__: name as string, ...(JSON.parse(labels as string) as Labels) }, exemplars: [] };
        bySeries.set(key, series);
      }
      series.exemplars.push({ labels: JSON.parse(exemplarLabels as string) as Labels, value: value as number, timestampMs: Number(time) });
    }
    return [...bySeries.values()];
  }

  async seriesLabels(): Promise<Labels[]> {
    const rows = (await this.read.runAndReadAll('SELECT metric_name, labels FROM metric_series')).getRows();
    return rows.map(([name, labels]) => ({ __name__: name as string, ...(JSON.parse(labels as string) as Labels) }));
  }

  async labelNames(matchers: readonly LabelMatcher[]): Promise<string[]> {
    const params = new SqlParams();
    const where = matchersSql(matchers, params);
    const sql = `SELECT DISTINCT unnest(json_keys(labels)) FROM metric_series WHERE ${where}
      UNION SELECT '__name__' FROM (SELECT 1 FROM metric_series WHERE ${where} LIMIT 1)`;
    const rows = (await this.read.runAndReadAll(sql, params.values, params.types)).getRows();
    return rows.map((r) => r[0] as string).sort();
  }

  async labelValues(name: string, matchers: readonly LabelMatcher[]): Promise<string[]> {
    const params = new SqlParams();
    const column = name === '__name__' ? 'metric_name' : `json_extract_string(labels, ${params.text(jsonKeyPath(name))})`;
    const sql = `SELECT DISTINCT v FROM (SELECT ${column} AS v FROM metric_series WHERE ${matchersSql(matchers, params)}) WHERE v IS NOT NULL AND v <> ''`;
    const rows = (await this.read.runAndReadAll(sql, params.values, params.types)).getRows();
    return rows.map((r) => r[0] as string).sort();
  }

  async metadata(): Promise<MetricMetadata[]> {
    const rows = (await this.read.runAndReadAll('SELECT metric_name, type, help, unit FROM metric_metadata ORDER BY metric_name')).getRows();
    return rows.map(([metric, type, help, unit]) => ({ metric: metric as string, type: type as MetricType, help: help as string, unit: unit as string }));
  }

  deleteBefore(timeMs: number): Promise<number> {
    return this.writes.run(() => this.deleteBeforeNow(timeMs));
  }

  private async deleteBeforeNow(timeMs: number): Promise<number> {
    const values: DuckDBValue[] = [BigInt(Math.floor(timeMs))];
    await this.write.run('BEGIN TRANSACTION');
    let deleted: number;
    let gone: DuckDBValue[][];
    try {
      deleted = (await this.write.run('DELETE FROM metric_samples WHERE timestamp_ms < $1', values)).rowsChanged;
      await this.write.run('DELETE FROM metric_exemplars WHERE timestamp_ms < $1', values);
      // Series left without samples go too, as Prometheus forgets them after retention.
      gone = deleted === 0 ? [] : (await this.write.runAndReadAll(
        'DELETE FROM metric_series WHERE series_id NOT IN (SELECT DISTINCT series_id FROM metric_samples) RETURNING metric_name, labels',
      )).getRows();
      await this.write.run('COMMIT');
    } catch (error) {
      await this.write.run('ROLLBACK').catch(() => undefined);
      throw error;
    }
    for (const [name, labels] of gone) this.series.delete(JSON.stringify(name) + String(labels));
    return deleted;
  }
}

/**
 * A numeric column of a chunk as its typed array: the vector's own `items`
 * (the client keeps them as a typed array over DuckDB's memory, though its
 * types call them private), or a copy made through `getItem` should a
 * client version keep them otherwise. NULL rows hold arbitrary numbers.
 */
function numbersOf<T extends Float64Array | Uint32Array>(vector: DuckDBVector, type: { new (length: number): T }): T {
  const items = (vector as unknown as { items?: unknown }).items;
  if (items instanceof type) return items as T;
  const copy = new type(vector.itemCount);
  for (let i = 0; i < vector.itemCount; i++) copy[i] = Number(vector.getItem(i) ?? NaN);
  return copy;
}

/** A series being read. */
interface FoundSeries {
  sortKey: string;
  labels: Labels;
  timestampsMs: number[];
  values: number[];
  staleAt: number[];
}

/** False when the vector has no NULL (DuckDB leaves out the validity mask then); true when it may have. */
function hasNulls(vector: DuckDBVector): boolean {
  const validity = (vector as unknown as { validity?: { data?: unknown } }).validity;
  return validity === undefined || (validity.data !== null && validity.data !== undefined);
}
