import { describe, expect, it } from 'vitest';
import { PromQLError, selectorsOf, singleSelector, stringValue } from '../../src/promql/selectors.ts';

describe('PromQL selectors', () => {
  it('finds every vector selector of an expression, the metric name as a __name__ matcher', () => {
    expect(selectorsOf('sum by (route) (rate(http_server_request_duration_seconds_bucket{route=~"/orders.*", method!="HEAD"}[5m])) / on() group_left up')).toEqual([
      [
        { name: '__name__', type: '=', value: 'http_server_request_duration_seconds_bucket' },
        { name: 'route', type: '=~', value: '/orders.*' },
        { name: 'method', type: '!=', value: 'HEAD' },
      ],
      [{ name: '__name__', type: '=', value: 'up' }],
    ]);
    expect(singleSelector(`{__name__="orders_created_total", job!~'a|b'}`)).toEqual([
      { name: '__name__', type: '=', value: 'orders_created_total' },
      { name: 'job', type: '!~', value: 'a|b' },
    ]);
  });

  it('reads Go string escapes the way PromQL does', () => {
    expect(stringValue('"a\\"b\\n\\x41\\u00e9"')).toBe('a"b\nAé');
    expect(stringValue("'it\\'s'")).toBe("it's");
    expect(stringValue('`raw\\n`')).toBe('raw\\n');
  });

  it.each([
    ['up{job="a"', 'parse error at character'],
    ['{job=~".*"}', 'vector selector must contain at least one non-empty matcher'],
    ['up{job=~"("}', 'invalid regular expression "(" in matcher for label "job"'],
    ['', 'empty expression'],
  ])('refuses %j with a clear reason', (expression, message) => {
    expect(() => selectorsOf(expression)).toThrow(PromQLError);
    expect(() => selectorsOf(expression)).toThrow(message);
  });

  it('wants a plain selector where Prometheus does (match[])', () => {
    expect(() => singleSelector('rate(up[5m])')).toThrow('expected a series selector such as up{job="api"}, got "rate(up[5m])"');
  });
});
