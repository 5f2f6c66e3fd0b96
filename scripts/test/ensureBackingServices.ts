/**
 * Vitest global setup: the tests use a real RabbitMQ (AMQP_URL, default
 * 127.0.0.1:5672), PostgreSQL (DATABASE_URL, default 127.0.0.1:5432,
 * database `test`) and the `prometheus` and `prometheus-alertmanager`
 * binaries, Chromium for the browser tests, and Java with Maven for the
 * OpenSearch node (whose jars are fetched from Maven Central here, once).
 * When one is missing on this machine, Debian's `rabbitmq-server`,
 * `postgresql`, `prometheus`, `prometheus-alertmanager`, `chromium`,
 * `openjdk-17-jdk-headless`, `maven` or `openssl` is installed (as root, through
 * apt-get) and the servers started here, so
 * `npm test` passes on a machine that has none of them. Each step is
 * idempotent; a step that cannot be done says why.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import pg from 'pg';
import { ensureOpenSearchJars as fetchOpenSearchJars } from '../openSearchNode.ts';
import { portAnswers } from '../portAnswers.ts';

const AMQP = new URL(process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672');
const DATABASE = new URL(process.env.DATABASE_URL ?? 'postgres://postgres:postgres@127.0.0.1:5432/test');


async function waitFor(host: string, port: number, what: string, seconds: number): Promise<void> {
  for (let i = 0; i < seconds * 2; i++) {
    if (await portAnswers(host, port)) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${what} did not come up on ${host}:${port} within ${seconds} s`);
}

function run(command: string, args: string[]): void {
  execFileSync(command, args, { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}

let aptUpdated = false;
function aptInstall(pkg: string): void {
  if (process.getuid?.() !== 0) throw new Error(`${pkg} is not running and installing it needs root (apt-get install ${pkg})`);
  if (!aptUpdated) run('apt-get', ['update', '-qq']);
  aptUpdated = true;
  run('apt-get', ['install', '-y', '-qq', pkg]);
}

const installed = (binary: string) => ['/usr/sbin', '/usr/bin', '/usr/lib/rabbitmq/bin'].some((dir) => fs.existsSync(`${dir}/${binary}`));

async function ensureRabbitMq(): Promise<void> {
  const local = ['127.0.0.1', 'localhost'].includes(AMQP.hostname);
  if (!local || (await portAnswers(AMQP.hostname, Number(AMQP.port || 5672)))) return;
  console.log('[test setup] RabbitMQ does not answer; installing and starting rabbitmq-server');
  if (!installed('rabbitmq-server')) aptInstall('rabbitmq-server');
  run('service', ['rabbitmq-server', 'start']);
  await waitFor(AMQP.hostname, Number(AMQP.port || 5672), 'RabbitMQ', 90);
}

async function ensurePostgres(): Promise<void> {
  const local = ['127.0.0.1', 'localhost'].includes(DATABASE.hostname);
  const port = Number(DATABASE.port || 5432);
  if (!local) return;
  if (!(await portAnswers(DATABASE.hostname, port))) {
    console.log('[test setup] PostgreSQL does not answer; installing and starting postgresql');
    if (!installed('pg_ctlcluster')) aptInstall('postgresql');
    run('service', ['postgresql', 'start']);
    await waitFor(DATABASE.hostname, port, 'PostgreSQL', 60);
    // A fresh cluster asks TCP clients for a password: give the test user the one in the URL.
    const password = decodeURIComponent(DATABASE.password);
    if (password !== '') run('su', ['postgres', '-c', `psql -q -c "ALTER USER ${DATABASE.username || 'postgres'} PASSWORD '${password.replace(/'/g, "''")}'"`]);
  }
  // The database the tests use exists.
  const database = DATABASE.pathname.slice(1) || 'test';
  const admin = new URL(DATABASE);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (rowCount === 0) await client.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
  } finally {
    await client.end();
  }
}

/** The Prometheus the interop tests start themselves (Debian's 2.42, the version the PromQL semantics follow). */
function ensurePrometheus(): void {
  if (installed('prometheus')) return;
  console.log('[test setup] prometheus is not installed; installing Debian\'s prometheus');
  aptInstall('prometheus');
}

/** The Alertmanager the alerting tests start themselves (Debian's prometheus-alertmanager). */
function ensureAlertmanager(): void {
  if (installed('prometheus-alertmanager')) return;
  console.log('[test setup] prometheus-alertmanager is not installed; installing Debian\'s prometheus-alertmanager');
  aptInstall('prometheus-alertmanager');
}

/** The Chromium the browser tests drive (Debian's, headless). */
function ensureChromium(): void {
  if (installed('chromium')) return;
  console.log('[test setup] chromium is not installed; installing Debian\'s chromium');
  aptInstall('chromium');
}

/** The OpenSearch node the search-backend tests start (a JVM on Maven Central jars, fetched here once). */
function ensureOpenSearchJars(): void {
  if (!installed('java')) aptInstall('openjdk-17-jdk-headless');
  if (!installed('mvn')) aptInstall('maven');
  fetchOpenSearchJars();
}

/** openssl makes the TLS test's certificate. */
function ensureOpenssl(): void {
  if (!installed('openssl')) aptInstall('openssl');
}

export default async function setup(): Promise<void> {
  await ensureRabbitMq();
  await ensurePostgres();
  ensurePrometheus();
  ensureAlertmanager();
  ensureChromium();
  ensureOpenSearchJars();
  ensureOpenssl();
}
