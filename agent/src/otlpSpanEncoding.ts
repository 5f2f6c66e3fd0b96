import type { AttributeValue, Attributes, HrTime } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { ServerSpan } from './serverSpan.ts';

/**
 * OTLP protobuf encoding of spans, one span at a time, as each one ends
 * (opentelemetry/proto/trace/v1/trace.proto and common/v1/common.proto; field
 * numbers are in the comments beside each write).
 *
 * The OpenTelemetry exporter serializes a whole batch when it is sent
 * (`ProtobufTraceSerializer`), so every span of the batch is held as an SDK
 * object until then. Encoded as it ends, a span is garbage at once and its
 * ~150 bytes sit in a Buffer outside V8's heap (see encodingSpanProcessor.ts
 * for why that matters).
 *
 * Written here rather than called: `@opentelemetry/otlp-transformer` has a
 * per-span serializer inside, but its package exports only the whole-request
 * one, which called for each span encodes the resource every time (5.5 µs a
 * span against 0.7 µs here, `npm run bench -- spanEncoding`); protobufjs's
 * Writer, which the agent does not otherwise load, keeps an object per field
 * written until it finishes. The collector's decoder reads these bytes back
 * in agent/test/spanEncoding.test.ts.
 */

const VARINT = 0;
const FIXED64 = 1;
const LENGTH_DELIMITED = 2;
const FIXED32 = 5;

/** Span flags (trace.proto SpanFlags): the parent's remoteness is known, and whether it is remote. */
const CONTEXT_HAS_IS_REMOTE = 0x100;
const CONTEXT_IS_REMOTE = 0x200;

/** A growing byte buffer with the protobuf wire types the OTLP messages use. */
export class ProtoWriter {
  buf: Buffer;
  pos = 0;

  /** Writes into a new buffer of that many bytes, or into the buffer given (its bytes are overwritten). */
  constructor(initial: number | Buffer = 4096) {
    this.buf = typeof initial === 'number' ? Buffer.allocUnsafe(initial) : initial;
  }

  /** The bytes written so far (a view, valid until the next write). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  reset(): void {
    this.pos = 0;
  }

  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }

  varint(value: number): void {
    this.reserve(10);
    if (value < 0x80 && value >= 0) this.buf[this.pos++] = value;
    else this.pos = writeVarint(this.buf, this.pos, value);
  }

  byte(value: number): void {
    this.reserve(1);
    this.buf[this.pos++] = value;
  }

  tag(field: number, wireType: number): void {
    this.varint((field << 3) | wireType);
  }

  fixed32(value: number): void {
    this.reserve(4);
    this.uint32At(this.pos, value >>> 0);
    this.pos += 4;
  }

  /** A 32-bit unsigned integer, little-endian, by plain byte stores (Buffer's writer checks its arguments on every call). */
  private uint32At(at: number, value: number): void {
    const buf = this.buf;
    buf[at] = value;
    buf[at + 1] = value >>> 8;
    buf[at + 2] = value >>> 16;
    buf[at + 3] = value >>> 24;
  }

  double(value: number): void {
    this.reserve(8);
    this.buf.writeDoubleLE(value, this.pos);
    this.pos += 8;
  }

  /** An OpenTelemetry HrTime ([seconds, nanoseconds]) as fixed64 nanoseconds since the epoch. */
  hrTime(time: HrTime): void {
    this.epochNanos(time[0], Math.trunc(time[1]));
  }

  /**
   * Epoch milliseconds as an integer (Date.now), plus a later offset in
   * milliseconds with a fraction (a performance.now difference), as fixed64
   * nanoseconds since the epoch: how a server span keeps its times, written
   * without making HrTime arrays for them.
   */
  epochMillis(millis: number, plusMillis: number): void {
    const seconds = Math.floor(millis / 1000);
    this.epochNanos(seconds, (millis - seconds * 1000) * 1e6 + Math.round(plusMillis * 1e6));
  }

  /** `seconds` since the epoch plus `nanos` (a whole number, which may exceed a second), as fixed64 nanoseconds. */
  private epochNanos(seconds: number, nanos: number): void {
    // seconds × 1e9 + nanoseconds is beyond a double's exact integers, so it is
    // added up in 16-bit limbs of the seconds: each product stays below 2^47.
    const high = Math.floor(seconds / 65536) * 1e9; // × 2^16
    const low = (seconds % 65536) * 1e9 + nanos;
    const lowWord = (high % 65536) * 65536 + (low % 4294967296);
    this.reserve(8);
    this.uint32At(this.pos, lowWord % 4294967296);
    this.uint32At(this.pos + 4, Math.floor(high / 65536) + Math.floor(low / 4294967296) + Math.floor(lowWord / 4294967296));
    this.pos += 8;
  }

