import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STALE_NAN } from '../../src/model/metric.ts';
import { SnapshotStore } from '../../src/promql/SnapshotStore.ts';
import { openDuckDbStores } from '../../src/store/duckdb/DuckDbStores.ts';
import { isStaleAt, type LabelMatcher, type Stores } from '../../src/store/types.ts';
import { tempDataDir } from '../support/testCollector.ts';

const T0 = Date.UTC(2026, 10, 22, 12, 0, 0);
let stores: Stores;

beforeAll(async () => {
  stores = await openDuckDbStores({ dataDir: tempDataDir(), memoryLimit: '256MB' });
  const samples = [];
  for (let k = 0; k < 20; k++) {
    for (const service of ['cart', 'checkout', 'payment', 'pay.ment', 'pay😀ment', 'b']) {
      for (const route of ['/a', '/b', '']) {
        const labels: Record<string, string> = { __name__: 'http_requests_total', service, ...(route !== '' && { route }) };
        samples.push(k === 12 && service === 'cart' ? { labels, timestampMs: T0 + k * 15_000, value: STALE_NAN, stale: true as const } : { labels, timestampMs: T0 + k * 15_000, value: k });
      }
    }
    samples.push({ labels: { __name__: 'other_metric', service: 'cart' }, timestampMs: T0 + k * 15_000, value: k });
  }
  await stores.metrics.appendSamples(samples);
});
afterAll(() => stores.close());

const name = (value: string): LabelMatcher => ({ name: '__name__', type: '=', value });
const m = (label: string, type: LabelMatcher['type'], value: string): LabelMatcher => ({ name: label, type, value });
const comparable = (series: Awaited<ReturnType<Stores['metrics']['selectSeries']>>) =>
  series.map((s) => ({ labels: s.labels, t: s.timestampsMs, v: s.values.map((v, i) => (isStaleAt(s, i) ? 'stale' : v)) })).sort((a, b) => JSON.stringify(a.labels).localeCompare(JSON.stringify(b.labels)));

describe('SnapshotStore', () => {
  it.each<[string, LabelMatcher[], number, number]>([
    ['the whole metric', [name('http_requests_total')], T0, T0 + 300_000],
    ['an equality matcher', [name('http_requests_total'), m('service', '=', 'payment')], T0 + 60_000, T0 + 120_000],
    ['a missing label as the empty string', [name('http_requests_total'), m('route', '=', '')], T0, T0 + 300_000],
    ['a negative matcher', [name('http_requests_total'), m('service', '!=', 'cart'), m('route', '!=', '/a')], T0, T0 + 150_000],
    ['an anchored regex', [name('http_requests_total'), m('service', '=~', 'pay.*')], T0, T0 + 300_000],
    ['a regex alternation', [name('http_requests_total'), m('service', '=~', 'cart|checkout'), m('route', '!~', '/b')], T0 + 15_000, T0 + 45_000],
    ['a regex the view hands to the store', [name('http_requests_total'), m('service', '=~', 'pay\\.ment|c.{3}$')], T0, T0 + 300_000],
    ['a window with stale markers', [name('http_requests_total'), m('service', '=', 'cart')], T0 + 150_000, T0 + 200_000],
    ['a window outside what was loaded', [name('http_requests_total')], T0 - 60_000, T0 + 30_000],
    ['a POSIX class (RE2 only)', [name('http_requests_total'), m('service', '=~', '[[:alpha:]]')], T0, T0 + 300_000],
    ['a dot over a character outside the BMP', [name('http_requests_total'), m('service', '=~', 'pay.ment')], T0, T0 + 300_000],
    ['a metric that was not loaded', [name('other_metric')], T0, T0 + 300_000],
    ['no metric name', [m('service', '=', 'cart')], T0, T0 + 300_000],
  ])('answers %s as the store does', async (_what, matchers, from, to) => {
    const snapshot = new SnapshotStore(stores.metrics, 1_000_000);
    await snapshot.load(new Map([['http_requests_total', [T0, T0 + 300_000]]]));
    expect(comparable(await snapshot.selectSeries(matchers, from, to))).toEqual(comparable(await stores.metrics.selectSeries(matchers, from, to)));
  });

  it('does not hold a metric beyond its sample budget (it is read from the store instead)', async () => {
    const snapshot = new SnapshotStore(stores.metrics, 10);
    await snapshot.load(new Map([['http_requests_total', [T0, T0 + 300_000]]]));
    const matchers = [name('http_requests_total'), m('service', '=', 'payment')];
    expect(comparable(await snapshot.selectSeries(matchers, T0, T0 + 300_000))).toEqual(comparable(await stores.metrics.selectSeries(matchers, T0, T0 + 300_000)));
  });
});
