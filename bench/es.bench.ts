/**
 * Search-backend benchmark: spans and log records indexed into a real
 * OpenSearch 2 node through a collector (`--storage-backend opensearch`),
 * then trace search, trace by id and logs by trace id at the given size;
 * the same load and lookups on a collector on the embedded store, in the
 * same run, for comparison.
 *
 *   npm run bench -- es                                  # 1M spans + 1M logs each
 *   npm run bench -- es --documents 200000 --seconds 20  # shorter
 *
 * "Indexed" rates count from the first request to the moment the node
 * counts every acknowledged document (the spool drained and refreshed), not
 * to the acknowledgement.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startOpenSearch } from '../scripts/openSearchNode.ts';
import { spawnCollector, type CollectorProcess } from '../collector/test/support/collectorProcess.ts';
import { machineLine, percentile } from './machine.ts';
import { BATCH, OtlpLoad } from './otlpLoad.ts';

const { values } = parseArgs({
  options: {
    documents: { type: 'string', default: '1000000' },
    seconds: { type: 'string', default: '30' },
    concurrency: { type: 'string', default: '4' },
    lookups: { type: 'string', default: '200' },
    heap: { type: 'string', default: '2048' },
  },
});
const DOCUMENTS = Number(values.documents);
const SECONDS = Number(values.seconds);
const CONCURRENCY = Number(values.concurrency);
const LOOKUPS = Number(values.lookups);

console.log(machineLine());
const node = await startOpenSearch({ heapMb: Number(values.heap) });
const version = ((await (await fetch(node.url)).json()) as { version: { number: string } }).version.number;
console.log(`OpenSearch ${version} node at ${node.url} (heap ${values.heap} MiB), home ${node.home}`);

interface Backend {
  name: string;
  collector: CollectorProcess;
  dataDir: string;
  /** Resolves once `count` documents of the kind are searchable. */
  indexed(kind: 'spans' | 'logs', count: number): Promise<void>;
}

async function backend(name: string, flags: string[], indexed: Backend['indexed']): Promise<Backend> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `mirador-bench-${name}-`));
  const collector = await spawnCollector(['--port', '0', '--grpc-port', 'off', '--data-dir', dataDir, '--retention', '30d', ...flags]);
  return { name, collector, dataDir, indexed };
}

/** Polls the node's count of an index pattern until it reaches `count`. */
async function nodeCount(pattern: string, count: number): Promise<void> {
  for (;;) {
    await fetch(`${node.url}/${pattern}/_refresh`, { method: 'POST' });
    const r = (await (await fetch(`${node.url}/${pattern}/_count`)).json()) as { count?: number };
    if ((r.count ?? 0) >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const fmt = (n: number) => Math.round(n).toLocaleString('en');
const ms = (v: number[]) => `p50 ${percentile(v, 50).toFixed(1)} ms, p99 ${percentile(v, 99).toFixed(1)} ms`;
const results: Record<string, Record<string, string>> = {};

async function run(b: Backend): Promise<void> {
  const load = new OtlpLoad(b.collector.url, CONCURRENCY);
  const row: Record<string, string> = {};
  results[b.name] = row;
  console.log(`\n${b.name}: sustained ingest, ${SECONDS} s per kind, ${CONCURRENCY} concurrent senders, batches of ${BATCH}`);
  for (const kind of ['spans', 'logs'] as const) {
    const started = performance.now();
    const acked = await load.drive(kind, SECONDS);
    await b.indexed(kind, load.stored[kind]);
    const indexed = load.stored[kind] / ((performance.now() - started) / 1000);
    row[`${kind}/s acknowledged`] = fmt(acked);
    row[`${kind}/s indexed`] = fmt(indexed);
    console.log(`${kind}: ${fmt(acked)}/s acknowledged, ${fmt(indexed)}/s indexed`);
  }
  console.log(`filling to ${fmt(DOCUMENTS)} spans and ${fmt(DOCUMENTS)} log records`);
  for (const kind of ['spans', 'logs'] as const) {
    if (load.stored[kind] < DOCUMENTS) await load.drive(kind, Infinity, DOCUMENTS - load.stored[kind]);
    await b.indexed(kind, load.stored[kind]);
  }
  const search: number[] = [];
  const filtered: number[] = [];
  for (let i = 0; i < 50; i++) {
    search.push(await load.timed('/api/traces?service=order&limit=20&lookback=1h'));
    filtered.push(await load.timed(`/api/traces?service=gateway&operation=${encodeURIComponent('GET /api/orders/:id')}&tags=${encodeURIComponent(`{"url.path":"/api/orders/${i}"}`)}&minDuration=500us&limit=20&lookback=1h`));
  }
  const { trace, logs } = await load.lookups(LOOKUPS);
  row['trace search, service, limit 20'] = ms(search);
  row['trace search, service + operation + tag + duration'] = ms(filtered);
  row['trace by id'] = ms(trace);
  row['logs by trace id'] = ms(logs);
  console.log(`at ${fmt(load.stored.spans)} spans + ${fmt(load.stored.logs)} log records:`);
  for (const key of Object.keys(row).slice(4)) console.log(`${key}: ${row[key]}`);
}

const searchBackend = await backend('opensearch', ['--storage-backend', 'opensearch', '--search-url', node.url, '--index-replicas', '0'], (kind, count) =>
  nodeCount(`mirador-${kind}-*`, count),
);
try {
  await run(searchBackend);
} finally {
  searchBackend.collector.child.kill('SIGTERM');
}
const embedded = await backend('embedded', [], async () => {
  // An acknowledged batch is in the DuckDB file already.
});
try {
  await run(embedded);
} finally {
  embedded.collector.child.kill('SIGTERM');
}

console.log(`\n${'figure'.padEnd(52)} ${'opensearch'.padEnd(28)} embedded`);
for (const key of Object.keys(results.opensearch!)) console.log(`${key.padEnd(52)} ${results.opensearch![key]!.padEnd(28)} ${results.embedded![key]}`);
await Promise.all([searchBackend, embedded].map((b) => new Promise((r) => (b.collector.child.exitCode !== null ? r(null) : b.collector.child.once('exit', r)))));
await node.stop();
for (const b of [searchBackend, embedded]) fs.rmSync(b.dataDir, { recursive: true, force: true });
fs.rmSync(node.home, { recursive: true, force: true });
