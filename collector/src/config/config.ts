import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { LineCounter, isMap, isScalar, parseDocument, type Node, type YAMLMap } from 'yaml';
import { parseValueDetectors, type ValueDetector } from '../otlp/redaction.ts';
import { OPTIONS, type OptionSpec } from './options.ts';
import { parseBytes, parseOptionValue } from './parseValue.ts';

/** The collector's configuration, resolved once at start (flag, then environment, then file, then default). */
export interface CollectorConfig {
  host: string;
  port: number;
  /** -1 when gRPC is off. */
  grpcPort: number;
  dataDir: string;
  rules: string;
  retentionMs: number;
  storage: {
    memoryLimit: string;
    /** Where spans and logs go. */
    backend: 'embedded' | 'elasticsearch' | 'opensearch';
    searchUrls: string[];
    searchUsername: string;
    searchPassword: string;
    searchApiKey: string;
    indexPrefix: string;
    indexReplicas: number;
    spoolBytes: number;
  };
  limits: { maxBodyBytes: number; maxInFlightBytes: number; maxRss: number; maxEventLoopDelayMs: number; requestTimeoutMs: number; maxAttributes: number; maxAttributeValueBytes: number; maxAttributeDepth: number };
  queue: { maxQueuedItems: number; maxBatchItems: number; maxDelayMs: number };
  query: { maxLogLimit: number; maxTraceLimit: number; timeoutMs: number; maxSamples: number; lookbackDeltaMs: number };
  /** Series limits of the metric store. */
  metrics: { maxSeries: number; maxSeriesPerMetric: number; backend: 'embedded' | 'prometheus'; remoteWriteUrl: string; queryUrl: string; remoteWriteShards: number; remoteWriteBufferBytes: number };
  /** Metrics derived from spans and logs: how often they are written, and how long a span pair's half waits. */
  derive: { intervalMs: number; edgeWaitMs: number };
  /** Rule evaluation and notifications (the rule files are `rules`). */
  alerting: { evaluationIntervalMs: number; resendDelayMs: number; alertmanagerUrls: string[]; notificationsFile: string; externalUrl: string; queryUrl: string; remoteWriteUrl: string };
  /** Sensitive values replaced before storing: attribute keys (a regular expression) and value detectors. */
  redaction: { keys: string; values: ValueDetector[] };
  /** Certificate and key for TLS on the collector's ports; both empty for plain HTTP. */
  tls: { certFile: string; keyFile: string };
  /** Who may read and change: the users file (empty: anyone who reaches the port) and the session-signing secret. */
  auth: { usersFile: string; sessionSecret: string };
  /** Who may send telemetry: a tokens file (hashes) and tokens in the clear; both empty lets anyone send. */
  ingest: { tokensFile: string; tokens: string };
  /** This replica's name among collectors sharing a search cluster; empty for host name and pid. */
  replicaName: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** The dashboard's build; empty for the @mirador/dashboard package's dist/. */
  dashboardDir: string;
  /** The config file read, if any. */
  configFile: string | null;
}

/** A configuration that cannot be used; the message names the key, and the file and line where there is one. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Where configuration comes from; tests pass their own. */
export interface ConfigSources {
  argv: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
}

/** The outcome of reading the command line: run with a config, or print help. */
export type ParsedCommandLine = { kind: 'run'; config: CollectorConfig } | { kind: 'help'; text: string };

