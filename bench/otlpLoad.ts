/**
 * OTLP load for the benchmarks: protobuf batches of 512 spans or log records
 * (8 spans or 4 records per trace, five services), pre-encoded so the
 * sender spends almost nothing per request, sent over loopback HTTP; and the
 * lookups a user makes (trace by id, logs by trace id, log text search).
 */
import crypto from 'node:crypto';
import { otlpTypes } from '../collector/src/otlp/otlpSchema.ts';

export const BATCH = 512;
const SPANS_PER_TRACE = 8;
const LOGS_PER_TRACE = 4;

const kv = (key: string, v: string | number) => ({ key, value: typeof v === 'string' ? { stringValue: v } : { intValue: v } });
const services = ['gateway', 'order', 'catalog', 'inventory', 'payment'];

/**
 * A pre-encoded batch whose trace ids are replaced by fresh random ones per
 * request, so the load generator spends almost nothing per request and the
 * figures measure the collector, not protobufjs encoding in the sender.
 */
interface Template {
  bytes: Buffer;
  /** Byte offsets of each trace's id; every span or record of the trace carries it. */
  traceIdOffsets: number[][];
  /** Byte offsets and values of the fixed64 timestamps, moved to the time of sending. */
  times: Array<{ at: number; value: bigint }>;
  createdNs: bigint;
}

function offsetsOf(bytes: Buffer, needle: Buffer): number[] {
  const offsets: number[] = [];
  for (let at = bytes.indexOf(needle); at >= 0; at = bytes.indexOf(needle, at + 1)) offsets.push(at);
  return offsets;
}

function template(message: Uint8Array, traceIds: Buffer[], timeValues: Set<bigint>, createdNs: bigint): Template {
  const bytes = Buffer.from(message);
  const times: Template['times'] = [];
  for (const value of timeValues) {
    const le = Buffer.alloc(8);
    le.writeBigUInt64LE(value);
    for (const at of offsetsOf(bytes, le)) times.push({ at, value });
  }
  return { bytes, traceIdOffsets: traceIds.map((id) => offsetsOf(bytes, id)), times, createdNs };
}

function spanTemplate(): Template {
  const nowNs = BigInt(Date.now()) * 1_000_000n;
  const traceIds: Buffer[] = [];
  const times = new Set<bigint>();
  const resourceSpans = services.map((service) => ({ resource: { attributes: [kv('service.name', service), kv('host.name', 'bench-host'), kv('process.pid', 4242)] }, scopeSpans: [{ scope: { name: '@opentelemetry/instrumentation-http', version: '0.301.0' }, spans: [] as unknown[] }] }));
  for (let t = 0; t < BATCH / SPANS_PER_TRACE; t++) {
    const traceId = crypto.randomBytes(16);
    traceIds.push(traceId);
    let parent: Buffer | undefined;
    for (let s = 0; s < SPANS_PER_TRACE; s++) {
      const spanId = crypto.randomBytes(8);
      const start = nowNs - BigInt((SPANS_PER_TRACE - s) * 1_000_000) - BigInt(t * 1000);
      times.add(start).add(start + 750_000n);
      resourceSpans[s % services.length]!.scopeSpans[0]!.spans.push({
        traceId, spanId, parentSpanId: parent, name: `GET /api/orders/:id`, kind: s === 0 ? 2 : 3,
        startTimeUnixNano: start.toString(), endTimeUnixNano: (start + 750_000n).toString(),
        attributes: [kv('http.request.method', 'GET'), kv('http.route', '/api/orders/:id'), kv('http.response.status_code', 200), kv('url.path', `/api/orders/${t}`), kv('server.address', 'order'), kv('network.peer.port', 8080)],
        status: { code: 0 },
      });
      parent = spanId;
    }
  }
  return template(otlpTypes.traceRequest.encode(otlpTypes.traceRequest.fromObject({ resourceSpans })).finish(), traceIds, times, nowNs);
}

function logTemplate(): Template {
  const nowNs = BigInt(Date.now()) * 1_000_000n;
  const traceIds: Buffer[] = [];
  const times = new Set<bigint>();
  const resourceLogs = services.map((service) => ({ resource: { attributes: [kv('service.name', service), kv('host.name', 'bench-host')] }, scopeLogs: [{ scope: { name: 'winston' }, logRecords: [] as unknown[] }] }));
  for (let t = 0; t < BATCH / LOGS_PER_TRACE; t++) {
    const traceId = crypto.randomBytes(16);
    traceIds.push(traceId);
    for (let l = 0; l < LOGS_PER_TRACE; l++) {
      const time = nowNs + BigInt(t * 1000 + l);
      times.add(time);
      resourceLogs[l % services.length]!.scopeLogs[0]!.logRecords.push({
        timeUnixNano: time.toString(), severityNumber: l === 3 ? 17 : 9, severityText: l === 3 ? 'ERROR' : 'INFO',
        body: { stringValue: l === 3 ? `payment failed for order ${t}: card declined` : `order ${t} step ${l} done in ${l * 3} ms` },
        attributes: [kv('order.id', `o-${t}`), kv('attempt', l)], traceId, spanId: crypto.randomBytes(8),
      });
    }
  }
  return template(otlpTypes.logsRequest.encode(otlpTypes.logsRequest.fromObject({ resourceLogs })).finish(), traceIds, times, nowNs);
}

