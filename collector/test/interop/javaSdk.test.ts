/**
 * "Any language": a stock OpenTelemetry Java SDK (Maven Central) with its
 * OTLP exporters, pointed at the collector over OTLP/HTTP protobuf and
 * OTLP/gRPC, shows up in the Jaeger API and the log search exactly like a
 * Node service.
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JaegerTrace } from '../../src/api/jaegerModel.ts';
import { getJson, startTestCollector } from '../support/testCollector.ts';

const project = path.join(import.meta.dirname, 'java');
const classpath = [path.join(project, 'target', 'classes'), path.join(project, 'target', 'lib', '*')].join(path.delimiter);

type Collector = Awaited<ReturnType<typeof startTestCollector>>;
let collector: Collector;

beforeAll(async () => {
  // Fetches the SDK from Maven Central once (then from ~/.m2) and compiles the sender.
  execFileSync('mvn', ['-q', '-B', 'dependency:copy-dependencies', '-DoutputDirectory=target/lib'], { cwd: project, stdio: 'pipe' });
  execFileSync('javac', ['-cp', path.join(project, 'target', 'lib', '*'), '-d', path.join(project, 'target', 'classes'), path.join(project, 'src', 'SendTelemetry.java')], { stdio: 'pipe' });
  collector = await startTestCollector();
}, 180_000);
afterAll(async () => {
  await collector?.stop();
});

describe.each([
  ['OTLP/HTTP protobuf', 'http', () => collector.url],
  ['OTLP/gRPC', 'grpc', () => `http://127.0.0.1:${collector.grpcPort}`],
])('the OpenTelemetry Java SDK over %s', (_name, protocol, endpoint) => {
  it('is stored whole: its trace with parent link, attributes, status and event, and its log line by trace id', async () => {
    // Asynchronously: the collector answers from this process's event loop.
    const { stdout, stderr } = await promisify(execFile)('java', ['-cp', classpath, 'SendTelemetry', protocol, endpoint()], { encoding: 'utf8' });
    expect(stderr).not.toMatch(/Failed to export/);
    const out = stdout.trim().split('\n').at(-1)!;
    const [traceId, parentId, childId] = out.split(' ');
    const service = `java-inventory-${protocol}`;

    const { body } = await getJson<{ data: JaegerTrace[] }>(collector.url, `/api/traces/${traceId}`);
    const trace = body.data[0]!;
    expect(trace.processes[trace.spans[0]!.processID]!.serviceName).toBe(service);
    const parent = trace.spans.find((s) => s.spanID === parentId)!;
    const child = trace.spans.find((s) => s.spanID === childId)!;
    expect(parent.operationName).toBe('GET /stock/{sku}');
    expect(parent.tags).toEqual(
      expect.arrayContaining([
        { key: 'http.route', type: 'string', value: '/stock/{sku}' },
        { key: 'stock.count', type: 'int64', value: 42 },
        { key: 'stock.ratio', type: 'float64', value: 0.5 },
        { key: 'error', type: 'bool', value: true },
        { key: 'otel.status_description', type: 'string', value: 'out of stock' },
        { key: 'span.kind', type: 'string', value: 'server' },
      ]),
    );
    expect(child.references).toEqual([{ refType: 'CHILD_OF', traceID: traceId, spanID: parentId }]);
    expect(child.logs.map((l) => l.fields[0])).toEqual([{ key: 'event', type: 'string', value: 'cache miss' }]);
    expect((await getJson<{ data: string[] }>(collector.url, '/api/services')).body.data).toContain(service);

    const logs = await getJson<{ data: Array<Record<string, unknown>> }>(collector.url, `/api/logs?traceId=${traceId}`);
    expect(logs.body.data).toEqual([
      expect.objectContaining({ body: 'stock low for sku 42', severityText: 'WARN', severityNumber: 13, spanId: childId, serviceName: service, attributes: { sku: '42' } }),
    ]);
  });
});
