/**
 * The agent's socket HTTP client and its OTLP transport, against real Node
 * HTTP servers (and a raw TCP server for answers Node's server does not
 * write): what a POST carries, how every framing of an answer is read,
 * keep-alive and a connection the server closed meanwhile, deadlines, refused
 * connections, and which answers an export retries (user journey 3: the
 * collector slow or refusing, data flowing again afterwards).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { convertLegacyHttpOptions } from '@opentelemetry/otlp-exporter-base/node-http';
import { retrying, socketTransport } from '../src/otlpSocketExport.ts';
import { HttpExchangeError, SocketHttpClient } from '../src/socketHttp.ts';

const closers: Array<() => void> = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

interface Received {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A Node HTTP server on a free loopback port; `handle` answers each request once its body is read. */
async function server(handle: (req: Received, res: http.ServerResponse, n: number) => void): Promise<{ url: string; received: Received[]; connections: () => number; server: http.Server }> {
  const received: Received[] = [];
  let connections = 0;
  const s = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      const r = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body };
      received.push(r);
      handle(r, res, received.length);
    });
  });
  s.on('connection', () => connections++);
  return { url: await listening(s, 'http'), received, connections: () => connections, server: s };
}

/** Listens on a free loopback port, closed after the test; returns the server's base URL. */
async function listening(s: http.Server | https.Server, scheme: 'http' | 'https'): Promise<string> {
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  closers.push(() => {
    s.closeAllConnections();
    s.close();
  });
  return `${scheme}://127.0.0.1:${(s.address() as net.AddressInfo).port}`;
}

