import { describe, expect, it } from 'vitest';
import { rfc3339 } from '../../src/alerts/goFormat.ts';
import { AlertTemplate, TemplateError } from '../../src/alerts/template.ts';

const data = { labels: { __name__: 'errors', service_name: 'payment', instance: 'host:9090' }, value: 0.0512, externalLabels: { cluster: 'eu-1' }, externalURL: 'http://mirador:4318' };
const expand = (source: string, value = data.value) => new AlertTemplate(source).expand({ ...data, value });

describe('AlertTemplate', () => {
  describe('expand', () => {
    it.each([
      ['{{ $labels.service_name }} is failing', 'payment is failing'],
      ['{{ .Labels.service_name }}/{{ $externalLabels.cluster }}', 'payment/eu-1'],
      ['[{{ $labels.missing }}]', '[]'],
      ['{{ $value }}', '0.0512'],
      ['{{ .Value }}', '0.0512'],
      ['{{ $value | humanizePercentage }}', '5.12%'],
      ['{{ humanizePercentage $value }}', '5.12%'],
      ['{{ printf "%.2f" $value }}', '0.05'],
      ['{{ printf "%s has %d" $labels.service_name 3 }}', 'payment has 3'],
      ['{{ $labels.instance | stripPort }}', 'host'],
      ['{{ $labels.service_name | toUpper }}', 'PAYMENT'],
      ['a  {{- $labels.service_name -}}  b', 'apaymentb'],
      ['{{/* a comment */}}plain', 'plain'],
      ['{{ $externalURL }}/alerts', 'http://mirador:4318/alerts'],
    ])('%s → %s', (source, expected) => {
      expect(expand(source)).toBe(expected);
    });

    // Go's %v and %.4g of float64, as Prometheus prints {{ $value }} and humanize.
    it.each([
      ['{{ $value }}', 1e6, '1e+06'],
      ['{{ $value }}', 123456, '123456'],
      ['{{ $value }}', 1234567, '1.234567e+06'],
      ['{{ $value }}', 0.00001, '1e-05'],
      ['{{ $value }}', 1, '1'],
      ['{{ $value }}', NaN, 'NaN'],
      ['{{ $value }}', -Infinity, '-Inf'],
      ['{{ $value | humanize }}', 0, '0'],
      ['{{ $value | humanize }}', 1234567, '1.235M'],
      ['{{ $value | humanize }}', 999.9, '999.9'],
      ['{{ $value | humanize }}', 1000, '1k'],
      ['{{ $value | humanize }}', 0.001234, '1.234m'],
      ['{{ $value | humanize }}', 1e-7, '100n'],
      ['{{ $value | humanize }}', 12345678901234, '12.35T'],
      ['{{ $value | humanize1024 }}', 1536, '1.5ki'],
      ['{{ $value | humanize1024 }}', 0.5, '0.5'],
      ['{{ $value | humanizePercentage }}', 0.123456, '12.35%'],
      ['{{ $value | humanizeDuration }}', 0, '0s'],
      ['{{ $value | humanizeDuration }}', 0.25, '250ms'],
      ['{{ $value | humanizeDuration }}', 0.000123, '123us'],
      ['{{ $value | humanizeDuration }}', 1.5, '1.5s'],
      ['{{ $value | humanizeDuration }}', 90, '1m 30s'],
      ['{{ $value | humanizeDuration }}', 3661, '1h 1m 1s'],
      ['{{ $value | humanizeDuration }}', 90061, '1d 1h 1m 1s'],
      ['{{ $value | humanizeTimestamp }}', 1700000000, '2023-11-14 22:13:20 +0000 UTC'],
    ])('%s of %d → %s', (source, value, expected) => {
      expect(expand(source, value)).toBe(expected);
    });

    it('reports a function that fails on its input in the text, as Prometheus does', () => {
      expect(expand('{{ $labels.service_name | humanize }}')).toBe('<error expanding template: cannot convert "payment" to a number>');
    });
  });

  describe('parse', () => {
    it.each([
      ['{{ if $value }}x{{ end }}', /\{\{if\}\} is not supported/],
      ['{{ $value | nosuch }}', /function "nosuch" not defined/],
      ['{{ $labels.a ', /unclosed action/],
      ['{{ $nope }}', /undefined variable or field "\$nope"/],
      ['{{ printf }}', /wrong number of args for printf/],
      ['{{ $x := 1 }}', /variable declarations are not supported/],
      ['{{ }}', /missing value/],
    ])('refuses %s when the rule is loaded', (source, message) => {
      expect(() => new AlertTemplate(source)).toThrow(TemplateError);
      expect(() => new AlertTemplate(source)).toThrow(message);
    });
  });
});

describe('rfc3339', () => {
  it.each([
    [Date.UTC(2026, 10, 22, 4, 36, 56, 40), '2026-11-22T04:36:56.04Z'],
    [Date.UTC(2026, 10, 22, 4, 36, 56, 0), '2026-11-22T04:36:56Z'],
    [Date.UTC(2026, 10, 22, 4, 36, 56, 123), '2026-11-22T04:36:56.123Z'],
  ])('writes %d as Go writes a time in JSON: %s', (ms, expected) => {
    expect(rfc3339(ms)).toBe(expected);
  });
});
