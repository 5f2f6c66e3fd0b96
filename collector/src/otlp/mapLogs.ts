import type { AttributeValue } from '../model/attributes.ts';
import { SEVERITY_LEVELS, type LogRecord } from '../model/log.ts';
import { limitString, readAnyValue, readAttributes } from './anyValue.ts';
import type { ItemLimits, LimitStats } from './limits.ts';
import { MAX_TIME_UNIX_NANO, type MappedItems, type TimeWindow } from './mapTraces.ts';
import { forEachItem } from './resourceScope.ts';
import { readByteEnum, readId, readInt, readMessage, readString, readUint64 } from './wire.ts';

type Msg = Record<string, unknown>;

/**
 * Maps an ExportLogsServiceRequest (decoded protobuf or parsed JSON) to log
 * rows. A record without a time takes its observed time, and one with neither
 * takes `receivedAtUnixNano`, as the log data model suggests; records older
 * than the retention window are refused and counted.
 */
export function mapLogsRequest(request: unknown, limits: ItemLimits, stats: LimitStats, window: TimeWindow, receivedAtUnixNano: bigint): MappedItems<LogRecord> {
  const items: LogRecord[] = [];
  let rejected = 0;
  let rejectReason = '';
  forEachItem(request, LOGS, limits, stats, (item, resource, scope) => {
    const record = readLogRecord(item, limits, stats, receivedAtUnixNano);
    if (record.timeUnixNano > MAX_TIME_UNIX_NANO || record.observedTimeUnixNano > MAX_TIME_UNIX_NANO) {
      rejected++;
      rejectReason ||= 'log record time is beyond the year 2262';
      return;
    }
    if (record.timeUnixNano < window.minTimeUnixNano) {
      rejected++;
      rejectReason ||= 'log record is older than the retention window';
      return;
    }
    record.serviceName = resource.serviceName;
    record.resource = resource.resource;
    record.scopeName = scope.scopeName;
    record.scopeVersion = scope.scopeVersion;
    record.scopeAttributes = scope.scopeAttributes;
    items.push(record);
  });
  return { items, rejected, rejectReason };
}

const LOGS = { resources: 'resourceLogs', scopes: 'scopeLogs', items: 'logRecords' };

/** SEVERITY_NUMBER_TRACE ... SEVERITY_NUMBER_FATAL4, as OTLP/JSON senders may spell them. */
const SEVERITY_NUMBER_NAMES: Record<string, number> = Object.fromEntries(
  Object.entries(SEVERITY_LEVELS).flatMap(([level, [lowest]]) =>
    ['', '2', '3', '4'].map((n, i) => [`SEVERITY_NUMBER_${level.toUpperCase()}${n}`, lowest + i] as const),
  ),
);

function readLogRecord(m: Msg, limits: ItemLimits, stats: LimitStats, receivedAtUnixNano: bigint): LogRecord {
  const { attributes, dropped } = readAttributes(m.attributes, limits, stats);
  const observed = readUint64(m.observedTimeUnixNano as string, 'observedTimeUnixNano');
  const time = readUint64(m.timeUnixNano as string, 'timeUnixNano');
  return {
    timeUnixNano: time !== 0n ? time : observed !== 0n ? observed : receivedAtUnixNano,
    observedTimeUnixNano: observed !== 0n ? observed : receivedAtUnixNano,
    severityNumber: readByteEnum(m.severityNumber, SEVERITY_NUMBER_NAMES, 'severityNumber'),
    severityText: limitString(readString(m.severityText, 'severityText'), limits, stats),
    body: redactBody(readAnyValue(readMessage(m.body, 'body'), limits, stats), limits, stats),
    attributes,
    droppedAttributesCount: readInt(m.droppedAttributesCount, 'droppedAttributesCount') + dropped,
    flags: readInt(m.flags, 'flags'),
    traceId: readId(m.traceId, 16, 'traceId', true),
    spanId: readId(m.spanId, 8, 'spanId', true),
    eventName: limitString(readString(m.eventName, 'eventName'), limits, stats),
    serviceName: '',
    resource: {},
    scopeName: '',
    scopeVersion: '',
    scopeAttributes: {},
  };
}

/** A log body with card numbers and e-mail addresses redacted, as configured (a map body's keys were redacted as it was read). */
function redactBody(body: AttributeValue, limits: ItemLimits, stats: LimitStats): AttributeValue {
  return limits.redaction === undefined ? body : limits.redaction.inValue(body, stats);
}