/** A raw TCP server that answers every request's bytes with `answer` (written as given), then does what `after` says. */
async function rawServer(answer: string, after: 'end' | 'keep' = 'end'): Promise<string> {
  const s = net.createServer((socket) => {
    socket.once('data', () => {
      socket.write(answer);
      if (after === 'end') socket.end();
    });
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  closers.push(() => s.close());
  return `http://127.0.0.1:${(s.address() as net.AddressInfo).port}`;
}

function newClient(): SocketHttpClient {
  const client = new SocketHttpClient();
  closers.push(() => client.close());
  return client;
}

describe('SocketHttpClient', () => {
  it('POSTs the body with its headers, Host and Content-Length, and reads the answer', async () => {
    const s = await server((_req, res) => res.writeHead(201, { 'x-answer': 'yes', 'content-type': 'text/plain' }).end('taken'));
    const body = Buffer.from('é'.repeat(3000)); // several TCP segments, not ASCII
    const answer = await newClient().post(new URL(`${s.url}/v1/traces?x=1`), { 'Content-Type': 'application/x-protobuf', Authorization: 'Bearer t' }, body, 5000);
    expect(answer.statusCode).toBe(201);
    expect(answer.statusMessage).toBe('Created');
    expect(answer.headers['x-answer']).toBe('yes');
    expect(answer.body.toString()).toBe('taken');
    const [r] = s.received;
    expect(r!.method).toBe('POST');
    expect(r!.path).toBe('/v1/traces?x=1');
    expect(r!.headers.host).toBe(new URL(s.url).host);
    expect(r!.headers['content-length']).toBe(String(body.length));
    expect(r!.headers['content-type']).toBe('application/x-protobuf');
    expect(r!.headers.authorization).toBe('Bearer t');
    expect(r!.body).toBe('é'.repeat(3000));
  });

  it('reads a chunked answer, and an answer that ends with the connection', async () => {
    const chunked = await server((_req, res) => {
      res.writeHead(200);
      res.write('first,');
      setTimeout(() => res.end('second'), 20);
    });
    const client = newClient();
    expect((await client.post(new URL(chunked.url), {}, 'x', 5000)).body.toString()).toBe('first,second');
    const untilClose = await rawServer('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it');
    expect((await client.post(new URL(untilClose), {}, 'x', 5000)).body.toString()).toBe('all of it');
    const withInterim = await rawServer('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n');
    expect((await client.post(new URL(withInterim), {}, 'x', 5000)).statusCode).toBe(204);
  });

  it('keeps the connection for the next POST, and sends again on a new one when the server had closed it', async () => {
    const s = await server((_req, res) => res.end('ok'));
    const client = newClient();
    for (let i = 0; i < 3; i++) expect((await client.post(new URL(s.url), {}, `n${i}`, 5000)).statusCode).toBe(200);
    expect(s.connections()).toBe(1);
    // The server drops its idle connections behind the client's back; the next POST still gets through.
    s.server.closeIdleConnections();
    await new Promise((r) => setTimeout(r, 50));
    expect((await client.post(new URL(s.url), {}, 'after', 5000)).statusCode).toBe(200);
    expect(s.connections()).toBe(2);
    expect(s.received.map((r) => r.body)).toEqual(['n0', 'n1', 'n2', 'after']);
  });

  it('closes the connection when the answer says Connection: close', async () => {
    const s = await server((_req, res) => res.writeHead(200, { connection: 'close' }).end());
    const client = newClient();
    await client.post(new URL(s.url), {}, 'a', 5000);
    await client.post(new URL(s.url), {}, 'b', 5000);
    expect(s.connections()).toBe(2);
  });

  it('fails with ETIMEDOUT when no answer comes in time, and with the socket error when the connection is refused', async () => {
    const silent = await server(() => {});
    const client = newClient();
    const started = Date.now();
    const timedOut = await client.post(new URL(silent.url), {}, 'x', 200).catch((e: unknown) => e);
    expect(timedOut).toBeInstanceOf(HttpExchangeError);
    expect((timedOut as HttpExchangeError).code).toBe('ETIMEDOUT');
    expect(Date.now() - started).toBeLessThan(2000);

    const free = net.createServer();
    await new Promise<void>((r) => free.listen(0, '127.0.0.1', () => r()));
    const port = (free.address() as net.AddressInfo).port;
    await new Promise((r) => free.close(r));
    const refused = await client.post(new URL(`http://127.0.0.1:${port}`), {}, 'x', 2000).catch((e: unknown) => e);
    expect((refused as HttpExchangeError).code).toBe('ECONNREFUSED');
  });

  it('fails on a malformed answer and on a header value holding a line break', async () => {
    const garbage = await rawServer('SMTP ready\r\n\r\n');
    const client = newClient();
    const malformed = await client.post(new URL(garbage), {}, 'x', 2000).catch((e: unknown) => e);
    expect((malformed as HttpExchangeError).code).toBe('EPROTO');
    const s = await server((_req, res) => res.end());
    await expect(client.post(new URL(s.url), { 'x-evil': 'a\r\nx-injected: 1' }, 'x', 2000)).rejects.toThrow(/line break/);
    expect(s.received).toHaveLength(0);
  });
});

describe('the OTLP transport over it', () => {
  const config = (url: string, timeoutMillis = 5000) => convertLegacyHttpOptions({ url, timeoutMillis, headers: { authorization: 'Bearer k' } }, 'TRACES', 'v1/traces', { 'Content-Type': 'application/x-protobuf' });

  it('retries a 503 after its Retry-After, then succeeds with the same bytes', async () => {
    const s = await server((_req, res, n) => (n === 1 ? res.writeHead(503, { 'retry-after': '1' }).end() : res.end()));
    const started = Date.now();
    const result = await retrying(socketTransport(config(`${s.url}/v1/traces`))).send(new Uint8Array([1, 2, 3]), 5000);
    expect(result.status).toBe('success');
    expect(s.received).toHaveLength(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(s.received.map((r) => [r.headers['content-type'], r.headers.authorization, r.headers['content-length']])).toEqual([
      ['application/x-protobuf', 'Bearer k', '3'],
      ['application/x-protobuf', 'Bearer k', '3'],
    ]);
  });

  it('does not retry a 400, and gives up when the next wait would pass the timeout', async () => {
    const bad = await server((_req, res) => res.writeHead(400).end('no such field: spans'));
    const rejected = await retrying(socketTransport(config(`${bad.url}/v1/traces`))).send(new Uint8Array([1]), 5000);
    expect(rejected.status).toBe('failure');
    expect(rejected.status === 'failure' && rejected.error.message).toContain('Bad Request');
    expect(bad.received).toHaveLength(1);

    const busy = await server((_req, res) => res.writeHead(429, { 'retry-after': '30' }).end());
    const started = Date.now();
    const gaveUp = await retrying(socketTransport(config(`${busy.url}/v1/traces`, 2000))).send(new Uint8Array([1]), 2000);
    expect(gaveUp.status).toBe('retryable');
    expect(busy.received).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('sends over TLS, trusting the root certificate named by OTEL_EXPORTER_OTLP_CERTIFICATE', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mirador-tls-'));
    closers.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const [keyFile, certFile] = [path.join(dir, 'key.pem'), path.join(dir, 'cert.pem')];
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', keyFile, '-out', certFile], { stdio: 'ignore' });
    const bodies: string[] = [];
    const s = https.createServer({ key: fs.readFileSync(keyFile), cert: fs.readFileSync(certFile) }, (req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        bodies.push(body);
        res.end();
      });
    });
    const url = `${await listening(s, 'https')}/v1/traces`;
    const untrusted = await socketTransport(config(url)).send(new TextEncoder().encode('first'), 3000);
    expect(untrusted.status).toBe('failure'); // a self-signed certificate, not trusted by default
    process.env.OTEL_EXPORTER_OTLP_CERTIFICATE = certFile;
    try {
      const trusted = await socketTransport(config(url)).send(new TextEncoder().encode('second'), 3000);
      expect(trusted.status).toBe('success');
    } finally {
      delete process.env.OTEL_EXPORTER_OTLP_CERTIFICATE;
    }
    expect(bodies).toEqual(['second']);
  });

  it('gzips the body when OTEL_EXPORTER_OTLP_COMPRESSION=gzip', async () => {
    const seen: Array<{ encoding: string | undefined; body: Buffer }> = [];
    const s = http.createServer((req, res) => {
      const parts: Buffer[] = [];
      req.on('data', (c: Buffer) => parts.push(c));
      req.on('end', () => {
        seen.push({ encoding: req.headers['content-encoding'], body: Buffer.concat(parts) });
        res.end();
      });
    });
    const url = `${await listening(s, 'http')}/v1/traces`;
    const data = new TextEncoder().encode('span bytes '.repeat(100));
    process.env.OTEL_EXPORTER_OTLP_COMPRESSION = 'gzip';
    try {
      expect((await socketTransport(config(url)).send(data, 3000)).status).toBe('success');
    } finally {
      delete process.env.OTEL_EXPORTER_OTLP_COMPRESSION;
    }
    expect(seen[0]!.encoding).toBe('gzip');
    expect(seen[0]!.body.length).toBeLessThan(data.length);
    expect(zlib.gunzipSync(seen[0]!.body).toString()).toBe('span bytes '.repeat(100));
  });
});
