import { readNotificationsFile } from './alerts/notify/notificationsFile.ts';
import { readAccessFiles } from './auth/accessFiles.ts';
import { hashToken } from './auth/secretFiles.ts';
import { hashPassword } from './auth/Users.ts';
import { checkRuleFiles, readRuleFiles, RuleFileError } from './alerts/ruleFiles.ts';
import { ConfigError, resolveConfig } from './config/config.ts';
import { startCollector } from './Collector.ts';
import { createLog } from './telemetry/log.ts';

/**
 * `mirador-collector [options]`: resolves the configuration, starts the
 * collector, and stops it cleanly on SIGINT/SIGTERM (queued data is written first).
 */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  // `mirador-collector check-rules FILE...` checks rule files as `promtool check rules` does, for CI.
  if (argv[0] === 'check-rules') {
    if (argv.length < 2) {
      process.stderr.write('usage: mirador-collector check-rules FILE...\n');
      return 2;
    }
    return checkRuleFiles(argv.slice(1), (line) => process.stdout.write(line + '\n'));
  }
  // `mirador-collector hash-token TOKEN` prints the hash the tokens file keeps instead of the token.
  if (argv[0] === 'hash-token') {
    if (argv.length !== 2 || argv[1]!.length < 16) {
      process.stderr.write('usage: mirador-collector hash-token TOKEN   (a random token of 16 characters or more, e.g. from `openssl rand -hex 32`)\n');
      return 2;
    }
    process.stdout.write(`${hashToken(argv[1]!)}\n`);
    return 0;
  }
  // `mirador-collector hash-password` reads a password from standard input and prints its scrypt hash for the users file.
  if (argv[0] === 'hash-password') return hashPasswordFromStdin();
  // `mirador-collector check-config [options]` checks a configuration (flags, environment, file,
  // and the rule and notification files it names) without starting anything, for CI and deploys.
  if (argv[0] === 'check-config') return checkConfig(argv.slice(1), env);
  let parsed;
  try {
    parsed = resolveConfig({ argv, env });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`mirador-collector: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  if (parsed.kind === 'help') {
    process.stdout.write(parsed.text + '\n');
    return 0;
  }
  const config = parsed.config;
  const log = createLog(config.logLevel);
  // Listen for signals before starting, so one that arrives during start-up
  // (or right after the "started" line) still stops the collector cleanly.
  // Ctrl-C in a terminal signals the whole process group, so a launcher such
  // as `npm start` may pass on a second SIGINT: a second signal is absorbed
  // rather than killing the collector halfway through writing its queue.
  let signals = 0;
  const signalled = new Promise<string>((resolve) => {
    const onSignal = (name: string) => {
      signals++;
      // A third signal means the operator will not wait for the queue to be written.
      if (signals >= 3) {
        log.warn('stopping at once, without writing queued data', { signal: name });
        process.exit(130);
      }
      resolve(name);
    };
    process.on('SIGINT', () => onSignal('SIGINT'));
    process.on('SIGTERM', () => onSignal('SIGTERM'));
  });
  let collector;
  try {
    collector = await startCollector(config, { log });
  } catch (error) {
    if (error instanceof RuleFileError) {
      process.stderr.write(`mirador-collector: the rule files cannot be used, so the collector does not start:\n${error.message}\n`);
      return 1;
    }
    if (error instanceof ConfigError) {
      process.stderr.write(`mirador-collector: ${error.message}\n`);
      return 2;
    }
    log.error('collector failed to start', { error, host: config.host, port: config.port, dataDir: config.dataDir });
    return 1;
  }
  // SIGHUP reloads the rule files, as it does for Prometheus; a broken set keeps the running rules.
  const started = collector;
  process.on('SIGHUP', () => {
    started.alerting.editor.reload().then(
      (groups) => log.info('rules reloaded', { groups: groups.length, rules: groups.reduce((n, g) => n + g.rules.length, 0) }),
      (error: unknown) => log.error('rules not reloaded; the previous rules stay in force', { error: (error as Error).message }),
    );
  });
  log.info('collector started', {
    url: collector.url,
    otlpHttp: `${collector.url}/v1/{traces,logs,metrics}`,
    otlpGrpc: collector.grpcPort >= 0 ? `${config.host}:${collector.grpcPort}` : 'off',
    storage: collector.stores.description,
    dataDir: config.dataDir,
    retention: `${config.retentionMs / 3_600_000}h`,
    ...(config.configFile !== null && { config: config.configFile }),
  });
  if (config.rules !== '') log.info('alert rules loaded', { rules: config.rules, groups: collector.alerting.manager.groups().length });
  const signal = await signalled;
  log.info('stopping: writing queued data', { signal });
  try {
    await collector.stop();
  } catch (error) {
    log.error('error while stopping', { error });
    return 1;
  }
  log.info('collector stopped');
  return 0;
}

/** Resolves the configuration and reads the files it names; prints what would run, or the first problem (exit 2). */
function checkConfig(argv: readonly string[], env: NodeJS.ProcessEnv): number {
  try {
    const parsed = resolveConfig({ argv, env });
    if (parsed.kind === 'help') {
      process.stdout.write(parsed.text + '\n');
      return 0;
    }
    const c = parsed.config;
    const { tokens, users, tls } = readAccessFiles(c);
    const groups = c.rules === '' ? [] : readRuleFiles(c.rules);
    const notifications = c.alerting.notificationsFile === '' ? { alertmanagers: [], webhooks: [] } : readNotificationsFile(c.alerting.notificationsFile);
    const storage = c.storage.backend === 'embedded' ? `embedded (${c.dataDir})` : `${c.storage.backend} ${c.storage.searchUrls.join(',')}`;
    const metrics = c.metrics.backend === 'embedded' ? 'embedded' : `remote write to ${c.metrics.remoteWriteUrl}`;
    const rules = groups.reduce((n, g) => n + g.rules.length, 0);
    const receivers = [...c.alerting.alertmanagerUrls, ...notifications.alertmanagers].length + notifications.webhooks.length;
    process.stdout.write(`config OK: listens on ${c.host}:${c.port}${tls === null ? '' : ' with TLS'}; spans and logs: ${storage}; metrics: ${metrics}; ${groups.length} rule groups, ${rules} rules; ${receivers} notification receivers; ${tokens.size === 0 ? 'ingest open to anyone who reaches it' : `${tokens.size} ingest tokens`}; ${users.size === 0 ? 'API open to anyone who reaches it' : `${users.size} users and API tokens`}\n`);
    return 0;
  } catch (error) {
    if (error instanceof ConfigError || error instanceof RuleFileError) {
      process.stderr.write(`mirador-collector: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

/** Reads one line (the password) from standard input and prints its hash. */
async function hashPasswordFromStdin(): Promise<number> {
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  const password = text.replace(/\r?\n$/, '');
  if (password.length < 8) {
    process.stderr.write('usage: echo PASSWORD | mirador-collector hash-password   (8 characters or more)\n');
    return 2;
  }
  process.stdout.write(`${await hashPassword(password)}\n`);
  return 0;
}