  string(field: number, value: string): void {
    this.tag(field, LENGTH_DELIMITED);
    if (value.length < 0x80 && this.ascii(value)) return;
    const length = Buffer.byteLength(value);
    this.varint(length);
    this.reserve(length);
    this.pos += this.buf.write(value, this.pos, length, 'utf8');
  }

  /**
   * Writes a string shorter than 128 characters with its one-byte length, if
   * it is all ASCII (names, keys, methods and paths nearly always are): plain
   * byte stores beat a call into Buffer's UTF-8 writer for strings this short.
   * Returns false, having written nothing, for any other character.
   */
  private ascii(value: string): boolean {
    const n = value.length;
    this.reserve(n + 1);
    const buf = this.buf;
    const start = this.pos + 1;
    for (let i = 0; i < n; i++) {
      const c = value.charCodeAt(i);
      if (c >= 0x80) return false;
      buf[start + i] = c;
    }
    buf[this.pos] = n;
    this.pos = start + n;
    return true;
  }

  /** A span or trace id given in (lowercase or uppercase) hex, as bytes. */
  hexBytes(field: number, hex: string): void {
    this.tag(field, LENGTH_DELIMITED);
    const length = hex.length >>> 1;
    this.varint(length);
    this.reserve(length);
    const buf = this.buf;
    let at = this.pos;
    for (let i = 0; i < 2 * length; i += 2) buf[at++] = (HEX_VALUE[hex.charCodeAt(i) & 0xff]! << 4) | HEX_VALUE[hex.charCodeAt(i + 1) & 0xff]!;
    this.pos = at;
  }

  raw(field: number, bytes: Uint8Array): void {
    this.tag(field, LENGTH_DELIMITED);
    this.varint(bytes.length);
    this.append(bytes);
  }

