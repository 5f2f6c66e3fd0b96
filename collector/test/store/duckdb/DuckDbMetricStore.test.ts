/**
 * The embedded metric store on a real DuckDB file: series, samples, matchers,
 * label APIs, metadata, retention and reopening.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MetricSample } from '../../../src/model/metric.ts';
import { STALE_NAN } from '../../../src/model/metric.ts';
import { isStaleAt } from '../../../src/store/types.ts';
import { PerQueryReader } from '../../../src/store/duckdb/PerQueryReader.ts';
import { DuckDbMetricStore } from '../../../src/store/duckdb/DuckDbMetricStore.ts';
import type { LabelMatcher } from '../../../src/store/types.ts';

interface Opened {
  instance: DuckDBInstance;
  write: DuckDBConnection;
  read: DuckDBConnection;
  store: DuckDbMetricStore;
}

let dir: string;
let file: string;
let db: Opened;

async function open(): Promise<Opened> {
  const instance = await DuckDBInstance.create(file);
  const write = await instance.connect();
  const read = await instance.connect();
  return { instance, write, read, store: await DuckDbMetricStore.create(write, new PerQueryReader(instance)) };
}

function close(o: Opened): void {
  o.write.closeSync();
  o.read.closeSync();
  o.instance.closeSync();
}

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mirador-metrics-'));
  file = path.join(dir, 'test.duckdb');
  db = await open();
});
afterEach(() => {
  close(db);
  fs.rmSync(dir, { recursive: true, force: true });
});

function sample(name: string, labels: Record<string, string>, timestampMs: number, value: number): MetricSample {
  return { labels: { __name__: name, ...labels }, timestampMs, value };
}

const m = (name: string, type: LabelMatcher['type'], value: string): LabelMatcher => ({ name, type, value });

/** Three series of two metrics, two samples each at t=1000 and t=2000. */
async function seed(): Promise<void> {
  const samples: MetricSample[] = [];
  for (const t of [1000, 2000]) {
    samples.push(sample('http_requests_total', { job: 'order', code: '200' }, t, t / 10));
    samples.push(sample('http_requests_total', { job: 'order', code: '500' }, t, t / 100));
    samples.push(sample('queue_depth', { job: 'payment', queue: 'orders' }, t, 7));
  }
  await db.store.appendSamples(samples);
}

function describeSeries(result: Awaited<ReturnType<DuckDbMetricStore['selectSeries']>>): string[] {
  return result.map((s) => `${s.labels.__name__}{${Object.entries(s.labels).filter(([k]) => k !== '__name__').map(([k, v]) => `${k}=${v}`).join(',')}}`);
}

