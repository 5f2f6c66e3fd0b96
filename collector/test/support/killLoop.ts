import { exited, spawnCollector } from './collectorProcess.ts';

/** What a kill loop did and found. */
export interface KillLoopReport {
  kills: number;
  /** Log records answered 200 before each kill, in all. */
  acknowledged: number;
  /** Acknowledged records missing after the last restart (must be 0). */
  missing: number;
  /** Records found more than once (must be 0). */
  duplicated: number;
  /** Restarts after which the store did not open or the collector did not start (must be 0). */
  failedStarts: number;
}

/**
 * Crash safety: a collector on one data directory is killed with SIGKILL at
 * a random moment during sustained ingest, `kills` times, and started again
 * each time. Every log record answered 200 must be there at the end, once;
 * requests cut off by the kill (no answer) may or may not have been stored.
 */
export async function killLoop(options: { dataDir: string; kills: number; minMs: number; maxMs: number; senders: number; log?: (line: string) => void }): Promise<KillLoopReport> {
  const acknowledged = new Set<string>();
  const now = Date.now();
  let failedStarts = 0;
  let request = 0;
  for (let k = 0; k < options.kills; k++) {
    let collector;
    try {
      collector = await spawnCollector(['--port', '0', '--grpc-port', 'off', '--data-dir', options.dataDir, '--retention', '30d']);
    } catch (error) {
      failedStarts++;
      options.log?.(`restart ${k} failed: ${(error as Error).message.slice(0, 300)}`);
      continue;
    }
    let stop = false;
    const sender = async () => {
      while (!stop) {
        const id = `r${request++}`;
        const lines = Array.from({ length: 20 }, (_, j) => `${id} line ${j}`);
        const body = JSON.stringify({
          resourceLogs: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'crash' } }] }, scopeLogs: [{ logRecords: lines.map((line, j) => ({ timeUnixNano: String(BigInt(now + request * 20 + j) * 1_000_000n), body: { stringValue: line }, severityNumber: 9 })) }] }],
        });
        try {
          const res = await fetch(`${collector.url}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
          if (res.status === 200) for (const line of lines) acknowledged.add(line);
          await res.arrayBuffer();
        } catch {
          // Cut off by the kill: no answer, no promise.
          return;
        }
      }
    };
    const senders = Array.from({ length: options.senders }, sender);
    await new Promise((r) => setTimeout(r, options.minMs + Math.random() * (options.maxMs - options.minMs)));
    collector.child.kill('SIGKILL');
    stop = true;
    await exited(collector.child);
    await Promise.all(senders);
    options.log?.(`kill ${k + 1}/${options.kills}: ${acknowledged.size} records acknowledged so far`);
  }

  // Count what survived, through the API of a collector started once more.
  const final = await spawnCollector(['--port', '0', '--grpc-port', 'off', '--data-dir', options.dataDir, '--retention', '30d']).catch(() => null);
  if (final === null) return { kills: options.kills, acknowledged: acknowledged.size, missing: acknowledged.size, duplicated: 0, failedStarts: failedStarts + 1 };
  const seen = new Map<string, number>();
  let cursor: string | null = null;
  do {
    const qs: string = `service=crash&limit=1000&start=${now - 60_000}&end=${now + 10_000_000}${cursor === null ? '' : `&cursor=${cursor}`}`;
    const page = (await (await fetch(`${final.url}/api/logs?${qs}`)).json()) as { data: Array<{ body: string }>; nextCursor: string | null };
    for (const r of page.data) seen.set(r.body, (seen.get(r.body) ?? 0) + 1);
    cursor = page.nextCursor;
  } while (cursor !== null);
  final.child.kill('SIGTERM');
  await exited(final.child);
  let missing = 0;
  for (const line of acknowledged) if (!seen.has(line)) missing++;
  const duplicated = [...seen.values()].filter((n) => n > 1).length;
  return { kills: options.kills, acknowledged: acknowledged.size, missing, duplicated, failedStarts };
}
