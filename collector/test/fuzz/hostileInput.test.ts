import fc from 'fast-check';
import snappy from 'snappy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRuleText, RuleFileError } from '../../src/alerts/ruleFiles.ts';
import { remoteWriteBody } from '../../src/metrics/remoteWriteEncode.ts';
import { otlpTypes } from '../../src/otlp/otlpSchema.ts';
import { logsRequest, sid, tid, traceRequest } from '../support/otlpJson.ts';
import { startTestCollector } from '../support/testCollector.ts';

// Property-based fuzzing of everything that reads outside input: the OTLP
// decoders (protobuf and JSON), the exposition-format parser, the
// remote-write decoder, the PromQL engine and the rule-file loader. Random
// and mutated-valid inputs must never crash the collector, hang, or be
// answered 5xx: every refusal is a 4xx that says why. A bounded number of
// cases runs in the suite; `npm run fuzz` runs many more (FUZZ_RUNS).

const RUNS = Number(process.env.FUZZ_RUNS ?? 120);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
const settings = { numRuns: RUNS, ...(SEED !== undefined && { seed: SEED }) };
/** A request taking longer than this counts as a hang. */
const REQUEST_MS = 10_000;

type Collector = Awaited<ReturnType<typeof startTestCollector>>;
let collector: Collector;
beforeAll(async () => {
  collector = await startTestCollector(['--max-body-bytes', '256KiB']);
});
afterAll(async () => {
  await collector.stop();
});

async function post(path: string, body: Uint8Array | string, headers: Record<string, string>): Promise<number> {
  const res = await fetch(collector.url + path, { method: 'POST', headers, body, signal: AbortSignal.timeout(REQUEST_MS) });
  await res.arrayBuffer();
  return res.status;
}

const refusedOrTaken = (status: number) => (status >= 200 && status < 300) || (status >= 400 && status < 500);

/** A valid input with bytes flipped, cut, or spliced in: close enough to valid to reach deep into a decoder. */
function mutated(valid: Uint8Array): fc.Arbitrary<Uint8Array> {
  return fc.array(fc.tuple(fc.nat({ max: Math.max(0, valid.length - 1) }), fc.integer({ min: 0, max: 255 }), fc.constantFrom('set', 'cut', 'insert')), { minLength: 1, maxLength: 8 }).map((edits) => {
    let bytes = Array.from(valid);
    for (const [at, byte, kind] of edits) {
      if (kind === 'set') bytes[at % Math.max(1, bytes.length)] = byte;
      else if (kind === 'cut') bytes = bytes.slice(0, at);
      else bytes.splice(at, 0, byte);
    }
    return Uint8Array.from(bytes);
  });
}

const now = Date.now() - 60_000;
const validTraces = otlpTypes.traceRequest.encode(otlpTypes.traceRequest.fromObject({
  resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'fuzz' } }] }, scopeSpans: [{ spans: [{ traceId: Buffer.alloc(16, 7), spanId: Buffer.alloc(8, 7), parentSpanId: Buffer.alloc(8, 6), name: 'op', kind: 2, startTimeUnixNano: String(BigInt(now) * 1_000_000n), endTimeUnixNano: String(BigInt(now + 1) * 1_000_000n), attributes: [{ key: 'k', value: { arrayValue: { values: [{ intValue: 3 }, { kvlistValue: { values: [{ key: 'x', value: { doubleValue: 1.5 } }] } }] } } }], events: [{ name: 'e', timeUnixNano: String(BigInt(now) * 1_000_000n) }] }] }] }],
})).finish();
const validLogs = otlpTypes.logsRequest.encode(otlpTypes.logsRequest.fromObject({
  resourceLogs: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'fuzz' } }] }, scopeLogs: [{ logRecords: [{ timeUnixNano: String(BigInt(now) * 1_000_000n), body: { stringValue: 'hello' }, severityNumber: 9, traceId: Buffer.alloc(16, 7), spanId: Buffer.alloc(8, 7) }] }] }],
})).finish();
const validMetrics = otlpTypes.metricsRequest.encode(otlpTypes.metricsRequest.fromObject({
  resourceMetrics: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'fuzz' } }] }, scopeMetrics: [{ metrics: [
    { name: 'orders', sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: [{ asInt: 3, timeUnixNano: String(BigInt(now) * 1_000_000n), attributes: [{ key: 'status', value: { stringValue: 'ok' } }] }] } },
    { name: 'latency', histogram: { aggregationTemporality: 2, dataPoints: [{ count: 3, sum: 1.5, bucketCounts: [1, 2, 0], explicitBounds: [0.1, 1], timeUnixNano: String(BigInt(now) * 1_000_000n) }] } },
  ] }] }],
})).finish();

