/**
 * Memory under valid but dense bodies: concurrent 16 MiB OTLP requests made
 * of one span with millions of empty attributes (protobuf, then JSON), the
 * worst object count a body within the limits can decode to. Prints the
 * collector's peak RSS for each encoding.
 *
 *   npm run bench -- denseBodies [--concurrent 4]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { otlpTypes } from '../collector/src/otlp/otlpSchema.ts';
import { spawnCollector } from '../collector/test/support/collectorProcess.ts';
import { machineLine, processMemoryMiB } from './machine.ts';

const { values } = parseArgs({ options: { concurrent: { type: 'string', default: '4' } } });
const CONCURRENT = Number(values.concurrent);
const LIMIT = 16 * 1024 * 1024 - 4096;
const now = BigInt(Date.now()) * 1_000_000n;

/** A length-delimited protobuf field. */
function field(tag: number, bytes: Buffer): Buffer {
  const len: number[] = [];
  for (let v = bytes.length; ; v >>>= 7) {
    if (v < 128) {
      len.push(v);
      break;
    }
    len.push((v & 127) | 128);
  }
  return Buffer.concat([Buffer.from([tag, ...len]), bytes]);
}

function protobufBody(): Buffer {
  const span = otlpTypes.traceRequest.lookupType('opentelemetry.proto.trace.v1.Span');
  const head = Buffer.from(span.encode({ traceId: Buffer.alloc(16, 1), spanId: Buffer.alloc(8, 1), name: 'x', startTimeUnixNano: now.toString(), endTimeUnixNano: (now + 5n).toString() }).finish());
  // Field 9 (attributes), an empty KeyValue each: 0x4a 0x00.
  const attributes = Buffer.alloc(Math.floor((LIMIT - head.length - 64) / 2) * 2);
  for (let i = 0; i < attributes.length; i += 2) attributes[i] = 0x4a;
  return field(0x0a, field(0x12, field(0x12, Buffer.concat([head, attributes]))));
}

function jsonBody(): Buffer {
  const attributes = new Array(Math.floor((LIMIT - 500) / 3)).fill('{}').join(',');
  return Buffer.from(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"${'01'.repeat(16)}","spanId":"${'01'.repeat(8)}","name":"x","startTimeUnixNano":"${now}","endTimeUnixNano":"${now + 5n}","attributes":[${attributes}]}]}]}]}`);
}

console.log(machineLine());
for (const [encoding, body, contentType] of [['protobuf', protobufBody(), 'application/x-protobuf'], ['json', jsonBody(), 'application/json']] as const) {
  const collector = await spawnCollector(['--port', '0', '--grpc-port', 'off', '--data-dir', fs.mkdtempSync(path.join(os.tmpdir(), 'mirador-bench-'))]);
  const statuses = await Promise.all(Array.from({ length: CONCURRENT }, () => fetch(`${collector.url}/v1/traces`, { method: 'POST', body, headers: { 'content-type': contentType } }).then((r) => r.status)));
  const peak = processMemoryMiB(collector.child.pid!, 'VmHWM');
  console.log(`${encoding}: ${CONCURRENT} concurrent ${(body.length / 2 ** 20).toFixed(1)} MiB bodies, answers ${statuses.join(' ')}, collector peak RSS ${peak.toFixed(0)} MiB`);
  collector.child.kill('SIGKILL');
}
