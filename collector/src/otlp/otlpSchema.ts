/**
 * The OTLP wire messages as a protobufjs descriptor, written for Mirador from
 * the OpenTelemetry protocol specification (opentelemetry-proto, v1).
 *
 * Only field numbers and types matter on the wire; the package names matter
 * for the gRPC service paths (`/opentelemetry.proto.collector.trace.v1.TraceService/Export`).
 * Fields the specification has deprecated or reserved are left out: the
 * decoder skips unknown fields, as the specification asks of receivers.
 * Property names are camelCase, which is also the OTLP/JSON field naming, so
 * one mapper reads decoded protobuf and parsed JSON alike.
 */
import protobuf from 'protobufjs';
import Long from 'long';

type FieldSpec = { type: string; id: number; rule?: 'repeated'; options?: Record<string, unknown> };
type MessageSpec = { fields: Record<string, FieldSpec>; oneofs?: Record<string, { oneof: string[] }> };

const f = (id: number, type: string): FieldSpec => ({ type, id });
const rep = (id: number, type: string): FieldSpec => ({ type, id, rule: 'repeated' });
// proto3 packs repeated scalars by default; protobufjs needs it said for the encoder.
const packed = (id: number, type: string): FieldSpec => ({ type, id, rule: 'repeated', options: { packed: true } });

const common: Record<string, MessageSpec> = {
  AnyValue: {
    oneofs: { value: { oneof: ['stringValue', 'boolValue', 'intValue', 'doubleValue', 'arrayValue', 'kvlistValue', 'bytesValue'] } },
    fields: {
      stringValue: f(1, 'string'),
      boolValue: f(2, 'bool'),
      intValue: f(3, 'int64'),
      doubleValue: f(4, 'double'),
      arrayValue: f(5, 'ArrayValue'),
      kvlistValue: f(6, 'KeyValueList'),
      bytesValue: f(7, 'bytes'),
    },
  },
  ArrayValue: { fields: { values: rep(1, 'AnyValue') } },
  KeyValueList: { fields: { values: rep(1, 'KeyValue') } },
  KeyValue: { fields: { key: f(1, 'string'), value: f(2, 'AnyValue') } },
  InstrumentationScope: {
    fields: {
      name: f(1, 'string'),
      version: f(2, 'string'),
      attributes: rep(3, 'KeyValue'),
      droppedAttributesCount: f(4, 'uint32'),
    },
  },
};

const C = 'opentelemetry.proto.common.v1.';
const R = 'opentelemetry.proto.resource.v1.';

const resource: Record<string, MessageSpec> = {
  Resource: { fields: { attributes: rep(1, C + 'KeyValue'), droppedAttributesCount: f(2, 'uint32') } },
};

const trace: Record<string, MessageSpec | { values: Record<string, number> }> = {
  TracesData: { fields: { resourceSpans: rep(1, 'ResourceSpans') } },
  ResourceSpans: { fields: { resource: f(1, R + 'Resource'), scopeSpans: rep(2, 'ScopeSpans'), schemaUrl: f(3, 'string') } },
  ScopeSpans: { fields: { scope: f(1, C + 'InstrumentationScope'), spans: rep(2, 'Span'), schemaUrl: f(3, 'string') } },
  Span: {
    fields: {
      traceId: f(1, 'bytes'),
      spanId: f(2, 'bytes'),
      traceState: f(3, 'string'),
      parentSpanId: f(4, 'bytes'),
      flags: f(16, 'fixed32'),
      name: f(5, 'string'),
      kind: f(6, 'int32'),
      startTimeUnixNano: f(7, 'fixed64'),
      endTimeUnixNano: f(8, 'fixed64'),
      attributes: rep(9, C + 'KeyValue'),
      droppedAttributesCount: f(10, 'uint32'),
      events: rep(11, 'Event'),
      droppedEventsCount: f(12, 'uint32'),
      links: rep(13, 'Link'),
      droppedLinksCount: f(14, 'uint32'),
      status: f(15, 'Status'),
    },
  },
  Event: {
    fields: {
      timeUnixNano: f(1, 'fixed64'),
      name: f(2, 'string'),
      attributes: rep(3, C + 'KeyValue'),
      droppedAttributesCount: f(4, 'uint32'),
    },
  },
  Link: {
    fields: {
      traceId: f(1, 'bytes'),
      spanId: f(2, 'bytes'),
      traceState: f(3, 'string'),
      attributes: rep(4, C + 'KeyValue'),
      droppedAttributesCount: f(5, 'uint32'),
      flags: f(6, 'fixed32'),
    },
  },
  // Field 1 is reserved (the deprecated code); kind and code are enums on the wire, read as int32.
  Status: { fields: { message: f(2, 'string'), code: f(3, 'int32') } },
};

