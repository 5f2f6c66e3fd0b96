import { ConfigError, resolveConfig } from './config/config.ts';
import { startCollector } from './Collector.ts';
import { createLog } from './telemetry/log.ts';

/**
 * `mirador-collector [options]`: resolves the configuration, starts the
 * collector, and stops it cleanly on SIGINT/SIGTERM (queued data is written first).
 */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
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
    log.error('collector failed to start', { error, host: config.host, port: config.port, dataDir: config.dataDir });
    return 1;
  }
  log.info('collector started', {
    url: collector.url,
    otlpHttp: `${collector.url}/v1/{traces,logs,metrics}`,
    otlpGrpc: collector.grpcPort >= 0 ? `${config.host}:${collector.grpcPort}` : 'off',
    storage: collector.stores.description,
    dataDir: config.dataDir,
    retention: `${config.retentionMs / 3_600_000}h`,
    ...(config.configFile !== null && { config: config.configFile }),
  });
  if (config.rules !== '') log.warn('--rules is accepted but alert rules are not evaluated yet (alerting is a later issue)', { rules: config.rules });
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