/** Sends batches to one collector and looks things up in it, keeping a sample of the trace ids sent. */
export class OtlpLoad {
  readonly url: string;
  private readonly concurrency: number;
  /** Items acknowledged so far. */
  readonly stored = { spans: 0, logs: 0 };
  /** Trace ids sent so far, a sample of each kind kept for lookups. */
  readonly sampleTraceIds = { spans: [] as string[], logs: [] as string[] };
  private readonly templates = { spans: Array.from({ length: 16 }, spanTemplate), logs: Array.from({ length: 16 }, logTemplate) };
  private nextTemplate = 0;

  constructor(url: string, concurrency: number) {
    this.url = url;
    this.concurrency = concurrency;
  }

  /** A copy of a template with fresh trace ids and times moved to now; a few ids are kept for the lookups. */
  private batch(kind: 'spans' | 'logs'): Buffer {
    const t = this.templates[kind][this.nextTemplate++ % 16]!;
    const bytes = Buffer.from(t.bytes);
    const shift = BigInt(Date.now()) * 1_000_000n - t.createdNs;
    for (const { at, value } of t.times) bytes.writeBigUInt64LE(value + shift, at);
    for (const offsets of t.traceIdOffsets) {
      const id = crypto.randomBytes(16);
      for (const at of offsets) id.copy(bytes, at);
      if (this.sampleTraceIds[kind].length < 20_000 && Math.random() < 0.02) this.sampleTraceIds[kind].push(id.toString('hex'));
    }
    return bytes;
  }

  private async send(pathName: string, body: Uint8Array): Promise<void> {
    for (;;) {
      const res = await fetch(this.url + pathName, { method: 'POST', body, headers: { 'content-type': 'application/x-protobuf' } });
      await res.arrayBuffer();
      if (res.status === 200) return;
      if (res.status !== 503 && res.status !== 429) throw new Error(`${pathName} answered ${res.status}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Sends batches from the concurrent loops until `count` items or `seconds` pass; returns items/s acknowledged. */
  async drive(kind: 'spans' | 'logs', seconds: number, count = Infinity): Promise<number> {
    const pathName = kind === 'spans' ? '/v1/traces' : '/v1/logs';
    const started = performance.now();
    const deadline = started + seconds * 1000;
    let sent = 0;
    let lastReport = started;
    const loop = async () => {
      while (performance.now() < deadline && sent < count) {
        sent += BATCH;
        await this.send(pathName, this.batch(kind));
        this.stored[kind] += BATCH;
        const now = performance.now();
        if (now - lastReport > 10_000) {
          lastReport = now;
          console.log(`  … ${kind}: ${this.stored[kind].toLocaleString('en')} stored, ${Math.round((sent / (now - started)) * 1000).toLocaleString('en')}/s`);
        }
      }
    };
    await Promise.all(Array.from({ length: this.concurrency }, loop));
    return sent / ((performance.now() - started) / 1000);
  }

  /** Free-text log searches over the last hour: a common phrase (stops at the limit) and a term no record has (scans the whole hour). */
  async textSearches(): Promise<{ common: number[]; absent: number[] }> {
    const common: number[] = [];
    const absent: number[] = [];
    for (let i = 0; i < 20; i++) {
      for (const [q, out] of [['card declined', common], [`no-such-order-${i}`, absent]] as const) {
        out.push(await this.timed(`/api/logs?q=${encodeURIComponent(q)}&limit=100`));
      }
    }
    return { common, absent };
  }

  /** Trace by id and logs by trace id, `count` of each, for trace ids sent (every lookup finds its trace). */
  async lookups(count: number): Promise<{ trace: number[]; logs: number[] }> {
    const pick = (ids: string[]) => [...ids].sort(() => Math.random() - 0.5).slice(0, count);
    const trace: number[] = [];
    const logs: number[] = [];
    for (const id of pick(this.sampleTraceIds.spans)) trace.push(await this.timed(`/api/traces/${id}`));
    for (const id of pick(this.sampleTraceIds.logs)) logs.push(await this.timed(`/api/logs?traceId=${id}`));
    return { trace, logs };
  }

  /** Milliseconds a GET takes, its answer read whole. */
  async timed(pathAndQuery: string): Promise<number> {
    const t = performance.now();
    const r = await fetch(this.url + pathAndQuery);
    await r.arrayBuffer();
    if (!r.ok) throw new Error(`${pathAndQuery} answered ${r.status}`);
    return performance.now() - t;
  }
}
