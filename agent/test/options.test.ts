import { describe, expect, it } from 'vitest';
import { DEFAULT_COLLECTOR_URL, resolveAgentOptions } from '../src/options.ts';

function resolve(options: Parameters<typeof resolveAgentOptions>[0], env: Record<string, string> = {}) {
  const warnings: string[] = [];
  return { resolved: resolveAgentOptions(options, env, (m) => warnings.push(m)), warnings };
}

describe('resolveAgentOptions', () => {
  it('takes options first, then the standard environment variables, then defaults', () => {
    expect(resolve({ serviceName: 'a' }, { OTEL_SERVICE_NAME: 'b' }).resolved.serviceName).toBe('a');
    expect(resolve({}, { OTEL_SERVICE_NAME: 'b', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).resolved).toMatchObject({ serviceName: 'b', collectorUrl: 'http://collector:4318' });
    expect(resolve({}).resolved).toEqual({ serviceName: 'unknown_service:node', collectorUrl: DEFAULT_COLLECTOR_URL, logLevel: 'info', spanExportDelayMs: 5000, logExportDelayMs: 1000 });
  });

  it.each([
    [{ collectorUrl: 'collector:4318' }, {}, 'collectorUrl / OTEL_EXPORTER_OTLP_ENDPOINT: expected an http(s) URL such as http://127.0.0.1:4318, got "collector:4318"; using http://127.0.0.1:4318'],
    [{ logLevel: 'loud' }, {}, 'logLevel / MIRADOR_LOG_LEVEL: expected one of error, warn, info, http, verbose, debug, silly, got "loud"; using info'],
    [{}, { OTEL_BSP_SCHEDULE_DELAY: 'soon' }, 'OTEL_BSP_SCHEDULE_DELAY: expected milliseconds as a whole number, got "soon"; using 5000'],
  ])('reports a malformed option once, saying what was expected, and uses its default (%j %j)', (options, env, warning) => {
    const { warnings } = resolve(options, env);
    expect(warnings).toEqual([warning]);
  });
});