/** Reads flags, environment and config file into one validated configuration. */
export function resolveConfig(sources: ConfigSources): ParsedCommandLine {
  const flagOptions: Record<string, { type: 'string' | 'boolean' }> = { config: { type: 'string' }, help: { type: 'boolean' } };
  // A boolean option is a bare flag (`--insecure`); its environment variable and file key take true or false.
  for (const o of OPTIONS) flagOptions[o.flag.slice(2)] = { type: o.type === 'boolean' ? 'boolean' : 'string' };
  let parsed;
  try {
    parsed = parseArgs({ args: [...sources.argv], options: flagOptions, strict: true, allowPositionals: false });
  } catch (e) {
    throw new ConfigError(`${(e as Error).message}\nRun with --help to list the options.`);
  }
  if (parsed.values.help === true) return { kind: 'help', text: helpText() };

  const configFile = (parsed.values.config as string | undefined) ?? sources.env.MIRADOR_CONFIG ?? null;
  const fromFile = configFile === null ? new Map<string, { value: unknown; where: string }>() : readConfigFile(configFile);
  const values = new Map<string, string | number | boolean>();
  for (const o of OPTIONS) {
    const flag = parsed.values[o.flag.slice(2)] as string | boolean | undefined;
    const env = sources.env[o.env];
    const file = fromFile.get(o.key);
    const [raw, where] =
      flag !== undefined ? [flag, o.flag] : env !== undefined && env !== '' ? [env, o.env] : file !== undefined ? [file.value, file.where] : [o.default, `default of ${o.key}`];
    const result = parseOptionValue(o.type, raw);
    if ('error' in result) throw new ConfigError(`${where}: ${result.error}`);
    values.set(o.key, result.value);
  }
  return { kind: 'run', config: buildConfig(values, configFile) };
}

function rssBound(text: string): number {
  if (text.trim() === '0') return 0;
  const n = parseBytes(text);
  if (n === null || n < 64 * 1024 * 1024) throw new ConfigError(`limits.maxRss: expected 0 (no bound) or a size of 64MiB or more such as 1GiB, got ${JSON.stringify(text)}`);
  return n;
}

function redactValues(text: string): ValueDetector[] {
  const parsed = parseValueDetectors(text);
  if ('error' in parsed) throw new ConfigError(`redaction.values: ${parsed.error}`);
  return parsed;
}

