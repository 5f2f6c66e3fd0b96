import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A webhook endpoint on a free loopback port that keeps every JSON payload posted to it. */
export interface WebhookReceiverServer {
  url: string;
  payloads: Array<Record<string, unknown>>;
  /** Answers the next `n` posts with this status (to test retries). */
  failNext(n: number, status?: number): void;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiverServer> {
  const payloads: Array<Record<string, unknown>> = [];
  let failures = 0;
  let failStatus = 500;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (failures > 0) {
        failures--;
        res.writeHead(failStatus).end('failing on purpose');
        return;
      }
      payloads.push(JSON.parse(body) as Record<string, unknown>);
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    payloads,
    failNext: (n, status = 500) => {
      failures = n;
      failStatus = status;
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
