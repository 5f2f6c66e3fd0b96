import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCollector } from '../support/collectorProcess.ts';
import { startTestCollector, tempDataDir } from '../support/testCollector.ts';

// TLS on the collector's ports when a certificate is configured: HTTPS for
// OTLP/HTTP, the API and the dashboard, and OTLP/gRPC over TLS. The
// certificate is made here with openssl, for 127.0.0.1.

let dir: string;
let collector: Awaited<ReturnType<typeof startTestCollector>>;
let ca: Buffer;

beforeAll(async () => {
  dir = tempDataDir();
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
    '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { stdio: 'ignore' });
  ca = fs.readFileSync(path.join(dir, 'cert.pem'));
  collector = await startTestCollector(['--tls-cert', path.join(dir, 'cert.pem'), '--tls-key', path.join(dir, 'key.pem'), '--grpc-port', '0']);
});
afterAll(async () => {
  await collector?.stop();
});

function get(url: string, options: https.RequestOptions = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    https.get(url, { ca, ...options }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

describe('TLS on the collector', () => {
  it('serves its API and dashboard over HTTPS with the configured certificate', async () => {
    expect(collector.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(await get(`${collector.url}/healthz`)).toEqual({ status: 200, body: '{"status":"ok"}' });
    expect((await get(`${collector.url}/`)).body).toMatch(/<div id="root">/);
    // A client that does not trust the certificate is refused by TLS itself.
    await expect(get(`${collector.url}/healthz`, { ca: undefined })).rejects.toThrow(/self-signed|certificate/);
  });

  it('takes OTLP/gRPC over TLS', async () => {
    const client = new grpc.Client(`127.0.0.1:${collector.grpcPort}`, grpc.credentials.createSsl(ca));
    const error = await new Promise<grpc.ServiceError | null>((resolve) =>
      client.makeUnaryRequest('/opentelemetry.proto.collector.trace.v1.TraceService/Export', (b: Buffer) => b, (b: Buffer) => b, Buffer.alloc(0), (e) => resolve(e)),
    );
    client.close();
    expect(error).toBeNull(); // an empty export request, accepted
  });

  it('refuses to start with a certificate and no key, naming both', async () => {
    const r = await runCollector(['--port', '0', '--grpc-port', 'off', '--data-dir', tempDataDir(), '--tls-cert', path.join(dir, 'cert.pem')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/tls\.certFile and tls\.keyFile go together/);
  });
});
