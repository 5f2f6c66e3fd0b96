import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, resolveConfig } from '../../src/config/config.ts';
import { parseBytes, parseDurationMs } from '../../src/config/parseValue.ts';

function config(argv: string[], env: Record<string, string> = {}) {
  const parsed = resolveConfig({ argv, env });
  if (parsed.kind !== 'run') throw new Error('help');
  return parsed.config;
}

function yamlFile(text: string): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mirador-config-')), 'c.yaml');
  fs.writeFileSync(file, text);
  return file;
}

describe('resolveConfig', () => {
  it('has the documented defaults', () => {
    const c = config([]);
    expect(c).toMatchObject({ host: '127.0.0.1', port: 4318, grpcPort: 4317, dataDir: './data', retentionMs: 7 * 86_400_000 });
    // No memory or event-loop bound unless configured (compose and Kubernetes set them).
    expect(c.limits).toEqual({ maxBodyBytes: 16 * 1024 * 1024, maxInFlightBytes: 64 * 1024 * 1024, maxRss: 0, maxEventLoopDelayMs: 0, requestTimeoutMs: 60_000, maxAttributes: 128, maxAttributeValueBytes: 16 * 1024, maxAttributeDepth: 64 });
    expect(c.redaction.values).toEqual(['card']);
    expect(c.auth).toEqual({ usersFile: '', sessionSecret: '' });
    expect(c.ingest).toEqual({ tokensFile: '', tokens: '' });
  });

  it('prefers a flag to the environment, and the environment to the file', () => {
    const file = yamlFile('port: 1111\nhost: 0.0.0.0\nretention: 2d\n');
    const c = config(['--config', file, '--port', '3333'], { MIRADOR_PORT: '2222', MIRADOR_HOST: '127.0.0.2' });
    expect(c.port).toBe(3333);
    expect(c.host).toBe('127.0.0.2');
    expect(c.retentionMs).toBe(2 * 86_400_000);
  });

  it('reads the config file named by MIRADOR_CONFIG, nested sections included', () => {
    const file = yamlFile('limits:\n  maxBodyBytes: 1MiB\nqueue:\n  maxDelay: 5ms\n');
    const c = config([], { MIRADOR_CONFIG: file });
    expect(c.limits.maxBodyBytes).toBe(1024 * 1024);
    expect(c.queue.maxDelayMs).toBe(5);
  });

  it.each([
    [['--port', '70000'], '--port: expected a port number 0-65535 or off, got "70000"'],
    [['--retention', 'forever'], '--retention: expected a duration such as 250ms, 30s or 7d, got "forever"'],
    [['--max-attributes', '0'], '--max-attributes: expected a positive integer, got "0"'],
    [['--log-level', 'loud'], 'logLevel: expected debug, info, warn or error, got "loud"'],
  ])('refuses %j naming the option', (argv, message) => {
    expect(() => config(argv)).toThrow(new ConfigError(message));
  });

  it('refuses an in-flight budget smaller than one request body', () => {
    expect(() => config(['--max-body-bytes', '100MiB'])).toThrow('limits.maxInFlightBytes (67108864) must be at least limits.maxBodyBytes (104857600)');
  });

  it('refuses to listen beyond the loopback interface unless told --insecure (nothing asks who sends or reads yet)', () => {
    expect(() => config(['--host', '0.0.0.0'])).toThrow(ConfigError);
    expect(() => config(['--host', '0.0.0.0'])).toThrow(/host: 0\.0\.0\.0 would let anyone .* pass --insecure \(MIRADOR_INSECURE=true\)/);
    expect(config(['--host', '0.0.0.0', '--insecure']).host).toBe('0.0.0.0');
    expect(config(['--host', '10.1.2.3'], { MIRADOR_INSECURE: 'true' }).host).toBe('10.1.2.3');
    expect(config(['--host', '::1']).host).toBe('::1');
    expect(() => config(['--host', '10.1.2.3'], { MIRADOR_INSECURE: 'maybe' })).toThrow('MIRADOR_INSECURE: expected true or false, got "maybe"');
  });

  it('names the environment variable when its value is bad', () => {
    expect(() => config([], { MIRADOR_MAX_BODY_BYTES: 'big' })).toThrow('MIRADOR_MAX_BODY_BYTES: expected a size such as 16MiB or 1048576, got "big"');
  });

  it('names the file and line of a bad value or unknown key', () => {
    const bad = yamlFile('host: 127.0.0.1\nlimits:\n  maxAttributes: many\n');
    expect(() => config(['--config', bad])).toThrow(`${bad}:3: limits.maxAttributes: expected a positive integer, got "many"`);
    const unknown = yamlFile('limits:\n  maxBody: 1\n');
    expect(() => config(['--config', unknown])).toThrow(`${unknown}:2: unknown option "limits.maxBody" (expected one of: maxBodyBytes, maxInFlightBytes, maxRss, maxEventLoopDelay, requestTimeout, maxAttributes, maxAttributeValueBytes, maxAttributeDepth)`);
  });

  it('names a missing config file', () => {
    expect(() => config(['--config', '/nonexistent/mirador.yaml'])).toThrow('/nonexistent/mirador.yaml: cannot read the config file: ENOENT');
  });

  it('returns the help text for --help', () => {
    const parsed = resolveConfig({ argv: ['--help'], env: {} });
    expect(parsed.kind).toBe('help');
  });
});

describe('parseDurationMs', () => {
  it.each([
    ['250ms', 250],
    ['1.5s', 1500],
    ['1h30m', 5_400_000],
    ['7d', 604_800_000],
    ['100us', 0.1],
    ['0', 0],
    ['5', null],
    ['1x', null],
    ['', null],
  ])('reads %s as %s', (text, ms) => {
    expect(parseDurationMs(text)).toBe(ms);
  });
});

describe('parseBytes', () => {
  it.each([
    ['16MiB', 16 * 1024 * 1024],
    ['512kb', 512_000],
    ['1048576', 1_048_576],
    ['1.5KiB', 1536],
    ['lots', null],
    ['5 parsecs', null],
  ])('reads %s as %s', (text, bytes) => {
    expect(parseBytes(text)).toBe(bytes);
  });
});
