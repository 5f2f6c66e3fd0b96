/**
 * The agent's cost per span, piece by piece, outside any app: the agent's
 * own server span (agent/src/serverSpan.ts) and an SDK span with the same
 * attributes (method, path, route, status), started and ended; its OTLP protobuf
 * encoding as the agent does it when the span ends (otlpSpanEncoding.ts);
 * the same span through the OpenTelemetry transformer's public serializer,
 * alone and in a batch of 256; and the whole EncodingSpanProcessor,
 * batching and exporting to a local sink that discards what it gets.
 *
 *   npm run bench -- spanEncoding [--spans 200000] [--rounds 5]
 *
 * Each figure is the median over rounds of µs per span. Inside a served
 * request the same work costs more (bench/agent.bench.ts measures that).
 */
import { ROOT_CONTEXT, SpanKind, createNoopMeter } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOnSampler, TracerProvider, type ReadableSpan, type SpanProcessor } from '@opentelemetry/sdk-trace';
import { parseArgs } from 'node:util';
import { EncodingSpanProcessor } from '../agent/src/encodingSpanProcessor.ts';
import { ProtoWriter, encodeSpan } from '../agent/src/otlpSpanEncoding.ts';
import { SPAN_LIMITS } from '../agent/src/sdk.ts';
import { ServerSpan, ServerSpans } from '../agent/src/serverSpan.ts';
import { startSink } from './helloApp.ts';
import { machineLine } from './machine.ts';

const { values } = parseArgs({ options: { spans: { type: 'string', default: '200000' }, rounds: { type: 'string', default: '5' } } });
const SPANS = Number(values.spans);
const ROUNDS = Number(values.rounds);
const resource = resourceFromAttributes({ 'service.name': 'bench', 'host.name': 'bench-host', 'process.pid': process.pid, 'process.runtime.name': 'nodejs' });

/** A tracer whose spans end in `processor`. */
function tracerWith(processor: SpanProcessor) {
  return new TracerProvider({ resource, sampler: new AlwaysOnSampler(), spanProcessors: [processor] }).getTracer('@mirador/agent');
}

/** The span the agent makes for `GET /hello/world` served by the route `/hello/:name`. */
function serverSpan(tracer: ReturnType<typeof tracerWith>): void {
  const span = tracer.startSpan('GET', { kind: SpanKind.SERVER }, ROOT_CONTEXT);
  span.setAttribute('http.request.method', 'GET');
  span.setAttribute('url.path', '/hello/world');
  span.setAttribute('http.route', '/hello/:name');
  span.updateName('GET /hello/:name');
  span.setAttribute('http.response.status_code', 200);
  span.end();
}

/** The same span as the agent makes it (httpServerSpans.ts). */
function agentServerSpan(spans: ServerSpans): void {
  const span = spans.start(ROOT_CONTEXT, 'GET', '/hello/world') as ServerSpan;
  span.endResponse({ method: 'GET', route: '/hello/:name', statusCode: 200, complete: true });
}

/** Server spans ending in `processor`. */
const serverSpans = (processor: SpanProcessor) => new ServerSpans({ sampler: new AlwaysOnSampler(), processor, resource, scope: { name: '@mirador/agent' }, limits: SPAN_LIMITS });

const noop: SpanProcessor = { onStart() {}, onEnd() {}, forceFlush: () => Promise.resolve(), shutdown: () => Promise.resolve() };

/** µs per span of `work(i)` over SPANS spans, yielding to the event loop every 256 (so exports can run); median of ROUNDS. */
async function measure(work: (i: number) => void): Promise<number> {
  const perSpan: number[] = [];
  for (let r = 0; r < ROUNDS + 1; r++) {
    const start = performance.now();
    for (let i = 0; i < SPANS; i++) {
      work(i);
      if (i % 256 === 255) await new Promise(setImmediate);
    }
    if (r > 0) perSpan.push(((performance.now() - start) * 1000) / SPANS); // the first round warms up
  }
  return perSpan.sort((a, b) => a - b)[Math.floor(perSpan.length / 2)]!;
}

console.log(machineLine());
console.log(`${SPANS} spans a round, median of ${ROUNDS} rounds, µs per span:`);

const plain = tracerWith(noop);
const sdkSpan = await measure(() => serverSpan(plain));
console.log(`  SDK span started, four attributes, ended (no processor work)  ${sdkSpan.toFixed(2)}`);
const plainOwn = serverSpans(noop);
const ownSpan = await measure(() => agentServerSpan(plainOwn));
console.log(`  agent server span, the same (no processor work)               ${ownSpan.toFixed(2)}`);

const ended: ReadableSpan[] = [];
const keep = tracerWith({ ...noop, onEnd: (s) => ended.push(s) });
for (let i = 0; i < 1024; i++) serverSpan(keep);
const endedOwn: ReadableSpan[] = [];
const keepOwn = serverSpans({ ...noop, onEnd: (s) => endedOwn.push(s) });
for (let i = 0; i < 1024; i++) agentServerSpan(keepOwn);
const writer = new ProtoWriter(1 << 20);
for (const [what, spans] of [['SDK span', ended], ['agent server span', endedOwn]] as const) {
  const encoded = await measure((i) => {
    if (i % 1024 === 0) writer.reset();
    encodeSpan(writer, 2, spans[i % 1024]!);
  });
  console.log(`  ${what} encoded as it ends (otlpSpanEncoding.ts)`.padEnd(64) + encoded.toFixed(2));
}
const one = await measure((i) => ProtobufTraceSerializer.serializeRequest([ended[i % 1024]!]));
console.log(`  otlp-transformer serializeRequest, one span a request          ${one.toFixed(2)}`);
const batch = await measure((i) => {
  if (i % 256 === 0) ProtobufTraceSerializer.serializeRequest(ended.slice(i % 1024, (i % 1024) + 256));
});
console.log(`  otlp-transformer serializeRequest, 256 spans a request         ${batch.toFixed(2)}`);

const sink = await startSink();
const processor = new EncodingSpanProcessor({
  url: `${sink.url}/v1/traces`,
  headers: {},
  timeoutMillis: 10_000,
  scheduledDelayMillis: 5000,
  maxQueueSize: 2048,
  maxExportBatchSize: 256,
  meterProvider: { getMeter: () => createNoopMeter() },
});
const exporting = serverSpans(processor);
const whole = await measure(() => agentServerSpan(exporting));
console.log(`  agent server span, EncodingSpanProcessor, exported to a sink   ${whole.toFixed(2)}`);
await processor.shutdown();
sink.close();
