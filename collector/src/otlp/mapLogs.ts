import type { LogRecord } from '../model/log.ts';
import { readAnyValue, readAttributes } from './anyValue.ts';
import type { ItemLimits, LimitStats } from './limits.ts';
import type { MappedItems, TimeWindow } from './mapTraces.ts';
import { readResource, readScope } from './resourceScope.ts';
import { readId, readInt, readList, readMessage, readString, readUint64, rethrowAt } from './wire.ts';

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
  const resourceLogs = readList<Msg>(readMessage<Msg>(request, 'request')?.resourceLogs, 'resourceLogs');
  for (let r = 0; r < resourceLogs.length; r++) {
    const rl = resourceLogs[r]!;
    let resource;
    try {
      resource = readResource(rl.resource, limits, stats);
    } catch (e) {
      rethrowAt(e, `resourceLogs[${r}]`);
    }
    const scopeLogs = readList<Msg>(rl.scopeLogs, `resourceLogs[${r}].scopeLogs`);
    for (let s = 0; s < scopeLogs.length; s++) {
      const sl = scopeLogs[s]!;
      const path = `resourceLogs[${r}].scopeLogs[${s}]`;
      let scope;
      try {
        scope = readScope(sl.scope, limits, stats);
      } catch (e) {
        rethrowAt(e, path);
      }
      const records = readList<Msg>(sl.logRecords, `${path}.logRecords`);
      for (let i = 0; i < records.length; i++) {
        let record: LogRecord;
        try {
          record = readLogRecord(records[i]!, limits, stats, receivedAtUnixNano);
        } catch (e) {
          rethrowAt(e, `${path}.logRecords[${i}]`);
        }
        if (record.timeUnixNano < window.minTimeUnixNano) {
          rejected++;
          rejectReason ||= 'log record is older than the retention window';
          continue;
        }
        record.serviceName = resource.serviceName;
        record.resource = resource.resource;
        record.scopeName = scope.scopeName;
        record.scopeVersion = scope.scopeVersion;
        record.scopeAttributes = scope.scopeAttributes;
        items.push(record);
      }
    }
  }
  return { items, rejected, rejectReason };
}

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