const logs: Record<string, MessageSpec> = {
  LogsData: { fields: { resourceLogs: rep(1, 'ResourceLogs') } },
  ResourceLogs: { fields: { resource: f(1, R + 'Resource'), scopeLogs: rep(2, 'ScopeLogs'), schemaUrl: f(3, 'string') } },
  ScopeLogs: { fields: { scope: f(1, C + 'InstrumentationScope'), logRecords: rep(2, 'LogRecord'), schemaUrl: f(3, 'string') } },
  LogRecord: {
    fields: {
      timeUnixNano: f(1, 'fixed64'),
      observedTimeUnixNano: f(11, 'fixed64'),
      severityNumber: f(2, 'int32'),
      severityText: f(3, 'string'),
      body: f(5, C + 'AnyValue'),
      attributes: rep(6, C + 'KeyValue'),
      droppedAttributesCount: f(7, 'uint32'),
      flags: f(8, 'fixed32'),
      traceId: f(9, 'bytes'),
      spanId: f(10, 'bytes'),
      eventName: f(12, 'string'),
    },
  },
};

const metrics: Record<string, MessageSpec> = {
  MetricsData: { fields: { resourceMetrics: rep(1, 'ResourceMetrics') } },
  ResourceMetrics: { fields: { resource: f(1, R + 'Resource'), scopeMetrics: rep(2, 'ScopeMetrics'), schemaUrl: f(3, 'string') } },
  ScopeMetrics: { fields: { scope: f(1, C + 'InstrumentationScope'), metrics: rep(2, 'Metric'), schemaUrl: f(3, 'string') } },
  Metric: {
    oneofs: { data: { oneof: ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary'] } },
    fields: {
      name: f(1, 'string'),
      description: f(2, 'string'),
      unit: f(3, 'string'),
      gauge: f(5, 'Gauge'),
      sum: f(7, 'Sum'),
      histogram: f(9, 'Histogram'),
      exponentialHistogram: f(10, 'ExponentialHistogram'),
      summary: f(11, 'Summary'),
      metadata: rep(12, C + 'KeyValue'),
    },
  },
  Gauge: { fields: { dataPoints: rep(1, 'NumberDataPoint') } },
  Sum: { fields: { dataPoints: rep(1, 'NumberDataPoint'), aggregationTemporality: f(2, 'int32'), isMonotonic: f(3, 'bool') } },
  Histogram: { fields: { dataPoints: rep(1, 'HistogramDataPoint'), aggregationTemporality: f(2, 'int32') } },
  ExponentialHistogram: { fields: { dataPoints: rep(1, 'ExponentialHistogramDataPoint'), aggregationTemporality: f(2, 'int32') } },
  Summary: { fields: { dataPoints: rep(1, 'SummaryDataPoint') } },
  NumberDataPoint: {
    oneofs: { value: { oneof: ['asDouble', 'asInt'] } },
    fields: {
      attributes: rep(7, C + 'KeyValue'),
      startTimeUnixNano: f(2, 'fixed64'),
      timeUnixNano: f(3, 'fixed64'),
      asDouble: f(4, 'double'),
      asInt: f(6, 'sfixed64'),
      exemplars: rep(5, 'Exemplar'),
      flags: f(8, 'uint32'),
    },
  },
  HistogramDataPoint: {
    oneofs: { _sum: { oneof: ['sum'] }, _min: { oneof: ['min'] }, _max: { oneof: ['max'] } },
    fields: {
      attributes: rep(9, C + 'KeyValue'),
      startTimeUnixNano: f(2, 'fixed64'),
      timeUnixNano: f(3, 'fixed64'),
      count: f(4, 'fixed64'),
      sum: f(5, 'double'),
      bucketCounts: packed(6, 'fixed64'),
      explicitBounds: packed(7, 'double'),
      exemplars: rep(8, 'Exemplar'),
      flags: f(10, 'uint32'),
      min: f(11, 'double'),
      max: f(12, 'double'),
    },
  },
  ExponentialHistogramDataPoint: {
    oneofs: { _sum: { oneof: ['sum'] }, _min: { oneof: ['min'] }, _max: { oneof: ['max'] } },
    fields: {
      attributes: rep(1, C + 'KeyValue'),
      startTimeUnixNano: f(2, 'fixed64'),
      timeUnixNano: f(3, 'fixed64'),
      count: f(4, 'fixed64'),
      sum: f(5, 'double'),
      scale: f(6, 'sint32'),
      zeroCount: f(7, 'fixed64'),
      positive: f(8, 'Buckets'),
      negative: f(9, 'Buckets'),
      flags: f(10, 'uint32'),
      exemplars: rep(11, 'Exemplar'),
      min: f(12, 'double'),
      max: f(13, 'double'),
      zeroThreshold: f(14, 'double'),
    },
  },
  Buckets: { fields: { offset: f(1, 'sint32'), bucketCounts: packed(2, 'uint64') } },
  SummaryDataPoint: {
    fields: {
      attributes: rep(7, C + 'KeyValue'),
      startTimeUnixNano: f(2, 'fixed64'),
      timeUnixNano: f(3, 'fixed64'),
      count: f(4, 'fixed64'),
      sum: f(5, 'double'),
      quantileValues: rep(6, 'ValueAtQuantile'),
      flags: f(8, 'uint32'),
    },
  },
  ValueAtQuantile: { fields: { quantile: f(1, 'double'), value: f(2, 'double') } },
  Exemplar: {
    oneofs: { value: { oneof: ['asDouble', 'asInt'] } },
    fields: {
      filteredAttributes: rep(7, C + 'KeyValue'),
      timeUnixNano: f(2, 'fixed64'),
      asDouble: f(3, 'double'),
      asInt: f(6, 'sfixed64'),
      spanId: f(4, 'bytes'),
      traceId: f(5, 'bytes'),
    },
  },
};

/** Export request, partial-success response and gRPC service for one signal. */
function collectorService(signal: string, dataPackage: string, resourceField: string, resourceType: string, rejectedField: string) {
  const Signal = signal[0]!.toUpperCase() + signal.slice(1);
  return {
    [`Export${Signal}ServiceRequest`]: { fields: { [resourceField]: rep(1, dataPackage + resourceType) } },
    [`Export${Signal}ServiceResponse`]: { fields: { partialSuccess: f(1, `Export${Signal}PartialSuccess`) } },
    [`Export${Signal}PartialSuccess`]: { fields: { [rejectedField]: f(1, 'int64'), errorMessage: f(2, 'string') } },
  };
}

const descriptor = {
  nested: {
    opentelemetry: {
      nested: {
        proto: {
          nested: {
            common: { nested: { v1: { nested: common } } },
            resource: { nested: { v1: { nested: resource } } },
            trace: { nested: { v1: { nested: trace } } },
            logs: { nested: { v1: { nested: logs } } },
            metrics: { nested: { v1: { nested: metrics } } },
            collector: {
              nested: {
                trace: { nested: { v1: { nested: collectorService('trace', 'opentelemetry.proto.trace.v1.', 'resourceSpans', 'ResourceSpans', 'rejectedSpans') } } },
                logs: { nested: { v1: { nested: collectorService('logs', 'opentelemetry.proto.logs.v1.', 'resourceLogs', 'ResourceLogs', 'rejectedLogRecords') } } },
                metrics: { nested: { v1: { nested: collectorService('metrics', 'opentelemetry.proto.metrics.v1.', 'resourceMetrics', 'ResourceMetrics', 'rejectedDataPoints') } } },
              },
            },
          },
        },
      },
    },
    google: {
      nested: {
        protobuf: { nested: { Any: { fields: { typeUrl: f(1, 'string'), value: f(2, 'bytes') } } } },
        // The error body of a failed OTLP/HTTP request (google.rpc.Status).
        rpc: { nested: { Status: { fields: { code: f(1, 'int32'), message: f(2, 'string'), details: rep(3, 'google.protobuf.Any') } } } },
      },
    },
  },
};

// 64-bit fields decode to Long (exact) instead of lossy doubles.
protobuf.util.Long = Long;
protobuf.configure();

const root = protobuf.Root.fromJSON(descriptor as protobuf.INamespace);

/** The protobufjs types Mirador decodes and encodes. */
export const otlpTypes = {
  traceRequest: root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest'),
  traceResponse: root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse'),
  logsRequest: root.lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest'),
  logsResponse: root.lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse'),
  metricsRequest: root.lookupType('opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest'),
  metricsResponse: root.lookupType('opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse'),
  status: root.lookupType('google.rpc.Status'),
};
