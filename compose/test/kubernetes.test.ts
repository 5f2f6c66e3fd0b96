import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';

// No Kubernetes cluster runs on the test machine: every manifest the
// kustomization lists is loaded through kubernetes-models (typed models of
// the Kubernetes API that validate against its OpenAPI schemas), and the
// pieces that must fit together are checked to fit.

const root = path.resolve(import.meta.dirname, '..', '..');
const dir = path.join(root, 'compose', 'kubernetes');
const bin = path.join(root, 'node_modules', '.bin');
const collectorBin = path.join(root, 'collector', 'bin', 'mirador-collector.js');

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
}
interface Kustomization {
  resources: string[];
  configMapGenerator: Array<{ name: string; files: string[] }>;
  secretGenerator: Array<{ name: string; literals?: string[]; files?: string[] }>;
}

const kustomization = parse(fs.readFileSync(path.join(dir, 'kustomization.yaml'), 'utf8')) as Kustomization;
const manifests: Manifest[] = kustomization.resources.flatMap((file) =>
  parseAllDocuments(fs.readFileSync(path.join(dir, file), 'utf8')).map((d) => d.toJS() as Manifest).filter((m) => m !== null),
);
const find = (kind: string, name: string) => manifests.find((m) => m.kind === kind && m.metadata.name === name)!;

/** Validates a manifest with the kubernetes-models class of its apiVersion and kind; throws with the schema's reasons. */
async function validate(m: Manifest): Promise<void> {
  const module = (await import(`kubernetes-models/${m.apiVersion}/${m.kind}`)) as Record<string, new (data: unknown) => { validate(): void }>;
  const Model = module[m.kind] ?? module.default!;
  new Model(m).validate();
}

type Container = { name: string; image: string; resources?: { requests?: object; limits?: object }; readinessProbe?: { httpGet: { path: string } }; livenessProbe?: { httpGet: { path: string } } };
const podSpec = (d: Manifest) => (d.spec as { template: { metadata: { labels: Record<string, string> }; spec: { containers: Container[]; volumes?: Array<{ configMap?: { name: string } }> } } }).template;

