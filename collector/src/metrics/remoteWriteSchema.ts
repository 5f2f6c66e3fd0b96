/**
 * Prometheus remote write 1.0 (`prometheus.WriteRequest`), as a protobufjs
 * descriptor written from the specification
 * (https://prometheus.io/docs/specs/remote_write_spec/): only the field
 * numbers and types matter on the wire; native histograms (field 4 of
 * TimeSeries) are read only to be counted and refused.
 */
import protobuf from 'protobufjs';
import '../otlp/otlpSchema.ts'; // configures protobufjs to decode 64-bit integers as Long, once

const f = (id: number, type: string) => ({ type, id });
const rep = (id: number, type: string) => ({ type, id, rule: 'repeated' });

const descriptor = {
  nested: {
    prometheus: {
      nested: {
        WriteRequest: { fields: { timeseries: rep(1, 'TimeSeries'), metadata: rep(3, 'MetricMetadata') } },
        TimeSeries: { fields: { labels: rep(1, 'Label'), samples: rep(2, 'Sample'), exemplars: rep(3, 'Exemplar'), histograms: rep(4, 'bytes') } },
        Label: { fields: { name: f(1, 'string'), value: f(2, 'string') } },
        Sample: { fields: { value: f(1, 'double'), timestamp: f(2, 'int64') } },
        Exemplar: { fields: { labels: rep(1, 'Label'), value: f(2, 'double'), timestamp: f(3, 'int64') } },
        MetricMetadata: { fields: { type: f(1, 'int32'), metricFamilyName: f(2, 'string'), help: f(4, 'string'), unit: f(5, 'string') } },
      },
    },
  },
};

/** The decoded WriteRequest's shape (protobufjs camelCase, 64-bit integers as Long). */
export interface WriteRequest {
  timeseries?: Array<{
    labels?: Array<{ name?: string; value?: string }>;
    samples?: Array<{ value?: number; timestamp?: { toNumber(): number } | number }>;
    exemplars?: Array<{ labels?: Array<{ name?: string; value?: string }>; value?: number; timestamp?: { toNumber(): number } | number }>;
    histograms?: Uint8Array[];
  }>;
  metadata?: Array<{ type?: number; metricFamilyName?: string; help?: string; unit?: string }>;
}

export const writeRequestType = protobuf.Root.fromJSON(descriptor as protobuf.INamespace).lookupType('prometheus.WriteRequest');
