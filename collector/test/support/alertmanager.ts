import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, spawnUntilReady, type RunningServer } from './prometheus.ts';

/** An Alertmanager (Debian's prometheus-alertmanager, installed by the test setup) on a free loopback port. */
export type RunningAlertmanager = RunningServer;

/** Starts Alertmanager with the given config text (single node, no clustering) and waits until it is ready. */
export async function startAlertmanager(config: string): Promise<RunningAlertmanager> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mirador-alertmanager-'));
  fs.writeFileSync(path.join(dir, 'alertmanager.yml'), config);
  const port = await freePort();
  const args = [`--config.file=${path.join(dir, 'alertmanager.yml')}`, `--storage.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=', '--log.level=warn'];
  return spawnUntilReady('prometheus-alertmanager', args, `http://127.0.0.1:${port}`);
}
