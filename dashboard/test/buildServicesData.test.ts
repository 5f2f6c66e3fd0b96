import { describe, expect, it } from 'vitest';
import { buildServicesData, sortServiceRows } from '../src/data/buildServicesData.ts';

const v = (pairs: Array<[string, number]>) => pairs.map(([service_name, value]) => ({ metric: { service_name }, value: [1700000000, String(value)] as [number, string] }));

describe('buildServicesData', () => {
  const rows = buildServicesData({
    services: ['gateway', 'order', 'idle'],
    rate: v([
      ['gateway', 10],
      ['order', 4],
    ]),
    errors: v([['order', 1]]),
    p50: v([['gateway', 0.02]]),
    p95: v([
      ['gateway', 0.2],
      ['order', NaN],
    ]),
    p99: v([]),
    rateOverTime: [{ metric: { service_name: 'gateway' }, values: [[1700000000, '9'], [1700000015, '11']] }],
  });

  it('lists every service that reported, idle ones too, by name', () => {
    expect(rows.map((r) => r.service)).toEqual(['gateway', 'idle', 'order']);
  });

  it('computes the error share from the error and request rates, zero when a busy service has no errors', () => {
    expect(rows.map((r) => [r.service, r.errorRate])).toEqual([
      ['gateway', 0],
      ['idle', null],
      ['order', 0.25],
    ]);
  });

  it('leaves out quantiles a histogram cannot give (NaN) and keeps the sparkline points in ms', () => {
    expect(rows.find((r) => r.service === 'order')!.p95).toBeNull();
    expect(rows.find((r) => r.service === 'gateway')!.spark).toEqual([
      { t: 1700000000000, v: 9 },
      { t: 1700000015000, v: 11 },
    ]);
  });

  it('sorts by a column with the services without that figure last, either way', () => {
    expect(sortServiceRows(rows, 'rate', true).map((r) => r.service)).toEqual(['gateway', 'order', 'idle']);
    expect(sortServiceRows(rows, 'rate', false).map((r) => r.service)).toEqual(['order', 'gateway', 'idle']);
  });
});