function buildConfig(v: Map<string, string | number | boolean>, configFile: string | null): CollectorConfig {
  const s = (k: string) => String(v.get(k));
  const n = (k: string) => Number(v.get(k));
  const logLevel = s('logLevel');
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel)) throw new ConfigError(`logLevel: expected debug, info, warn or error, got ${JSON.stringify(logLevel)}`);
  if (n('limits.requestTimeout') < 1000) throw new ConfigError(`limits.requestTimeout: expected at least 1s, got ${n('limits.requestTimeout')} ms`);
  if (n('derive.interval') < 1000) throw new ConfigError(`derive.interval: expected at least 1s, got ${n('derive.interval')} ms`);
  if (n('limits.maxInFlightBytes') < n('limits.maxBodyBytes')) {
    throw new ConfigError(`limits.maxInFlightBytes (${n('limits.maxInFlightBytes')}) must be at least limits.maxBodyBytes (${n('limits.maxBodyBytes')}), or no request of the largest size could be read`);
  }
  // Anyone who can reach the port could send or read everything: only the loopback interface, unless told otherwise.
  const host = s('host');
  const loopback = /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) || host === '::1' || host === 'localhost';
  if (!loopback && v.get('insecure') !== true) {
    const missing: string[] = [];
    if (s('auth.usersFile') === '') missing.push('read every trace, log and metric (give --users-file)');
    if (s('ingest.tokensFile') === '' && s('ingest.tokens') === '') missing.push('send telemetry (give --ingest-tokens-file)');
    if (missing.length > 0) {
      throw new ConfigError(
        `host: ${host} would let anyone who reaches it ${missing.join(' and ')}. Configure that, listen on 127.0.0.1 (the default) behind a proxy that authenticates, or pass --insecure (MIRADOR_INSECURE=true) to accept it`,
      );
    }
  }
  try {
    new RegExp(s('redaction.keys'), 'i');
  } catch (error) {
    throw new ConfigError(`redaction.keys: not a regular expression: ${(error as Error).message}`);
  }
  if (n('alerting.evaluationInterval') < 1000) throw new ConfigError(`alerting.evaluationInterval: expected at least 1s, got ${n('alerting.evaluationInterval')} ms`);
  const urls = (k: string) => s(k).split(',').map((u) => u.trim()).filter((u) => u !== '');
  for (const k of ['alerting.alertmanagerUrls', 'alerting.queryUrl', 'alerting.remoteWriteUrl', 'alerting.externalUrl']) {
    for (const u of urls(k)) if (!/^https?:\/\/[^/]/.test(u)) throw new ConfigError(`${k}: expected an http(s) URL, got ${JSON.stringify(u)}`);
  }
  if (!['embedded', 'elasticsearch', 'opensearch'].includes(s('storage.backend'))) {
    throw new ConfigError(`storage.backend: expected embedded, elasticsearch or opensearch, got ${JSON.stringify(s('storage.backend'))}`);
  }
  if (s('storage.backend') !== 'embedded' && urls('storage.searchUrls').length === 0) throw new ConfigError(`storage.searchUrls: required with storage.backend ${s('storage.backend')}`);
  for (const u of urls('storage.searchUrls')) if (!/^https?:\/\/[^/]/.test(u)) throw new ConfigError(`storage.searchUrls: expected an http(s) URL, got ${JSON.stringify(u)}`);
  if (!/^[a-z0-9][a-z0-9_.-]*$/.test(s('storage.indexPrefix'))) throw new ConfigError(`storage.indexPrefix: expected lower-case letters, digits, '-', '_' or '.', got ${JSON.stringify(s('storage.indexPrefix'))}`);
  if (!['embedded', 'prometheus'].includes(s('metrics.backend'))) throw new ConfigError(`metrics.backend: expected embedded or prometheus, got ${JSON.stringify(s('metrics.backend'))}`);
  for (const k of ['metrics.remoteWriteUrl', 'metrics.queryUrl']) {
    if (s('metrics.backend') === 'prometheus' && s(k) === '') throw new ConfigError(`${k}: required with metrics.backend prometheus`);
    if (s(k) !== '' && !/^https?:\/\/[^/]/.test(s(k))) throw new ConfigError(`${k}: expected an http(s) URL, got ${JSON.stringify(s(k))}`);
  }
  if (n('metrics.remoteWriteShards') < 1 || n('metrics.remoteWriteShards') > 64) throw new ConfigError(`metrics.remoteWriteShards: expected 1 to 64, got ${n('metrics.remoteWriteShards')}`);
  if ((s('alerting.queryUrl') === '') !== (s('alerting.remoteWriteUrl') === '')) {
    throw new ConfigError('alerting.queryUrl and alerting.remoteWriteUrl go together: rules evaluated by a remote store write their results (recording rules, ALERTS) back to it by remote write');
  }
  return {
    host: s('host'),
    port: n('port'),
    grpcPort: n('grpcPort'),
    dataDir: s('dataDir'),
    rules: s('rules'),
    retentionMs: n('retention'),
    storage: {
      memoryLimit: s('storage.memoryLimit'),
      backend: s('storage.backend') as CollectorConfig['storage']['backend'],
      searchUrls: urls('storage.searchUrls'),
      searchUsername: s('storage.searchUsername'),
      searchPassword: s('storage.searchPassword'),
      searchApiKey: s('storage.searchApiKey'),
      indexPrefix: s('storage.indexPrefix'),
      indexReplicas: n('storage.indexReplicas'),
      spoolBytes: n('storage.spoolBytes'),
    },
    limits: {
      maxBodyBytes: n('limits.maxBodyBytes'),
      maxInFlightBytes: n('limits.maxInFlightBytes'),
      maxRss: rssBound(s('limits.maxRss')),
      maxEventLoopDelayMs: n('limits.maxEventLoopDelay'),
      requestTimeoutMs: n('limits.requestTimeout'),
      maxAttributes: n('limits.maxAttributes'),
      maxAttributeValueBytes: n('limits.maxAttributeValueBytes'),
      maxAttributeDepth: n('limits.maxAttributeDepth'),
    },
    queue: { maxQueuedItems: n('queue.maxQueuedItems'), maxBatchItems: n('queue.maxBatchItems'), maxDelayMs: n('queue.maxDelay') },
    query: { maxLogLimit: n('query.maxLogLimit'), maxTraceLimit: n('query.maxTraceLimit'), timeoutMs: n('query.timeout'), maxSamples: n('query.maxSamples'), lookbackDeltaMs: n('query.lookbackDelta') },
    metrics: {
      maxSeries: n('metrics.maxSeries'),
      maxSeriesPerMetric: n('metrics.maxSeriesPerMetric'),
      backend: s('metrics.backend') as 'embedded' | 'prometheus',
      remoteWriteUrl: s('metrics.remoteWriteUrl'),
      queryUrl: s('metrics.queryUrl').replace(/\/+$/, ''),
      remoteWriteShards: n('metrics.remoteWriteShards'),
      remoteWriteBufferBytes: n('metrics.remoteWriteBufferBytes'),
    },
    derive: { intervalMs: n('derive.interval'), edgeWaitMs: n('derive.edgeWait') },
    replicaName: s('replicaName'),
    ingest: { tokensFile: s('ingest.tokensFile'), tokens: s('ingest.tokens') },
    auth: { usersFile: s('auth.usersFile'), sessionSecret: s('auth.sessionSecret') },
    tls: { certFile: s('tls.certFile'), keyFile: s('tls.keyFile') },
    redaction: { keys: s('redaction.keys'), values: redactValues(s('redaction.values')) },
    alerting: {
      evaluationIntervalMs: n('alerting.evaluationInterval'),
      resendDelayMs: n('alerting.resendDelay'),
      alertmanagerUrls: urls('alerting.alertmanagerUrls'),
      notificationsFile: s('alerting.notifications'),
      externalUrl: s('alerting.externalUrl').replace(/\/+$/, ''),
      queryUrl: s('alerting.queryUrl'),
      remoteWriteUrl: s('alerting.remoteWriteUrl'),
    },
    logLevel: logLevel as CollectorConfig['logLevel'],
    dashboardDir: s('dashboardDir'),
    configFile,
  };
}