describe('compose/kubernetes', () => {
  it('holds only manifests that the Kubernetes API schemas accept', async () => {
    expect(manifests.length).toBeGreaterThan(10);
    for (const m of manifests) await expect(validate(m), `${m.kind}/${m.metadata.name}`).resolves.toBeUndefined();
  });

  it('would catch a manifest the API refuses', async () => {
    const broken = structuredClone(find('Deployment', 'mirador-collector'));
    (broken.spec as { replicas: unknown }).replicas = 'two';
    await expect(validate(broken)).rejects.toThrow(/replicas/);
  });

  it('runs the collector as several replicas with probes, resources, an autoscaler and a disruption budget that all point at it', () => {
    const deployment = find('Deployment', 'mirador-collector');
    expect((deployment.spec as { replicas: number }).replicas).toBeGreaterThanOrEqual(2);
    const template = podSpec(deployment);
    const container = template.spec.containers[0]!;
    expect(container.readinessProbe?.httpGet.path).toBe('/readyz');
    expect(container.livenessProbe?.httpGet.path).toBe('/healthz');
    const labels = template.metadata.labels;
    const selects = (selector: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);
    expect(selects((find('Service', 'mirador-collector').spec as { selector: Record<string, string> }).selector)).toBe(true);
    expect(selects((find('PodDisruptionBudget', 'mirador-collector').spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels)).toBe(true);
    const hpa = find('HorizontalPodAutoscaler', 'mirador-collector').spec as { scaleTargetRef: { kind: string; name: string }; minReplicas: number; metrics: Array<{ resource: { name: string } }> };
    expect(hpa.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: 'mirador-collector' });
    expect(hpa.minReplicas).toBeGreaterThanOrEqual(2);
    expect(hpa.metrics[0]!.resource.name).toBe('cpu');
  });

  it('sets resource requests and limits on every container, and probes on every service', () => {
    for (const d of manifests.filter((m) => m.kind === 'Deployment')) {
      for (const c of podSpec(d).spec.containers) {
        expect(c.resources?.requests, `${d.metadata.name}/${c.name}`).toBeDefined();
        expect(c.resources?.limits, `${d.metadata.name}/${c.name}`).toBeDefined();
        expect(c.readinessProbe, `${d.metadata.name}/${c.name}`).toBeDefined();
      }
    }
  });

  it('refers only to ConfigMaps and Secrets it defines or generates', () => {
    const configMaps = new Set([...manifests.filter((m) => m.kind === 'ConfigMap').map((m) => m.metadata.name), ...kustomization.configMapGenerator.map((g) => g.name)]);
    const secrets = new Set(kustomization.secretGenerator.map((g) => g.name));
    const text = JSON.stringify(manifests.filter((m) => m.kind === 'Deployment'));
    for (const m of text.matchAll(/"configMapRef":\{"name":"([^"]+)"\}|"configMap":\{"name":"([^"]+)"\}/g)) expect(configMaps).toContain(m[1] ?? m[2]);
    for (const m of text.matchAll(/"secretKeyRef":\{"name":"([^"]+)"|"secretName":"([^"]+)"/g)) expect(secrets).toContain(m[1] ?? m[2]);
    for (const g of kustomization.secretGenerator) for (const f of g.files ?? []) expect(fs.existsSync(path.join(dir, f)), f).toBe(true);
  });

  it('generates the rules ConfigMap from rule files the collector accepts', () => {
    const files = kustomization.configMapGenerator.find((g) => g.name === 'mirador-rules')!.files.map((f) => path.resolve(dir, f));
    for (const f of files) expect(fs.existsSync(f), f).toBe(true);
    const r = spawnSync(path.join(bin, 'node'), [collectorBin, 'check-rules', ...files], { encoding: 'utf8' });
    expect(r.status).toBe(0);
  });

  it("gives the collector a configuration it accepts (its ConfigMap and secret, as the pod's environment)", () => {
    const literal = (key: string) => kustomization.secretGenerator.find((g) => g.name === 'mirador-ingest-tokens')!.literals!.find((l) => l.startsWith(`${key}=`))!.slice(key.length + 1);
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, ...find('ConfigMap', 'mirador-collector').data, MIRADOR_SEARCH_PASSWORD: 'from-the-secret', MIRADOR_REPLICA_NAME: 'mirador-collector-0', MIRADOR_INGEST_TOKENS: literal('collector') };
    env.MIRADOR_RULES = path.join(root, 'alert-rules', '*.yaml');
    // The users file as the secret mounts it, and the session key from its secret.
    expect(env.MIRADOR_USERS_FILE).toBe('/etc/mirador/users/users.yaml');
    env.MIRADOR_USERS_FILE = path.join(dir, kustomization.secretGenerator.find((g) => g.name === 'mirador-users')!.files![0]!);
    env.MIRADOR_SESSION_SECRET = kustomization.secretGenerator.find((g) => g.name === 'mirador-session')!.literals![0]!.replace(/^secret=/, '');
    expect(env.MIRADOR_INSECURE).toBeUndefined();
    env.MIRADOR_DATA_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'mirador-k8s-data-'));
    const r = spawnSync(path.join(bin, 'node'), [collectorBin, 'check-config'], { env, encoding: 'utf8' });
    expect(r.stdout).toMatch(/^config OK: listens on 0\.0\.0\.0:4318; spans and logs: elasticsearch http:\/\/elasticsearch:9200; metrics: remote write to http:\/\/prometheus:9090\/api\/v1\/write;.*; 5 ingest tokens; 2 users and API tokens$/m);
    expect(r.status).toBe(0);
    // Each service with the agent gets the token the collector's list has for it.
    const list = new Map(literal('collector').split(',').map((pair) => pair.split('=') as [string, string]));
    for (const name of ['gateway', 'order', 'catalog', 'inventory', 'payment']) {
      const container = podSpec(find('Deployment', name)).spec.containers[0] as unknown as { env: Array<{ name: string; valueFrom?: { secretKeyRef: { key: string } } }> };
      const key = container.env.find((e) => e.name === 'MIRADOR_INGEST_TOKEN')!.valueFrom!.secretKeyRef.key;
      expect(list.get(name), name).toBe(literal(key));
    }
  });
});
