import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { otlpTypes } from '../src/otlp/otlpSchema.ts';
import { exited, runCollector, spawnCollector, type CollectorProcess } from './support/collectorProcess.ts';
import { getJson, tempDataDir } from './support/testCollector.ts';

const running: CollectorProcess[] = [];
afterEach(() => {
  for (const p of running.splice(0)) p.child.kill('SIGKILL');
});

async function start(args: string[], env: Record<string, string> = {}) {
  const p = await spawnCollector(['--port', '0', '--grpc-port', 'off', ...args], env);
  running.push(p);
  return p;
}

describe('mirador-collector', () => {
  it('lists every option with its flag, config key, environment variable and default in --help', async () => {
    const { code, stdout } = await runCollector(['--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/--port PORT\s+HTTP port.*\(default 4318\) \[key port, env MIRADOR_PORT\]/);
    expect(stdout).toMatch(/--data-dir STRING.*\(default "\.\/data"\)/);
    expect(stdout).toMatch(/--rules STRING/);
    expect(stdout).toMatch(/--config FILE/);
  });

  it('refuses an unknown flag with exit code 2 and points to --help', async () => {
    const { code, stderr } = await runCollector(['--prot', '1']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/Unknown option '--prot'.*\n.*--help/);
  });

  it('refuses a config file with a bad value, naming the file, the line and what was expected', async () => {
    const dir = tempDataDir();
    const file = path.join(dir, 'mirador.yaml');
    fs.writeFileSync(file, 'port: 4318\nlimits:\n  maxBodyBytes: lots\n');
    const { code, stderr } = await runCollector(['--config', file]);
    expect(code).toBe(2);
    expect(stderr).toContain(`${file}:3: limits.maxBodyBytes: expected a size such as 16MiB or 1048576, got "lots"`);
  });

  it('refuses an unknown key and broken YAML in the config file with their lines', async () => {
    const dir = tempDataDir();
    const unknown = path.join(dir, 'unknown.yaml');
    fs.writeFileSync(unknown, 'host: 127.0.0.1\n\nretension: 3d\n');
    const r1 = await runCollector(['--config', unknown]);
    expect(r1.stderr).toContain(`${unknown}:3: unknown option "retension"`);
    const broken = path.join(dir, 'broken.yaml');
    fs.writeFileSync(broken, 'port: 4318\nlimits: [\n');
    const r2 = await runCollector(['--config', broken]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(new RegExp(`${broken.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+: `));
  });

  it('takes options from flags over environment over config file', async () => {
    const dir = tempDataDir();
    const file = path.join(dir, 'mirador.yaml');
    fs.writeFileSync(file, `dataDir: ${path.join(dir, 'from-file')}\nlogLevel: debug\n`);
    const p = await start(['--config', file, '--data-dir', path.join(dir, 'from-flag')], { MIRADOR_DATA_DIR: path.join(dir, 'from-env') });
    expect(p.output()).toContain(`dataDir=${path.join(dir, 'from-flag')}`);
    expect(fs.existsSync(path.join(dir, 'from-flag', 'mirador.duckdb'))).toBe(true);
  });

  it('serves /healthz, /readyz and its own metrics', async () => {
    const p = await start(['--data-dir', tempDataDir()]);
    expect((await getJson(p.url, '/healthz')).body).toEqual({ status: 'ok' });
    expect((await getJson(p.url, '/readyz')).body).toEqual({ status: 'ready' });
    const metrics = await (await fetch(p.url + '/metrics')).text();
    expect(metrics).toContain('mirador_pipeline_queue_items');
    expect(metrics).toContain('mirador_process_resident_memory_bytes');
  });

  it('loses nothing it answered 200 for when killed with SIGKILL, and serves it after a restart', async () => {
    const dataDir = tempDataDir();
    const first = await start(['--data-dir', dataDir]);
    const now = BigInt(Date.now()) * 1_000_000n;
    const traceIds: string[] = [];
    for (let batch = 0; batch < 20; batch++) {
      const spans = Array.from({ length: 50 }, (_, i) => ({
        traceId: Buffer.from(`${batch.toString().padStart(8, '0')}${i.toString().padStart(8, '0')}`),
        spanId: Buffer.alloc(8, i + 1),
        name: `op-${i}`,
        kind: 2,
        startTimeUnixNano: (now - 1_000_000n).toString(),
        endTimeUnixNano: now.toString(),
      }));
      traceIds.push(...spans.map((s) => s.traceId.toString('hex')));
      const body = otlpTypes.traceRequest.encode(otlpTypes.traceRequest.fromObject({ resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'durable' } }] }, scopeSpans: [{ spans }] }] })).finish();
      const res = await fetch(first.url + '/v1/traces', { method: 'POST', body: Buffer.from(body), headers: { 'content-type': 'application/x-protobuf' } });
      expect(res.status).toBe(200);
    }
    const logBody = JSON.stringify({
      resourceLogs: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'durable' } }] }, scopeLogs: [{ logRecords: [{ timeUnixNano: now.toString(), body: { stringValue: 'last words' }, traceId: traceIds[0], severityNumber: 9 }] }] }],
    });
    expect((await fetch(first.url + '/v1/logs', { method: 'POST', body: logBody, headers: { 'content-type': 'application/json' } })).status).toBe(200);
    first.child.kill('SIGKILL');
    await exited(first.child);

    const second = await start(['--data-dir', dataDir]);
    for (const id of [traceIds[0]!, traceIds[499]!, traceIds[999]!]) {
      const { status } = await getJson(second.url, `/api/traces/${id}`);
      expect(status).toBe(200);
    }
    const search = await getJson<{ data: unknown[] }>(second.url, '/api/traces?service=durable&limit=1500&lookback=1h');
    expect(search.body.data).toHaveLength(1000);
    const logs = await getJson<{ data: Array<{ body: string }> }>(second.url, `/api/logs?traceId=${traceIds[0]}`);
    expect(logs.body.data.map((l) => l.body)).toEqual(['last words']);
  });

  it('writes queued data and exits 0 on SIGTERM', async () => {
    const p = await start(['--data-dir', tempDataDir()]);
    p.child.kill('SIGTERM');
    expect(await exited(p.child)).toBe(0);
    expect(p.output()).toContain('collector stopped');
  });
});

describe('mirador-collector stopped from a terminal', () => {
  it('absorbs a second SIGINT (Ctrl-C reaches the launcher and the collector) and still stops cleanly', async () => {
    const p = await start(['--data-dir', tempDataDir()]);
    p.child.kill('SIGINT');
    p.child.kill('SIGINT');
    expect(await exited(p.child)).toBe(0);
    expect(p.output()).toContain('collector stopped');
  });
});
