import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

// No Docker engine runs on the test machine, so the compose stack is checked
// for what can be checked without one: the file against the Compose
// specification, every config it mounts with the tool that reads it, the
// collector's configuration exactly as compose passes it, and that every
// image's build context, Dockerfile, copied paths and entry point exist.

const root = path.resolve(import.meta.dirname, '..', '..');
const composeDir = path.join(root, 'compose');
const composeFile = path.join(composeDir, 'docker-compose.yml');
const bin = path.join(root, 'node_modules', '.bin');
const collectorBin = path.join(root, 'collector', 'bin', 'mirador-collector.js');

interface Service {
  build?: { context: string; dockerfile: string };
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  profiles?: string[];
}
const compose = parse(fs.readFileSync(composeFile, 'utf8'), { merge: true }) as { services: Record<string, Service>; volumes: Record<string, unknown> };

/** Compose's interpolation of `${VAR:-default}` with an empty environment (the defaults a fresh checkout gets). */
const interpolate = (value: string) => value.replace(/\$\{(\w+):-([^}]*)\}/g, (_m, _name: string, fallback: string) => fallback);

function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env) {
  const r = spawnSync(command, args, { env, encoding: 'utf8' });
  return { code: r.status, output: `${r.stdout}${r.stderr}` };
}

describe('compose/docker-compose.yml', () => {
  it('follows the Compose specification (dclint validates it against the schema)', () => {
    const r = run(path.join(bin, 'dclint'), ['-q', '--no-color', composeFile]);
    expect(r.output.trim()).toBe('');
    expect(r.code).toBe(0);
  });

  it('is refused by the same check when a service has a key the specification does not know', () => {
    const broken = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mirador-compose-')), 'docker-compose.yml');
    fs.writeFileSync(broken, fs.readFileSync(composeFile, 'utf8').replace(/^ {2}collector:\n/m, '  collector:\n    replicaz: 2\n'));
    const r = run(path.join(bin, 'dclint'), ['-q', '--no-color', broken]);
    expect(r.code).not.toBe(0);
    expect(r.output, r.output).toMatch(/additional properties/);
  });

  it('mounts a Prometheus config promtool accepts, with the remote-write receiver on', () => {
    const r = run('promtool', ['check', 'config', path.join(composeDir, 'prometheus', 'prometheus.yml')]);
    expect(r.output).toMatch(/SUCCESS/);
    expect(r.code).toBe(0);
    expect(compose.services.prometheus!.command).toContain('--web.enable-remote-write-receiver');
  });

  it('mounts an Alertmanager config amtool accepts, routing to a webhook', () => {
    const r = run('amtool', ['check-config', path.join(composeDir, 'alertmanager', 'alertmanager.yml')]);
    expect(r.output).toMatch(/SUCCESS/);
    expect(r.code).toBe(0);
    expect(r.output).toMatch(/1 receivers/);
  });

  it("mounts rule files the collector's check-rules accepts", () => {
    const mount = compose.services.collector!.volumes!.find((v) => v.endsWith(':/etc/mirador/rules:ro'))!;
    const rulesDir = path.resolve(composeDir, mount.split(':')[0]!);
    const files = fs.readdirSync(rulesDir).filter((f) => f.endsWith('.yaml')).map((f) => path.join(rulesDir, f));
    expect(files.length).toBeGreaterThan(0);
    const r = run(path.join(bin, 'node'), [collectorBin, 'check-rules', ...files]);
    expect(r.code).toBe(0);
  });

  it("gives the collector a configuration it accepts: scale-out (Elasticsearch, remote write, Alertmanager) on all interfaces", () => {
    const service = compose.services.collector!;
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH };
    for (const [k, v] of Object.entries(service.environment!)) env[k] = interpolate(String(v));
    // The rules directory as the container sees it, mapped back to the mounted one.
    const mount = service.volumes!.find((v) => v.endsWith(':/etc/mirador/rules:ro'))!;
    env.MIRADOR_RULES = env.MIRADOR_RULES!.replace('/etc/mirador/rules', path.resolve(composeDir, mount.split(':')[0]!));
    const users = service.volumes!.find((v) => v.endsWith(':/etc/mirador/users.yaml:ro'))!;
    env.MIRADOR_USERS_FILE = path.resolve(composeDir, users.split(':')[0]!);
    env.MIRADOR_DATA_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'mirador-compose-data-'));
    const r = run(path.join(bin, 'node'), [collectorBin, 'check-config'], env);
    expect(r.output).toMatch(/^config OK: listens on 0\.0\.0\.0:4318; spans and logs: elasticsearch http:\/\/elasticsearch:9200; metrics: remote write to http:\/\/prometheus:9090\/api\/v1\/write; \d+ rule groups, \d+ rules; 1 notification receivers; 5 ingest tokens; 2 users and API tokens$/m);
    expect(r.code).toBe(0);
    expect(env.MIRADOR_INSECURE).toBeUndefined(); // it listens beyond loopback because users and tokens are set
    // Without the users file the same configuration is refused.
    const refused = run(path.join(bin, 'node'), [collectorBin, 'check-config'], { ...env, MIRADOR_USERS_FILE: '' });
    expect(refused.code).toBe(2);
    expect(refused.output).toMatch(/host: 0\.0\.0\.0 would let anyone who reaches it read every trace, log and metric \(give --users-file\)/);
  });

  it('builds every image from a context, Dockerfile, copied paths and entry point that exist', () => {
    const built = Object.entries(compose.services).filter(([, s]) => s.build !== undefined);
    expect(built.map(([name]) => name).sort()).toEqual(['catalog', 'collector', 'gateway', 'inventory', 'loadgen', 'order', 'payment']);
    for (const [name, service] of built) {
      const context = path.resolve(composeDir, service.build!.context);
      const dockerfile = path.join(context, service.build!.dockerfile);
      expect(fs.existsSync(dockerfile), `${name}: ${dockerfile}`).toBe(true);
      const text = fs.readFileSync(dockerfile, 'utf8');
      // Every COPY from the build context (not from an earlier stage) names paths that exist.
      for (const m of text.matchAll(/^COPY (?!--from)(.+)$/gm)) {
        const sources = m[1]!.trim().split(/\s+/).slice(0, -1);
        for (const source of sources) expect(fs.existsSync(path.join(context, source)), `${name}: COPY ${source}`).toBe(true);
      }
      const entry = JSON.parse(/^ENTRYPOINT (.+)$/m.exec(text)![1]!) as string[];
      const entryFile = entry.find((part) => /\.(js|ts|sh)$/.test(part) || part.startsWith('/usr/local/bin/'))!;
      const inContext = entryFile.startsWith('/usr/local/bin/')
        ? path.join(context, /^COPY (\S+) (\S+)$/m.exec(text.split('\n').filter((l) => l.includes(entryFile)).join('\n'))![1]!)
        : path.join(context, entryFile);
      expect(fs.existsSync(inContext), `${name}: entry point ${entryFile}`).toBe(true);
      // A sample component's command names a component the entry script starts, whose source exists.
      if (name !== 'collector') {
        expect(service.command).toEqual([name]);
        expect(fs.existsSync(path.join(root, 'sample-services', 'src', `${name}.ts`))).toBe(true);
        expect(fs.readFileSync(path.join(composeDir, 'start-service.sh'), 'utf8')).toContain(name);
      }
    }
  });

  it('mounts files that exist and declares every named volume it uses', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0]!;
        if (source.startsWith('.')) expect(fs.existsSync(path.resolve(composeDir, source)), `${name}: ${source}`).toBe(true);
        else expect(compose.volumes, `${name}: volume ${source}`).toHaveProperty(source);
      }
    }
  });

  it('gives every service with the agent the ingest token the collector expects of it', () => {
    const tokens = new Map(interpolate(compose.services.collector!.environment!.MIRADOR_INGEST_TOKENS!).split(',').map((pair) => pair.split('=') as [string, string]));
    for (const name of ['gateway', 'order', 'catalog', 'inventory', 'payment']) {
      const env = compose.services[name]!.environment!;
      expect(tokens.get(env.OTEL_SERVICE_NAME!), name).toBe(interpolate(env.MIRADOR_INGEST_TOKEN!));
    }
  });

  it('publishes ports on loopback only', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      for (const port of (service as { ports?: string[] }).ports ?? []) expect(port, name).toMatch(/^127\.0\.0\.1:/);
    }
  });

  it('builds with the repository as context, so the Dockerfiles see the lock file', () => {
    expect(execFileSync('git', ['-C', root, 'ls-files', 'package-lock.json'], { encoding: 'utf8' }).trim()).toBe('package-lock.json');
    expect(fs.readFileSync(path.join(root, '.dockerignore'), 'utf8')).toMatch(/node_modules/);
  });
});