  /** Bytes already encoded (fields with their tags), as they are. */
  append(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /** Starts a length-delimited field; its length is filled in by `end`. */
  begin(field: number): number {
    this.tag(field, LENGTH_DELIMITED);
    this.reserve(1);
    return this.pos++;
  }

  /** Ends the field `begin` started, moving its contents when the length takes more than one byte. */
  end(start: number): void {
    const length = this.pos - start - 1;
    let size = 1;
    for (let v = length; v > 0x7f; v = Math.floor(v / 128)) size++;
    if (size > 1) {
      this.reserve(size - 1);
      this.buf.copyWithin(start + size, start + 1, this.pos);
      this.pos += size - 1;
    }
    writeVarint(this.buf, start, length);
  }
}

/**
 * The value of each hex digit by its character code (0 for any other
 * character: ids reaching here are validated hex). A table lookup per digit
 * rather than range tests: the ids are the largest part of a span's bytes,
 * and the tests' branches made this loop the encoder's costliest function
 * (`npm run bench -- agentProfile`).
 */
const HEX_VALUE = new Uint8Array(256);
for (let d = 0; d < 16; d++) {
  HEX_VALUE['0123456789abcdef'.charCodeAt(d)] = d;
  HEX_VALUE['0123456789ABCDEF'.charCodeAt(d)] = d;
}

/** Writes `value` as a varint at `at`; returns the position after it. */
function writeVarint(buf: Buffer, at: number, value: number): number {
  let pos = at;
  let v = value;
  while (v > 0x7f) {
    buf[pos++] = (v & 0x7f) | 0x80;
    v = Math.floor(v / 128);
  }
  buf[pos++] = v;
  return pos;
}

/** AnyValue (common.proto). */
function anyValue(w: ProtoWriter, value: unknown): void {
  switch (typeof value) {
    case 'string':
      w.string(1, value); // string_value
      return;
    case 'boolean':
      w.tag(2, VARINT); // bool_value
      w.varint(value ? 1 : 0);
      return;
    case 'number':
      if (Number.isSafeInteger(value)) {
        w.tag(3, VARINT); // int_value, int64: negatives as their 64-bit two's complement
        if (value >= 0) w.varint(value);
        else int64Negative(w, value);
      } else {
        w.tag(4, FIXED64); // double_value
        w.double(value);
      }
      return;
    case 'object':
      if (value === null) return; // an empty AnyValue, as OpenTelemetry JS sends a null array element
      if (value instanceof Uint8Array) w.raw(7, value); // bytes_value
      else if (Array.isArray(value)) {
        const array = w.begin(5); // array_value: ArrayValue
        for (const element of value) {
          const item = w.begin(1); // values
          anyValue(w, element);
          w.end(item);
        }
        w.end(array);
      } else {
        const list = w.begin(6); // kvlist_value: KeyValueList
        keyValues(w, 1, value as Attributes);
        w.end(list);
      }
      return;
    default:
  }
}

function int64Negative(w: ProtoWriter, value: number): void {
  let v = BigInt.asUintN(64, BigInt(value));
  while (v > 0x7fn) {
    w.byte(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  w.byte(Number(v));
}

/** Repeated KeyValue (common.proto) under `field`. */
function keyValues(w: ProtoWriter, field: number, attributes: Attributes): void {
  for (const key in attributes) {
    const value: AttributeValue | undefined = attributes[key];
    if (value === undefined) continue;
    const kv = w.begin(field);
    w.string(1, key); // key
    const v = w.begin(2); // value
    anyValue(w, value);
    w.end(v);
    w.end(kv);
  }
}

/** Resource (resource.proto): its attributes; written once per exporter, not per span. */
export function encodeResource(w: ProtoWriter, field: number, resource: Resource): void {
  const r = w.begin(field);
  keyValues(w, 1, resource.attributes); // attributes
  w.end(r);
}

/** InstrumentationScope (common.proto). */
export function encodeScope(w: ProtoWriter, field: number, scope: ReadableSpan['instrumentationScope']): void {
  const s = w.begin(field);
  w.string(1, scope.name); // name
  if (scope.version !== undefined) w.string(2, scope.version); // version
  w.end(s);
}

/** One Span (trace.proto) under `field` of ScopeSpans. */
export function encodeSpan(w: ProtoWriter, field: number, span: ReadableSpan): void {
  const s = w.begin(field);
  const ids = span.spanContext();
  w.hexBytes(1, ids.traceId); // trace_id
  w.hexBytes(2, ids.spanId); // span_id
  const traceState = ids.traceState?.serialize();
  if (traceState) w.string(3, traceState); // trace_state
  const parent = span.parentSpanContext;
  if (parent?.spanId) w.hexBytes(4, parent.spanId); // parent_span_id
  w.string(5, span.name); // name
  w.tag(6, VARINT); // kind: the API's SpanKind is the proto's minus one (no UNSPECIFIED)
  w.varint(span.kind + 1);
  // A server span's times as it keeps them (epoch and duration milliseconds), not through its HrTime getters.
  const own = span instanceof ServerSpan ? span : undefined;
  w.tag(7, FIXED64); // start_time_unix_nano
  if (own) w.epochMillis(own.startEpochMs, 0);
  else w.hrTime(span.startTime);
  w.tag(8, FIXED64); // end_time_unix_nano
  if (own) w.epochMillis(own.startEpochMs, own.durationMs);
  else w.hrTime(span.endTime);
  keyValues(w, 9, span.attributes); // attributes
  if (span.droppedAttributesCount > 0) {
    w.tag(10, VARINT);
    w.varint(span.droppedAttributesCount);
  }
  for (const event of span.events) {
    const e = w.begin(11); // events: Span.Event
    w.tag(1, FIXED64); // time_unix_nano
    w.hrTime(event.time);
    w.string(2, event.name); // name
    if (event.attributes) keyValues(w, 3, event.attributes); // attributes
    if (event.droppedAttributesCount) {
      w.tag(4, VARINT);
      w.varint(event.droppedAttributesCount);
    }
    w.end(e);
  }
  if (span.droppedEventsCount > 0) {
    w.tag(12, VARINT);
    w.varint(span.droppedEventsCount);
  }
  for (const link of span.links) {
    const l = w.begin(13); // links: Span.Link
    w.hexBytes(1, link.context.traceId); // trace_id
    w.hexBytes(2, link.context.spanId); // span_id
    const linkState = link.context.traceState?.serialize();
    if (linkState) w.string(3, linkState); // trace_state
    if (link.attributes) keyValues(w, 4, link.attributes); // attributes
    if (link.droppedAttributesCount) {
      w.tag(5, VARINT);
      w.varint(link.droppedAttributesCount);
    }
    w.tag(6, FIXED32); // flags
    w.fixed32(link.context.traceFlags | CONTEXT_HAS_IS_REMOTE | (link.context.isRemote ? CONTEXT_IS_REMOTE : 0));
    w.end(l);
  }
  if (span.droppedLinksCount > 0) {
    w.tag(14, VARINT);
    w.varint(span.droppedLinksCount);
  }
  if (span.status.code !== 0 || span.status.message) {
    const st = w.begin(15); // status: Status
    if (span.status.message) w.string(2, span.status.message); // message
    w.tag(3, VARINT); // code
    w.varint(span.status.code);
    w.end(st);
  }
  w.tag(16, FIXED32); // flags
  w.fixed32(ids.traceFlags | CONTEXT_HAS_IS_REMOTE | (parent?.isRemote ? CONTEXT_IS_REMOTE : 0));
  w.end(s);
}