/**
 * Reads a YAML config file into option key → value, with `file:line` for
 * each value so a bad one is reported where it stands. Unknown keys and YAML
 * syntax errors are refused with their line.
 */
export function readConfigFile(file: string): Map<string, { value: unknown; where: string }> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`${file}: cannot read the config file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const lineOf = (node: Node | null | undefined, offset?: number) => lineCounter.linePos(offset ?? node?.range?.[0] ?? 0).line;
  if (doc.errors.length > 0) {
    const err = doc.errors[0]!;
    throw new ConfigError(`${file}:${lineOf(null, err.pos[0])}: ${err.message.split('\n')[0]}`);
  }
  const out = new Map<string, { value: unknown; where: string }>();
  if (doc.contents === null) return out;
  if (!isMap(doc.contents)) throw new ConfigError(`${file}:1: expected a mapping of option names to values`);
  const known = new Map<string, OptionSpec>(OPTIONS.map((o) => [o.key, o]));
  const sections = new Set(OPTIONS.filter((o) => o.key.includes('.')).map((o) => o.key.split('.')[0]!));
  const walk = (map: YAMLMap, prefix: string) => {
    for (const pair of map.items) {
      const keyNode = pair.key as Node;
      const name = isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
      const key = prefix + name;
      const line = lineOf(keyNode);
      if (prefix === '' && sections.has(name)) {
        if (!isMap(pair.value)) throw new ConfigError(`${file}:${line}: ${key}: expected a mapping`);
        walk(pair.value, key + '.');
      } else if (known.has(key)) {
        const valueNode = pair.value as Node | null;
        out.set(key, { value: isScalar(valueNode) ? valueNode.value : valueNode?.toJSON?.() ?? null, where: `${file}:${line}: ${key}` });
      } else {
        const expected = prefix === '' ? [...new Set(OPTIONS.map((o) => o.key.split('.')[0]!))] : OPTIONS.filter((o) => o.key.startsWith(prefix)).map((o) => o.key.slice(prefix.length));
        throw new ConfigError(`${file}:${line}: unknown option ${JSON.stringify(key)} (expected one of: ${expected.join(', ')})`);
      }
    }
  };
  walk(doc.contents, '');
  return out;
}

/** The --help text, generated from the option table. */
export function helpText(): string {
  const lines = [
    'Usage: mirador-collector [options]',
    '',
    'Receives OTLP traces, logs and metrics, stores them and serves the query API and dashboard.',
    'Every option can also be set in the config file (YAML, the key shown) or the environment.',
    '',
    '  --config FILE                      config file (YAML) [env MIRADOR_CONFIG]',
    '  --help                             print this help',
  ];
  for (const o of OPTIONS) {
    lines.push(`  ${(o.flag + ' ' + o.type.toUpperCase()).padEnd(35)}${o.help} (default ${JSON.stringify(o.default)}) [key ${o.key}, env ${o.env}]`);
  }
  return lines.join('\n');
}