describe('OTLP/HTTP receivers under hostile input', () => {
  const protobuf = { 'content-type': 'application/x-protobuf' };
  for (const [path, valid] of [['/v1/traces', validTraces], ['/v1/logs', validLogs], ['/v1/metrics', validMetrics]] as const) {
    it(`${path} protobuf: random bytes and mutated requests are taken or refused with a 4xx`, async () => {
      await fc.assert(fc.asyncProperty(fc.oneof(fc.uint8Array({ maxLength: 4096 }), mutated(valid)), async (body) => {
        expect(refusedOrTaken(await post(path, body, protobuf))).toBe(true);
      }), settings);
    });
  }

  it('/v1/traces and /v1/logs JSON: arbitrary JSON and valid requests with values swapped are taken or refused with a 4xx', async () => {
    const validJson = [traceRequest('fuzz', [{ traceId: tid(3), spanId: sid(3), name: 'op', startMs: now, durationMs: 1 }]), logsRequest('fuzz', [{ timeMs: now, body: 'x', traceId: tid(3), spanId: sid(3) }])];
    /** Replaces the value at a random path of a valid request by an arbitrary JSON value. */
    const swapped = fc.tuple(fc.nat(), fc.nat(), fc.jsonValue({ maxDepth: 4 })).map(([which, at, value]) => {
      const doc = structuredClone(validJson[which % 2]) as unknown;
      const nodes: Array<[Record<string, unknown> | unknown[], string | number]> = [];
      const walk = (node: unknown) => {
        if (node === null || typeof node !== 'object') return;
        for (const [k, v] of Object.entries(node)) {
          nodes.push([node as Record<string, unknown>, Array.isArray(node) ? Number(k) : k]);
          walk(v);
        }
      };
      walk(doc);
      const [parent, key] = nodes[at % nodes.length]!;
      (parent as Record<string | number, unknown>)[key] = value;
      return { path: which % 2 === 0 ? '/v1/traces' : '/v1/logs', body: JSON.stringify(doc) };
    });
    const arbitrary = fc.tuple(fc.constantFrom('/v1/traces', '/v1/logs', '/v1/metrics'), fc.oneof(fc.json({ maxDepth: 6 }), fc.string({ maxLength: 300 }))).map(([path, body]) => ({ path, body }));
    await fc.assert(fc.asyncProperty(fc.oneof(swapped, arbitrary), async ({ path, body }) => {
      expect(refusedOrTaken(await post(path, body, { 'content-type': 'application/json' }))).toBe(true);
    }), settings);
  });

  it('refuses a time out of its integer range with a 400 naming the field (found by this fuzzing: it used to fail the whole batch)', async () => {
    const body = JSON.stringify(traceRequest('fuzz', [{ traceId: tid(3), spanId: sid(3), name: 'op', startMs: now, durationMs: 1 }])).replace(/"startTimeUnixNano":"\d+"/, '"startTimeUnixNano":-7428034537072776000');
    const res = await fetch(`${collector.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toBe('resourceSpans[0].scopeSpans[0].spans[0].startTimeUnixNano: expected a non-negative integer, got -7428034537072776000');
  });

  it('cuts attribute values nested deeper than the limit, and refuses gzip bombs at the body limit', async () => {
    // An attribute nested 5,000 maps deep: stored down to limits.maxAttributeDepth (64), the rest replaced by a marker and reported.
    const deep = '{"stringValue":"bottom"}';
    let value = deep;
    for (let i = 0; i < 5000; i++) value = `{"kvlistValue":{"values":[{"key":"k","value":${value}}]}}`;
    const request = JSON.stringify(traceRequest('deep', [{ traceId: tid(77), spanId: sid(1), name: 'op', startMs: now, durationMs: 1 }])).replace('"attributes":[]', `"attributes":[{"key":"nested","value":${value}}]`);
    const res = await fetch(`${collector.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: request });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { partialSuccess?: { errorMessage: string } }).partialSuccess?.errorMessage).toMatch(/truncated or dropped by the collector's limits/);
    const trace = (await (await fetch(`${collector.url}/api/traces/${tid(77)}`)).json()) as { data: Array<{ spans: Array<{ tags: Array<{ key: string; value: string }> }> }> };
    const stored = trace.data[0]!.spans[0]!.tags.find((t) => t.key === 'nested')!.value;
    expect(stored).toContain('value nested too deeply, truncated');
    expect(stored.split('{').length - 1).toBeLessThanOrEqual(65);
    const { gzipSync } = await import('node:zlib');
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024)); // 64 MiB of zeros in ~64 KiB
    const status = await post('/v1/traces', bomb, { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' });
    expect(status).toBe(413);
  });
});

