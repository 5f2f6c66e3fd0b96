import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logsRequest, sendJson, sid, tid } from '../support/otlpJson.ts';
import { getJson, startTestCollector } from '../support/testCollector.ts';

// Sensitive data is replaced before anything is stored: credentials by
// attribute key (on by default), card numbers in values and log bodies (on
// by default), e-mail addresses when asked for.

type Collector = Awaited<ReturnType<typeof startTestCollector>>;
const now = Date.now() - 60_000;
type Trace = { data: Array<{ spans: Array<{ tags: Array<{ key: string; value: unknown }> }> }> };
type Logs = { data: Array<{ body: string }> };

/** A span whose request carried credentials, and a log line with a card number and an e-mail address. */
async function sendSensitive(collector: Collector, n: number): Promise<{ tags: Record<string, unknown>; bodies: string[] }> {
  const span = {
    resourceSpans: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'checkout' } }] },
      scopeSpans: [{
        spans: [{
          traceId: tid(n), spanId: sid(1), name: 'POST /pay', kind: 2, startTimeUnixNano: String(BigInt(now) * 1_000_000n), endTimeUnixNano: String(BigInt(now + 5) * 1_000_000n),
          attributes: [
            { key: 'http.request.header.authorization', value: { arrayValue: { values: [{ stringValue: 'Bearer eyJhbGciOi.secret' }] } } },
            { key: 'http.request.header.cookie', value: { arrayValue: { values: [{ stringValue: 'session=abc123' }] } } },
            { key: 'db.password', value: { stringValue: 'hunter2' } },
            { key: 'request.body', value: { kvlistValue: { values: [{ key: 'api_key', value: { stringValue: 'k-123' } }, { key: 'card', value: { stringValue: '4111-1111-1111-1111' } }] } } },
            { key: 'order.id', value: { stringValue: '1234567812345678' } }, // 16 digits that fail the Luhn check: an id, kept
            { key: 'job.name', value: { stringValue: 'export-1764950000000' } }, // a time in milliseconds that passes the Luhn check: not a card's first digit, kept
            { key: 'user.email', value: { stringValue: 'ana@example.com' } },
            { key: 'http.route', value: { stringValue: '/pay' } },
          ],
        }],
      }],
    }],
  };
  await sendJson(collector.url, '/v1/traces', span);
  await sendJson(collector.url, '/v1/logs', logsRequest('checkout', [{ timeMs: now, body: 'charging card 4111 1111 1111 1111 for ana@example.com failed at 1764950000000000000', traceId: tid(n), spanId: sid(1) }]));
  const trace = (await getJson<Trace>(collector.url, `/api/traces/${tid(n)}`)).body;
  const tags = Object.fromEntries(trace.data[0]!.spans[0]!.tags.map((t) => [t.key, t.value]));
  const bodies = (await getJson<Logs>(collector.url, `/api/logs?traceId=${tid(n)}`)).body.data.map((l) => l.body);
  return { tags, bodies };
}

describe('redaction by default', () => {
  let collector: Collector;
  beforeAll(async () => {
    collector = await startTestCollector();
  });
  afterAll(async () => {
    await collector.stop();
  });

  it('stores credentials by key and card numbers as [REDACTED], keeping everything else', async () => {
    const { tags, bodies } = await sendSensitive(collector, 1);
    expect(tags['http.request.header.authorization']).toBe('[REDACTED]');
    expect(tags['http.request.header.cookie']).toBe('[REDACTED]');
    expect(tags['db.password']).toBe('[REDACTED]');
    expect(JSON.parse(String(tags['request.body']))).toEqual({ api_key: '[REDACTED]', card: '[REDACTED]' });
    expect(tags['order.id']).toBe('1234567812345678');
    expect(tags['job.name']).toBe('export-1764950000000');
    expect(tags['user.email']).toBe('ana@example.com');
    expect(tags['http.route']).toBe('/pay');
    expect(bodies).toEqual(['charging card [REDACTED] for ana@example.com failed at 1764950000000000000']);
    const metrics = await (await fetch(`${collector.url}/metrics`)).text();
    expect(metrics).toMatch(/^mirador_receiver_redacted_values_total\{signal="traces"\} 5$/m);
    expect(metrics).toMatch(/^mirador_receiver_redacted_values_total\{signal="logs"\} 1$/m);
  });
});

describe('redaction as configured', () => {
  it('replaces e-mail addresses too when asked, and nothing when turned off', async () => {
    const strict = await startTestCollector(['--redact-values', 'card,email']);
    try {
      const { tags, bodies } = await sendSensitive(strict, 2);
      expect(tags['user.email']).toBe('[REDACTED]');
      expect(bodies).toEqual(['charging card [REDACTED] for [REDACTED] failed at 1764950000000000000']);
    } finally {
      await strict.stop();
    }
    const off = await startTestCollector(['--redact-keys', '', '--redact-values', 'none']);
    try {
      const { tags, bodies } = await sendSensitive(off, 3);
      expect(tags['db.password']).toBe('hunter2');
      expect(bodies).toEqual(['charging card 4111 1111 1111 1111 for ana@example.com failed at 1764950000000000000']);
    } finally {
      await off.stop();
    }
  });

  it('refuses an unknown value pattern or a broken key expression, naming the option', async () => {
    await expect(startTestCollector(['--redact-values', 'card,ssn'])).rejects.toThrow(/redaction\.values: expected card, email or none/);
    await expect(startTestCollector(['--redact-keys', '(unclosed'])).rejects.toThrow(/redaction\.keys: not a regular expression/);
  });
});
