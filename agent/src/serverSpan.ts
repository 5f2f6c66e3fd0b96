import {
  INVALID_SPAN_CONTEXT,
  SamplingDecision,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  diag,
  trace,
  type Attributes,
  type AttributeValue,
  type Context,
  type Exception,
  type HrTime,
  type Link,
  type Span,
  type SpanContext,
  type SpanStatus,
  type TimeInput,
} from '@opentelemetry/api';
import { AddAttributeDecision, cleanAttributes, cleanSimpleAttributes, isTimeInput, isTimeInputHrTime, isTracingSuppressed, maybeAddAttribute, millisToHrTime, type InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { Sampler, Span as SdkSpan, SpanLimits, SpanProcessor, TimedEvent } from '@opentelemetry/sdk-trace';

const { randomFillSync } = process.getBuiltinModule('node:crypto');

/** Random bytes for span and trace ids, drawn from the CSPRNG 4 KiB at a time. */
const ID_POOL_BYTES = 4096;
const idPool = Buffer.alloc(ID_POOL_BYTES);
let idPoolAt = ID_POOL_BYTES;

/** The character codes of each byte's two lowercase hex digits. */
const HIGH = new Uint8Array(256);
const LOW = new Uint8Array(256);
for (let i = 0; i < 256; i++) {
  HIGH[i] = '0123456789abcdef'.charCodeAt(i >> 4);
  LOW[i] = '0123456789abcdef'.charCodeAt(i & 15);
}

/** Takes `bytes` random bytes from the pool; returns where they start. */
function drawRandom(bytes: number): number {
  if (idPoolAt + bytes > ID_POOL_BYTES) {
    randomFillSync(idPool);
    idPoolAt = 0;
  }
  const at = idPoolAt;
  idPoolAt += bytes;
  return at;
}

/*
 * Ids are written in hex by String.fromCharCode with every digit as an
 * argument: a flat string of its own in one call, about half the time of
 * Buffer's hex encoder (which cost ~1 µs a request for the two ids in a CPU
 * profile of the benchmark app, one-off). Slices of one long hex string were
 * cheaper still, but a slice keeps its whole parent alive: with requests in
 * flight at every young-generation collection, the parents survived them and
 * `npm run bench -- survivors` went from about 19 to 29 bytes a request.
 */
const h = (at: number) => HIGH[idPool[at]!]!;
const l = (at: number) => LOW[idPool[at]!]!;

/** A random 8-byte span id in lowercase hex, never all zeros (an invalid id in W3C trace context). */
function randomSpanId(): string {
  const a = drawRandom(8);
  const id = String.fromCharCode(h(a), l(a), h(a + 1), l(a + 1), h(a + 2), l(a + 2), h(a + 3), l(a + 3), h(a + 4), l(a + 4), h(a + 5), l(a + 5), h(a + 6), l(a + 6), h(a + 7), l(a + 7));
  return id === '0000000000000000' ? '0000000000000001' : id;
}

/** A random 16-byte trace id in lowercase hex, never all zeros. */
function randomTraceId(): string {
  const a = drawRandom(16);
  const id = String.fromCharCode(
    h(a), l(a), h(a + 1), l(a + 1), h(a + 2), l(a + 2), h(a + 3), l(a + 3), h(a + 4), l(a + 4), h(a + 5), l(a + 5), h(a + 6), l(a + 6), h(a + 7), l(a + 7),
    h(a + 8), l(a + 8), h(a + 9), l(a + 9), h(a + 10), l(a + 10), h(a + 11), l(a + 11), h(a + 12), l(a + 12), h(a + 13), l(a + 13), h(a + 14), l(a + 14), h(a + 15), l(a + 15),
  );
  return id === '00000000000000000000000000000000' ? '00000000000000000000000000000001' : id;
}

/** What a span has until something is added: shared rather than made per request, and frozen, as nothing may write to them. */
const NO_LINKS = Object.freeze([]) as unknown as Link[];
const NO_EVENTS = Object.freeze([]) as unknown as TimedEvent[];
const UNSET: SpanStatus = Object.freeze({ code: SpanStatusCode.UNSET });

/**
 * Makes the server span of each request served: what the SDK's
 * `tracer.startSpan(name, { kind: SERVER }, parent)` makes, with the same
 * sampler, span processor, resource and limits, for less than half the work
 * (see ServerSpan).
 */
export class ServerSpans {
  private readonly sampler: Sampler;
  private readonly settings: SpanSettings;

  /** `limits` are the tracer provider's (every one given: the SDK fills in its defaults only for its own spans). */
  constructor(options: { sampler: Sampler } & SpanSettings) {
    const { sampler, ...settings } = options;
    this.sampler = sampler;
    this.settings = settings;
  }

  /**
   * Starts the span of a request: `method` is its name until the route is
   * known, `path` its `url.path`. Returns a non-recording span when the
   * sampler drops it or tracing is suppressed in `parent`.
   */
  start(parent: Context, method: string, path: string): Span {
    if (isTracingSuppressed(parent)) return trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
    const parentIds = trace.getSpanContext(parent);
    const remoteParent = parentIds !== undefined && trace.isSpanContextValid(parentIds) ? parentIds : undefined;
    const traceId = remoteParent?.traceId ?? randomTraceId();
    const spanId = randomSpanId();
    const attributes: Attributes = { 'http.request.method': method, 'url.path': path };
    const sampling = this.sampler.shouldSample(parent, traceId, method, SpanKind.SERVER, attributes, NO_LINKS);
    const ids: SpanContext = {
      traceId,
      spanId,
      traceFlags: sampling.decision === SamplingDecision.RECORD_AND_SAMPLED ? TraceFlags.SAMPLED : TraceFlags.NONE,
      traceState: sampling.traceState ?? remoteParent?.traceState,
    };
    if (sampling.decision === SamplingDecision.NOT_RECORD) return trace.wrapSpanContext(ids);
    const span = new ServerSpan(ids, remoteParent, method, attributes, this.settings);
    if (sampling.attributes !== undefined) span.setAttributes(sampling.attributes);
    this.settings.processor.onStart(span, parent);
    return span;
  }
}

/** What every server span shares: where it ends up and the limits on what it records. */
interface SpanSettings {
  processor: SpanProcessor;
  resource: Resource;
  scope: InstrumentationScope;
  limits: Required<SpanLimits>;
}

/** How a response ended, as the server span records it. */
export interface ResponseDone {
  method: string;
  /** The route template, or '' when none matched. */
  route: string;
  statusCode: number;
  /** False when the client went away before the response was complete. */
  complete: boolean;
}

/**
 * The span of one request served, with the OpenTelemetry SDK's span
 * interface (the API's Span and the SDK's ReadableSpan), so the SDK's span
 * processors and exporters take it as they take their own.
 *
 * Why not the SDK's SpanImpl, made by `tracer.startSpan`: a span made,
 * given the agent's four attributes and ended costs 1.59 µs that way and
 * 0.66 µs this way, outside any app (`npm run bench -- spanEncoding`, on the
 * 2-core machine of the agent benchmark), and inside a served request the
 * SDK's path measured 4 µs before its export (a CPU profile of the
 * hello-world benchmark app, one-off). The SDK's path takes ids from
 * Math.random through a Buffer, checks every attribute through an
 * Object.entries array and a WeakSet per value, reads the clock three times
 * and allocates a handful of arrays and a closure per span. This span puts
 * the agent's own attributes (method, path, route, status) straight into a
 * plain object, takes its ids from a CSPRNG pool, reads the clock twice and
 * allocates nothing else until exported. Attributes, events and links the
 * application adds (through `trace.getActiveSpan()`) go through the same
 * checks and limits as the SDK's (`@opentelemetry/core`).
 */
export class ServerSpan implements SdkSpan {
  readonly kind = SpanKind.SERVER;
  readonly parentSpanContext: SpanContext | undefined;
  readonly resource: Resource;
  readonly instrumentationScope: InstrumentationScope;
  name: string;
  attributes: Attributes;
  links: Link[] = NO_LINKS;
  events: TimedEvent[] = NO_EVENTS;
  status: SpanStatus = UNSET;
  droppedAttributesCount = 0;
  droppedEventsCount = 0;
  droppedLinksCount = 0;
  private readonly ids: SpanContext;
  private readonly settings: SpanSettings;
  private attributeCount = 2;
  /** Wall-clock start in whole milliseconds since the epoch, as the SDK's spans take it (Date.now). */
  readonly startEpochMs: number;
  /** Monotonic start (performance.now), from which the duration is measured. */
  private readonly startMonotonicMs: number;
  /** The span's duration in milliseconds, -1 until `end`. */
  durationMs = -1;
  /** Set once the span processor's `onEnding` has run: from then on nothing changes the span. */
  private done = false;

  constructor(ids: SpanContext, parent: SpanContext | undefined, name: string, attributes: Attributes, settings: SpanSettings) {
    this.startEpochMs = Date.now();
    this.startMonotonicMs = performance.now();
    this.ids = ids;
    this.parentSpanContext = parent;
    this.name = name;
    this.attributes = attributes;
    this.settings = settings;
    this.resource = settings.resource;
    this.instrumentationScope = settings.scope;
  }

  spanContext(): SpanContext {
    return this.ids;
  }

  get startTime(): HrTime {
    return millisToHrTime(this.startEpochMs);
  }

  get endTime(): HrTime {
    return this.durationMs < 0 ? [0, 0] : this.afterStart(this.durationMs);
  }

  get duration(): HrTime {
    return this.durationMs < 0 ? [-1, -1] : millisToHrTime(this.durationMs);
  }

  get ended(): boolean {
    return this.done;
  }

  isRecording(): boolean {
    return !this.done;
  }

  /**
   * Records how the response ended (route, status, an error for a 5xx or an
   * aborted response), names the span by its route, and ends it.
   */
  endResponse({ method, route, statusCode, complete }: ResponseDone): void {
    if (route !== '') {
      this.setOwnAttribute('http.route', route);
      this.updateName(`${method} ${route}`);
    }
    this.setOwnAttribute('http.response.status_code', statusCode);
    if (!complete) {
      this.setOwnAttribute('error.type', 'aborted');
      this.setStatus({ code: SpanStatusCode.ERROR, message: 'connection closed before the response was complete' });
    } else if (statusCode >= 500) {
      this.setOwnAttribute('error.type', String(statusCode));
      this.setStatus({ code: SpanStatusCode.ERROR });
    }
    this.end();
  }

  /**
   * Sets an attribute the agent itself writes (a string or an integer, under
   * a key of its own), without the checks an application's attribute needs.
   */
  private setOwnAttribute(key: string, value: string | number): void {
    if (this.done) return;
    if (!(key in this.attributes)) {
      if (this.attributeCount >= this.settings.limits.attributeCountLimit) {
        this.droppedAttributesCount++;
        return;
      }
      this.attributeCount++;
    }
    this.attributes[key] = value;
  }

  setAttribute(key: string, value: AttributeValue): this {
    if (this.warnIfEnded()) return this;
    const decision = maybeAddAttribute({ key, value, attributes: this.attributes, limits: this.settings.limits, currentAttributesCount: this.attributeCount });
    if (decision === AddAttributeDecision.ADD_NEW) this.attributeCount++;
    else if (decision === AddAttributeDecision.DROP_LIMIT_REACHED && this.droppedAttributesCount++ === 0) diag.warn('Dropping extra attributes.');
    return this;
  }

  setAttributes(attributes: Attributes): this {
    for (const key of Object.keys(attributes)) this.setAttribute(key, attributes[key]!);
    return this;
  }

  addEvent(name: string, attributesOrTime?: Attributes | TimeInput, time?: TimeInput): this {
    if (this.warnIfEnded()) return this;
    let attributes: Attributes | undefined;
    if (isTimeInput(attributesOrTime)) time ??= attributesOrTime;
    else attributes = attributesOrTime;
    if (this.events === NO_EVENTS) this.events = [];
    const limits = this.settings.limits;
    if (this.events.length >= limits.eventCountLimit) {
      this.events.shift();
      this.droppedEventsCount++;
    }
    const at = isTimeInputHrTime(time) ? time : this.afterStart(this.millisSinceStart(time));
    this.events.push({ name, time: at, ...cleanSimpleAttributes(attributes, { attributeCountLimit: limits.attributePerEventCountLimit, attributeValueLengthLimit: limits.attributeValueLengthLimit }) });
    return this;
  }

  addLink(link: Link): this {
    if (this.warnIfEnded()) return this;
    if (this.links === NO_LINKS) this.links = [];
    const limits = this.settings.limits;
    if (this.links.length >= limits.linkCountLimit) {
      this.links.shift();
      this.droppedLinksCount++;
    }
    this.links.push({ context: link.context, ...cleanAttributes(link.attributes, { attributeCountLimit: limits.attributePerLinkCountLimit, attributeValueLengthLimit: limits.attributeValueLengthLimit }) });
    return this;
  }

  addLinks(links: Link[]): this {
    for (const link of links) this.addLink(link);
    return this;
  }

  /** As the SDK's spans: UNSET is ignored, OK is final, and only an ERROR keeps a message. */
  setStatus(status: SpanStatus): this {
    if (this.warnIfEnded() || status.code === SpanStatusCode.UNSET || this.status.code === SpanStatusCode.OK) return this;
    this.status = status.code === SpanStatusCode.ERROR && typeof status.message === 'string' ? { code: status.code, message: status.message } : { code: status.code };
    return this;
  }

  updateName(name: string): this {
    if (!this.warnIfEnded()) this.name = name;
    return this;
  }

  recordException(exception: Exception, time?: TimeInput): void {
    const attributes: Attributes = {};
    if (typeof exception === 'string') attributes['exception.message'] = exception;
    else if (exception) {
      const type = exception.code ? String(exception.code) : exception.name;
      if (type) attributes['exception.type'] = type;
      if (exception.message) attributes['exception.message'] = exception.message;
      if (exception.stack) attributes['exception.stacktrace'] = exception.stack;
    }
    if (attributes['exception.type'] !== undefined || attributes['exception.message'] !== undefined) this.addEvent('exception', attributes, time);
    else diag.warn(`Failed to record an exception ${String(exception)}`);
  }

  /**
   * Ends the span, now or at the time given, and hands it to the span
   * processor; as the SDK's spans, it can still be changed in the processor's
   * `onEnding`, and an end before the start is taken as the start.
   */
  end(endTime?: TimeInput): void {
    if (this.durationMs >= 0) {
      diag.error(`${this.name} ${this.ids.traceId}-${this.ids.spanId} - You can only call end() on a span once.`);
      return;
    }
    this.durationMs = Math.max(0, this.millisSinceStart(endTime));
    this.settings.processor.onEnding?.(this);
    this.done = true;
    this.settings.processor.onEnd(this);
  }

  /**
   * Milliseconds from the start to a time given as the SDK's spans take it:
   * a number no later than `performance.now()` is on the performance clock,
   * a larger one is epoch milliseconds, a Date or an HrTime is when it says;
   * anything else (or nothing, or an invalid Date) is now.
   */
  private millisSinceStart(time: TimeInput | undefined): number {
    if (time === undefined) return performance.now() - this.startMonotonicMs; // every request's end
    let since: number;
    if (typeof time === 'number') since = time <= performance.now() ? time - this.startMonotonicMs : time - this.startEpochMs;
    else if (time instanceof Date) since = time.getTime() - this.startEpochMs;
    // The whole milliseconds subtracted first: an epoch time in milliseconds as one double is only good to about 0.24 µs.
    else if (isTimeInputHrTime(time)) since = time[0] * 1000 - this.startEpochMs + time[1] / 1e6;
    else since = NaN;
    return Number.isFinite(since) ? since : performance.now() - this.startMonotonicMs;
  }

  /**
   * The time this many milliseconds after (or before) the start: the start's
   * nanoseconds plus the offset rounded to whole nanoseconds, the same sum
   * the OTLP encoder writes (`ProtoWriter.epochMillis`), carried into seconds.
   * Added up in nanoseconds within the second, not as one double of epoch
   * milliseconds, which would round them.
   */
  private afterStart(millis: number): HrTime {
    const nanos = (this.startEpochMs % 1000) * 1e6 + Math.round(millis * 1e6);
    const carry = Math.floor(nanos / 1e9);
    return [Math.floor(this.startEpochMs / 1000) + carry, nanos - carry * 1e9];
  }

  private warnIfEnded(): boolean {
    if (!this.done) return false;
    diag.warn(`Cannot execute the operation on ended Span {traceId: ${this.ids.traceId}, spanId: ${this.ids.spanId}}`);
    return true;
  }
}