describe('metrics receivers under hostile input', () => {
  const validText = '# HELP orders_total Orders.\n# TYPE orders_total counter\norders_total{status="ok",region="eu"} 3 1700000000000\n# TYPE latency histogram\nlatency_bucket{le="0.1"} 1\nlatency_bucket{le="+Inf"} 2\nlatency_sum 0.3\nlatency_count 2\n';
  it('push: random and mutated exposition text is taken or refused with a 4xx', async () => {
    const alphabet = fc.constantFrom(...'abc_{}="#\\ \n\t0123456789.+-eE,:TYPEHELPle'.split(''));
    const text = fc.oneof(
      fc.string({ unit: alphabet, maxLength: 400 }),
      mutated(Buffer.from(validText)).map((b) => Buffer.from(b).toString('latin1')),
    );
    await fc.assert(fc.asyncProperty(text, fc.constantFrom('text/plain; version=0.0.4', 'application/openmetrics-text; version=1.0.0'), async (body, type) => {
      expect(refusedOrTaken(await post('/metrics/job/fuzz/instance/a', body, { 'content-type': type }))).toBe(true);
    }), settings);
  });

  it('remote write: random bytes, random snappy frames and mutated requests are taken or refused with a 4xx', async () => {
    const valid = snappy.uncompressSync(remoteWriteBody({ timeseries: [{ labels: [{ name: '__name__', value: 'up' }, { name: 'job', value: 'x' }], samples: [{ value: 1, timestamp: now }] }] })) as Buffer;
    const bodies = fc.oneof(
      fc.uint8Array({ maxLength: 2048 }),
      fc.uint8Array({ maxLength: 2048 }).map((b) => new Uint8Array(snappy.compressSync(Buffer.from(b)))),
      mutated(valid).map((b) => new Uint8Array(snappy.compressSync(Buffer.from(b)))),
    );
    await fc.assert(fc.asyncProperty(bodies, async (body) => {
      expect(refusedOrTaken(await post('/api/v1/write', body, { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy' }))).toBe(true);
    }), settings);
  });
});

describe('PromQL under hostile input', () => {
  // Expressions from PromQL's own pieces, combined at random: most are valid, many are not.
  const { expr } = fc.letrec<{ expr: string; leaf: string }>((tie) => ({
    leaf: fc.oneof(
      fc.constantFrom('up', 'orders_total', 'latency_bucket', 'nope', '{job="x"}', 'up{job=~"a.*",instance!="b"}', '1', '0', '-1e308', 'NaN', 'Inf', '"text"'),
      fc.double({ noNaN: false }).map(String),
    ),
    expr: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      tie('leaf'),
      fc.tuple(fc.constantFrom('rate', 'irate', 'increase', 'delta', 'avg_over_time', 'max_over_time', 'quantile_over_time', 'predict_linear'), tie('leaf'), fc.constantFrom('5m', '1s', '0s', '10y', '1h30m', 'x'))
        .map(([f, e, d]) => (f === 'quantile_over_time' ? `${f}(0.9, ${e}[${d}])` : f === 'predict_linear' ? `${f}(${e}[${d}], 60)` : `${f}(${e}[${d}])`)),
      fc.tuple(fc.constantFrom('sum', 'avg', 'max', 'min', 'count', 'topk(3,', 'quantile(0.5,', 'count_values("v",'), tie('expr'), fc.constantFrom('', ' by (job)', ' without (le)'))
        .map(([agg, e, by]) => (agg.endsWith(',') ? `${agg} ${e})${by}` : `${agg}${by} (${e})`)),
      fc.tuple(tie('expr'), fc.constantFrom('+', '-', '*', '/', '%', '^', '==', '!=', '>', '< bool', 'and', 'or', 'unless', '/ on(job) group_left'), tie('expr')).map(([a, op, b]) => `${a} ${op} ${b}`),
      fc.tuple(fc.constantFrom('histogram_quantile(0.99,', 'abs(', 'clamp_max(', 'label_replace(', 'absent(', 'vector(', 'scalar(', 'sort_desc(', 'time('), tie('expr')).map(([f, e]) => `${f}${e})`),
      tie('expr').map((e) => `(${e})[5m:1m]`),
      tie('expr').map((e) => `${e} offset 5m`),
      fc.string({ maxLength: 40 }),
    ),
  }));

  it('answers every expression 200 or with a 4xx naming the problem, never 5xx', async () => {
    await fc.assert(fc.asyncProperty(expr, fc.constantFrom('query', 'query_range'), async (q, kind) => {
      const params = new URLSearchParams({ query: q, ...(kind === 'query_range' ? { start: String(now / 1000 - 3600), end: String(now / 1000), step: '60' } : { time: String(now / 1000) }) });
      const res = await fetch(`${collector.url}/api/v1/${kind}?${params}`, { signal: AbortSignal.timeout(REQUEST_MS) });
      const body = (await res.json()) as { status: string; errorType?: string; error?: string };
      expect(refusedOrTaken(res.status), `${res.status} for ${q}: ${body.error}`).toBe(true);
      // Refusals in the Prometheus API's error shape, with a message to show the user.
      if (res.status >= 400) expect(body).toMatchObject({ status: 'error', errorType: expect.stringMatching(/^(bad_data|execution)$/), error: expect.stringMatching(/\w/) });
    }), settings);
  });

  it('refuses a range of years at one-second steps before evaluating it', async () => {
    const res = await fetch(`${collector.url}/api/v1/query_range?${new URLSearchParams({ query: 'up', start: '0', end: String(now / 1000), step: '1' })}`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/points|resolution|step/i);
  });
});

describe('the rule-file loader under hostile input', () => {
  it('loads or refuses with a RuleFileError naming the line, for random YAML and mutated rule files', () => {
    const valid = 'groups:\n  - name: g\n    interval: 30s\n    rules:\n      - alert: A\n        expr: up == 0\n        for: 5m\n        labels:\n          severity: page\n        annotations:\n          summary: "{{ $labels.job }} down"\n      - record: job:up:sum\n        expr: sum by (job) (up)\n';
    const yamlish = fc.oneof(
      fc.string({ unit: fc.constantFrom(...'groups:name rules alert expr for labels - {}[]"\'\n  #&*!|>%@`$'.split('')), maxLength: 300 }),
      mutated(Buffer.from(valid)).map((b) => Buffer.from(b).toString('utf8')),
      fc.jsonValue({ maxDepth: 5 }).map((v) => JSON.stringify({ groups: v })),
    );
    fc.assert(fc.property(yamlish, (text) => {
      try {
        readRuleText('fuzz.rules.yaml', text);
      } catch (error) {
        expect(error, String(error)).toBeInstanceOf(RuleFileError);
        expect((error as RuleFileError).message).toMatch(/fuzz\.rules\.yaml:\d+/);
      }
    }), settings);
  });
});

describe('after all of it', () => {
  it('the collector still answers, and kept what was valid', async () => {
    expect((await fetch(`${collector.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${collector.url}/api/services`)).status).toBe(200);
  });
});
