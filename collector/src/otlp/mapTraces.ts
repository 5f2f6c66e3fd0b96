import { SpanKind, StatusCode, type SpanEvent, type SpanLink, type SpanRecord } from '../model/span.ts';
import { idToHex } from '../model/ids.ts';
import { limitString, readAttributes } from './anyValue.ts';
import type { ItemLimits, LimitStats } from './limits.ts';
import { forEachItem } from './resourceScope.ts';
import { readByteEnum, readEnum, readId, readInt, readList, readMessage, readString, readUint64, rethrowAt } from './wire.ts';

/** Items accepted from one export request, and those refused with the reason (OTLP partial success). */
export interface MappedItems<T> {
  items: T[];
  rejected: number;
  rejectReason: string;
}

/** The oldest time an item may have and still be kept (now minus the retention age). */
export type TimeWindow = { minTimeUnixNano: bigint };

/** The enum names OTLP/JSON senders may use instead of the numbers (SPAN_KIND_SERVER, STATUS_CODE_ERROR). */
const KIND_NAMES: Record<string, number> = Object.fromEntries(Object.entries(SpanKind).map(([name, value]) => [`SPAN_KIND_${name}`, value]));
const STATUS_NAMES: Record<string, number> = Object.fromEntries(Object.entries(StatusCode).map(([name, value]) => [`STATUS_CODE_${name}`, value]));

type Msg = Record<string, unknown>;

/**
 * Maps an ExportTraceServiceRequest (decoded protobuf or parsed JSON) to span
 * rows. Throws OtlpDecodeError naming the path of the first malformed field;
 * spans without a start time or older than the retention window are refused
 * and counted (partial success), the rest are kept.
 */
export function mapTraceRequest(request: unknown, limits: ItemLimits, stats: LimitStats, window: TimeWindow): MappedItems<SpanRecord> {
  const items: SpanRecord[] = [];
  let rejected = 0;
  let rejectReason = '';
  forEachItem(request, SPANS, limits, stats, (item, resource, scope) => {
    const span = readSpan(item, limits, stats);
    span.serviceName = resource.serviceName;
    span.resource = resource.resource;
    span.scopeName = scope.scopeName;
    span.scopeVersion = scope.scopeVersion;
    span.scopeAttributes = scope.scopeAttributes;
    const reason = rejectSpan(span, window);
    if (reason === null) {
      items.push(span);
    } else {
      rejected++;
      rejectReason ||= `${reason} (first: span ${idToHex(span.spanId)} of trace ${idToHex(span.traceId)})`;
    }
  });
  return { items, rejected, rejectReason };
}

const SPANS = { resources: 'resourceSpans', scopes: 'scopeSpans', items: 'spans' };

/** The largest time the stores hold (signed 64-bit nanoseconds, year 2262). */
export const MAX_TIME_UNIX_NANO = 2n ** 63n - 1n;

function rejectSpan(span: SpanRecord, window: TimeWindow): string | null {
  if (span.startTimeUnixNano === 0n) return 'startTimeUnixNano is required';
  if (span.endTimeUnixNano > MAX_TIME_UNIX_NANO) return 'endTimeUnixNano is beyond the year 2262';
  if (span.endTimeUnixNano < span.startTimeUnixNano) return 'endTimeUnixNano is before startTimeUnixNano';
  if (span.endTimeUnixNano < window.minTimeUnixNano) return 'span ended before the retention window';
  return null;
}

function readSpan(m: Msg, limits: ItemLimits, stats: LimitStats): SpanRecord {
  const { attributes, dropped } = readAttributes(m.attributes, limits, stats);
  const status = readMessage<Msg>(m.status, 'status');
  return {
    traceId: readId(m.traceId, 16, 'traceId', false)!,
    spanId: readId(m.spanId, 8, 'spanId', false)!,
    parentSpanId: readId(m.parentSpanId, 8, 'parentSpanId', true),
    traceState: limitString(readString(m.traceState, 'traceState'), limits, stats),
    flags: readInt(m.flags, 'flags'),
    name: limitString(readString(m.name, 'name'), limits, stats),
    kind: readByteEnum(m.kind, KIND_NAMES, 'kind'),
    startTimeUnixNano: readUint64(m.startTimeUnixNano as string, 'startTimeUnixNano'),
    endTimeUnixNano: readUint64(m.endTimeUnixNano as string, 'endTimeUnixNano'),
    attributes,
    droppedAttributesCount: readInt(m.droppedAttributesCount, 'droppedAttributesCount') + dropped,
    events: readList<Msg>(m.events, 'events').map((e, i) => readEvent(e, i, limits, stats)),
    droppedEventsCount: readInt(m.droppedEventsCount, 'droppedEventsCount'),
    links: readList<Msg>(m.links, 'links').map((l, i) => readLink(l, i, limits, stats)),
    droppedLinksCount: readInt(m.droppedLinksCount, 'droppedLinksCount'),
    statusCode: status === null ? StatusCode.UNSET : readEnum(status.code, STATUS_NAMES, 'status.code'),
    statusMessage: status === null ? '' : limitString(readString(status.message, 'status.message'), limits, stats),
    serviceName: '',
    resource: {},
    scopeName: '',
    scopeVersion: '',
    scopeAttributes: {},
  };
}

function readEvent(m: Msg, index: number, limits: ItemLimits, stats: LimitStats): SpanEvent {
  try {
    const { attributes, dropped } = readAttributes(m.attributes, limits, stats);
    return {
      timeUnixNano: readUint64(m.timeUnixNano as string, 'timeUnixNano'),
      name: limitString(readString(m.name, 'name'), limits, stats),
      attributes,
      droppedAttributesCount: readInt(m.droppedAttributesCount, 'droppedAttributesCount') + dropped,
    };
  } catch (e) {
    rethrowAt(e, `events[${index}]`);
  }
}

function readLink(m: Msg, index: number, limits: ItemLimits, stats: LimitStats): SpanLink {
  try {
    const { attributes, dropped } = readAttributes(m.attributes, limits, stats);
    return {
      traceId: idToHex(readId(m.traceId, 16, 'traceId', false)!),
      spanId: idToHex(readId(m.spanId, 8, 'spanId', false)!),
      traceState: readString(m.traceState, 'traceState'),
      attributes,
      droppedAttributesCount: readInt(m.droppedAttributesCount, 'droppedAttributesCount') + dropped,
      flags: readInt(m.flags, 'flags'),
    };
  } catch (e) {
    rethrowAt(e, `links[${index}]`);
  }
}