describe('DuckDbMetricStore', () => {
  describe('appendSamples and selectSeries', () => {
    it('returns each series with its labels and its samples in the range, oldest first', async () => {
      await seed();
      const result = await db.store.selectSeries([m('__name__', '=', 'http_requests_total'), m('code', '=', '200')], 0, 5000);
      expect(result).toEqual([{ labels: { __name__: 'http_requests_total', code: '200', job: 'order' }, timestampsMs: [1000, 2000], values: [100, 200] }]);
    });

    it('limits samples to [startMs, endMs] inclusive and leaves out series without samples there', async () => {
      await seed();
      await db.store.appendSamples([sample('late_metric', {}, 9000, 1)]);
      const result = await db.store.selectSeries([m('job', '=', 'order')], 2000, 2000);
      expect(result.map((s) => s.timestampsMs)).toEqual([[2000], [2000]]);
      expect(await db.store.selectSeries([m('__name__', '=', 'late_metric')], 0, 8999)).toEqual([]);
    });

    it('writes a series once however many samples and calls it gets', async () => {
      await seed();
      await seed();
      const count = (await db.read.runAndReadAll('SELECT count(*) FROM metric_series')).getRows()[0]![0];
      expect(count).toBe(3n);
    });

    it('treats an empty label value as an absent label, as Prometheus does', async () => {
      await db.store.appendSamples([sample('up', { job: 'a', instance: '' }, 1000, 1), sample('up', { job: 'a' }, 2000, 1)]);
      const result = await db.store.selectSeries([m('instance', '=', '')], 0, 5000);
      expect(result).toEqual([{ labels: { __name__: 'up', job: 'a' }, timestampsMs: [1000, 2000], values: [1, 1] }]);
    });

    it('flags stale markers (by their bits or their flag) and tells them from other NaNs', async () => {
      await db.store.appendSamples([sample('g', {}, 1000, 1), sample('g', {}, 2000, STALE_NAN), sample('g', {}, 3000, NaN), { ...sample('g', {}, 4000, NaN), stale: true }]);
      const [series] = await db.store.selectSeries([m('__name__', '=', 'g')], 0, 5000);
      expect(series!.values.map((_v, i) => isStaleAt(series!, i))).toEqual([false, true, false, true]);
      expect(series!.values.map((v) => Number.isNaN(v))).toEqual([false, true, true, true]);
    });
  });

  describe('selectSeries matchers', () => {
    it.each([
      ['= on a label', [m('code', '=', '500')], ['http_requests_total{code=500,job=order}']],
      ['!= on a label, matching series without it', [m('code', '!=', '500')], ['http_requests_total{code=200,job=order}', 'queue_depth{job=payment,queue=orders}']],
      ['=~ fully anchored', [m('code', '=~', '5..')], ['http_requests_total{code=500,job=order}']],
      ['=~ does not match a substring', [m('code', '=~', '0')], []],
      ['=~ with RE2 inline flags', [m('job', '=~', '(?i)ORDER')], ['http_requests_total{code=200,job=order}', 'http_requests_total{code=500,job=order}']],
      ['!~ on a label', [m('code', '!~', '2.*')], ['http_requests_total{code=500,job=order}', 'queue_depth{job=payment,queue=orders}']],
      ['= on __name__', [m('__name__', '=', 'queue_depth')], ['queue_depth{job=payment,queue=orders}']],
      ['!= on __name__', [m('__name__', '!=', 'queue_depth')], ['http_requests_total{code=200,job=order}', 'http_requests_total{code=500,job=order}']],
      ['=~ on __name__', [m('__name__', '=~', 'http_.*')], ['http_requests_total{code=200,job=order}', 'http_requests_total{code=500,job=order}']],
      ['!~ on __name__', [m('__name__', '!~', 'http_.*')], ['queue_depth{job=payment,queue=orders}']],
      ['several matchers together', [m('__name__', '=~', '.+'), m('job', '=', 'order'), m('code', '!=', '200')], ['http_requests_total{code=500,job=order}']],
      ['= "" on a label no series has', [m('missing', '=', '')], ['http_requests_total{code=200,job=order}', 'http_requests_total{code=500,job=order}', 'queue_depth{job=payment,queue=orders}']],
      ['a value that looks like SQL', [m('job', '=', "order' OR '1'='1")], []],
    ] as Array<[string, LabelMatcher[], string[]]>)('selects by %s', async (_what, matchers, expected) => {
      await seed();
      expect(describeSeries(await db.store.selectSeries(matchers, 0, 5000))).toEqual(expected);
    });

    it('matches label names with characters JSON paths treat specially', async () => {
      await db.store.appendSamples([sample('odd', { 'a.b"c': 'x' }, 1000, 1)]);
      expect(await db.store.labelValues('a.b"c', [])).toEqual(['x']);
      expect(describeSeries(await db.store.selectSeries([m('a.b"c', '=', 'x')], 0, 5000))).toEqual(['odd{a.b"c=x}']);
    });
  });

  describe('labelNames and labelValues', () => {
    it('lists label names, __name__ included, sorted, over the matching series', async () => {
      await seed();
      expect(await db.store.labelNames([])).toEqual(['__name__', 'code', 'job', 'queue']);
      expect(await db.store.labelNames([m('job', '=', 'payment')])).toEqual(['__name__', 'job', 'queue']);
      expect(await db.store.labelNames([m('job', '=', 'nobody')])).toEqual([]);
    });

    it('lists the values of one label, sorted, over the matching series', async () => {
      await seed();
      expect(await db.store.labelValues('code', [])).toEqual(['200', '500']);
      expect(await db.store.labelValues('__name__', [])).toEqual(['http_requests_total', 'queue_depth']);
      expect(await db.store.labelValues('job', [m('__name__', '=', 'queue_depth')])).toEqual(['payment']);
      expect(await db.store.labelValues('missing', [])).toEqual([]);
    });
  });

  describe('metadata', () => {
    it('keeps one entry per metric name, the latest winning', async () => {
      await db.store.appendSamples([], [
        { metric: 'http_requests_total', type: 'counter', help: 'Requests', unit: '' },
        { metric: 'latency_seconds', type: 'histogram', help: 'Latency', unit: 'seconds' },
      ]);
      await db.store.appendSamples([], [{ metric: 'http_requests_total', type: 'counter', help: 'Requests served', unit: '' }]);
      expect(await db.store.metadata()).toEqual([
        { metric: 'http_requests_total', type: 'counter', help: 'Requests served', unit: '' },
        { metric: 'latency_seconds', type: 'histogram', help: 'Latency', unit: 'seconds' },
      ]);
    });
  });

  describe('deleteBefore', () => {
    it('deletes samples older than the time, returns how many, and forgets series left empty', async () => {
      await seed();
      await db.store.appendSamples([sample('old_only', {}, 500, 1)]);
      expect(await db.store.deleteBefore(1500)).toBe(4);
      const result = await db.store.selectSeries([], 0, 5000);
      expect(result.every((s) => s.timestampsMs.join() === '2000')).toBe(true);
      expect(await db.store.labelValues('__name__', [])).toEqual(['http_requests_total', 'queue_depth']);
      // A forgotten series is written again when it comes back.
      await db.store.appendSamples([sample('old_only', {}, 3000, 2)]);
      expect(describeSeries(await db.store.selectSeries([m('__name__', '=', 'old_only')], 0, 5000))).toEqual(['old_only{}']);
    });
  });

  describe('reopening the database file', () => {
    it('reads back series, samples, stale markers and metadata, and does not write known series again', async () => {
      await seed();
      await db.store.appendSamples([sample('g', {}, 1000, STALE_NAN)], [{ metric: 'g', type: 'gauge', help: 'G', unit: '' }]);
      close(db);
      db = await open();
      expect(describeSeries(await db.store.selectSeries([m('job', '=', 'order')], 0, 5000))).toHaveLength(2);
      expect(isStaleAt((await db.store.selectSeries([m('__name__', '=', 'g')], 0, 5000))[0]!, 0)).toBe(true);
      expect(await db.store.metadata()).toEqual([{ metric: 'g', type: 'gauge', help: 'G', unit: '' }]);
      await seed();
      const count = (await db.read.runAndReadAll('SELECT count(*) FROM metric_series')).getRows()[0]![0];
      expect(count).toBe(4n);
    });
  });
});
