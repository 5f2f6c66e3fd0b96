import type { Attributes } from './attributes.ts';

/** OTLP span kinds (the wire values). */
export const SpanKind = { UNSPECIFIED: 0, INTERNAL: 1, SERVER: 2, CLIENT: 3, PRODUCER: 4, CONSUMER: 5 } as const;
/**
 * Lower-case name of each span kind, indexed by its wire value: the values of
 * Jaeger's `span.kind` tag and of `/api/operations`; '' for unspecified.
 */
export const SPAN_KIND_NAMES: readonly string[] = ['', 'internal', 'server', 'client', 'producer', 'consumer'];

/** OTLP status codes (the wire values). */
export const StatusCode = { UNSET: 0, OK: 1, ERROR: 2 } as const;

/** A timed event inside a span. */
export interface SpanEvent {
  timeUnixNano: bigint;
  name: string;
  attributes: Attributes;
  droppedAttributesCount: number;
}

/** A link from a span to another span, possibly in another trace. */
export interface SpanLink {
  traceId: string;
  spanId: string;
  traceState: string;
  attributes: Attributes;
  droppedAttributesCount: number;
  flags: number;
}

/** One span with everything OTLP carries for it, its resource and scope included. */
export interface SpanRecord {
  /** 16 bytes. */
  traceId: Uint8Array;
  /** 8 bytes. */
  spanId: Uint8Array;
  /** 8 bytes, or null for a root span. */
  parentSpanId: Uint8Array | null;
  traceState: string;
  flags: number;
  name: string;
  kind: number;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: Attributes;
  droppedAttributesCount: number;
  events: SpanEvent[];
  droppedEventsCount: number;
  links: SpanLink[];
  droppedLinksCount: number;
  statusCode: number;
  statusMessage: string;
  /** `service.name` of the resource, or `unknown_service`. */
  serviceName: string;
  resource: Attributes;
  scopeName: string;
  scopeVersion: string;
  scopeAttributes: Attributes;
}
