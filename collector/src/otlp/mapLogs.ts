import type { LogRecord } from '../model/log.ts';
import { readAnyValue, readAttributes } from './anyValue.ts';
import type { ItemLimits, LimitStats } from './limits.ts';
import type { MappedItems, TimeWindow } from './mapTraces.ts';
import { forEachItem } from './resourceScope.ts';
import { readId, readInt, readMessage, readString, readUint64 } from './wire.ts';

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

function readLogRecord(m: Msg, limits: ItemLimits, stats: LimitStats, receivedAtUnixNano: bigint): LogRecord {
  const { attributes, dropped } = readAttributes(m.attributes, limits, stats);
  const observed = readUint64(m.observedTimeUnixNano as string, 'observedTimeUnixNano');
  const time = readUint64(m.timeUnixNano as string, 'timeUnixNano');
  return {
    timeUnixNano: time !== 0n ? time : observed !== 0n ? observed : receivedAtUnixNano,
    observedTimeUnixNano: observed !== 0n ? observed : receivedAtUnixNano,
    severityNumber: readInt(m.severityNumber, 'severityNumber'),
    severityText: readString(m.severityText, 'severityText'),
    body: readAnyValue(readMessage(m.body, 'body'), limits, stats),
    attributes,
    droppedAttributesCount: readInt(m.droppedAttributesCount, 'droppedAttributesCount') + dropped,
    flags: readInt(m.flags, 'flags'),
    traceId: readId(m.traceId, 16, 'traceId', true),
    spanId: readId(m.spanId, 8, 'spanId', true),
    eventName: readString(m.eventName, 'eventName'),
    serviceName: '',
    resource: {},
    scopeName: '',
    scopeVersion: '',
    scopeAttributes: {},
  };
}
