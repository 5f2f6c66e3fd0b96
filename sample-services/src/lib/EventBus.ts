import amqp from 'amqplib';
import type { Express } from 'express';
import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';

/** The saga's events. */
export type EventType = 'OrderCreated' | 'PaymentCompleted' | 'PaymentFailed';
export type EventHandler = (payload: Record<string, unknown>) => Promise<void>;

/** Publish and subscribe to the saga's events, over RabbitMQ or, without a broker, over HTTP. */
export interface EventBus {
  readonly kind: 'rabbitmq' | 'http';
  publish(type: EventType, payload: Record<string, unknown>): Promise<void>;
  /** Starts consuming the events of these types into one handler queue named after the service. */
  subscribe(types: EventType[], handler: (type: EventType, payload: Record<string, unknown>) => Promise<void>): Promise<void>;
  /** Messages waiting in this service's queue (for `messaging_queue_depth`). */
  queueDepth(): Promise<number>;
  close(): Promise<void>;
}

/**
 * RabbitMQ: one topic exchange `<namespace>.events`, the event type as routing
 * key, a durable queue per subscribing service. The amqplib instrumentation
 * makes the producer and consumer spans and carries the trace context in the
 * message headers.
 */
export async function rabbitMqBus(url: string, namespace: string, service: string): Promise<EventBus> {
  const connection = await amqp.connect(url);
  const channel = await connection.createChannel();
  const exchange = `${namespace}.events`;
  const queue = `${namespace}.${service}`;
  await channel.assertExchange(exchange, 'topic', { durable: false });
  let subscribed = false;
  return {
    kind: 'rabbitmq',
    async publish(type, payload) {
      channel.publish(exchange, type, Buffer.from(JSON.stringify(payload)), { contentType: 'application/json', type, persistent: false });
    },
    async subscribe(types, handler) {
      await channel.assertQueue(queue, { durable: false });
      for (const type of types) await channel.bindQueue(queue, exchange, type);
      await channel.prefetch(16);
      subscribed = true;
      await channel.consume(queue, (message) => {
        if (message === null) return;
        const type = message.fields.routingKey as EventType;
        handler(type, JSON.parse(message.content.toString()) as Record<string, unknown>).then(
          () => channel.ack(message),
          // A handler that fails is retried once by redelivery, then dropped with its error logged by the handler.
          () => channel.nack(message, false, !message.fields.redelivered),
        );
      });
    },
    async queueDepth() {
      return subscribed ? (await channel.checkQueue(queue)).messageCount : 0;
    },
    async close() {
      await channel.close().catch(() => undefined);
      await connection.close().catch(() => undefined);
    },
  };
}

/**
 * Without a broker: each event is POSTed to the subscribers' `/events`
 * endpoints. The producer and consumer spans are made here, with the same
 * messaging attributes as over RabbitMQ, so the trace and the service map
 * keep the event hop either way.
 */
export function httpBus(app: Express, subscribers: Partial<Record<EventType, string[]>>, service: string): EventBus {
  const tracer = trace.getTracer('@mirador/sample-services');
  let handler: ((type: EventType, payload: Record<string, unknown>) => Promise<void>) | null = null;
  let inFlight = 0;
  app.post('/events/:type', (req, res) => {
    const type = req.params.type as EventType;
    if (handler === null) {
      res.status(404).json({ error: `${service} does not subscribe to ${type}` });
      return;
    }
    // The HTTP instrumentations carry the trace context: this consumer span is a child of the delivery's server span.
    const parent = context.active();
    const span = tracer.startSpan(`${type} process`, { kind: SpanKind.CONSUMER, attributes: { 'messaging.system': 'http', 'messaging.destination.name': type, 'messaging.operation.type': 'process' } }, parent);
    inFlight++;
    context
      .with(trace.setSpan(parent, span), () => handler!(type, req.body as Record<string, unknown>))
      .then(
        () => res.status(202).json({ accepted: true }),
        (error: unknown) => {
          span.setStatus({ code: SpanStatusCode.ERROR, message: String(error) });
          res.status(500).json({ error: String(error) });
        },
      )
      .finally(() => {
        inFlight--;
        span.end();
      });
  });
  return {
    kind: 'http',
    async publish(type, payload) {
      const span = tracer.startSpan(`${type} publish`, { kind: SpanKind.PRODUCER, attributes: { 'messaging.system': 'http', 'messaging.destination.name': type, 'messaging.operation.type': 'send' } });
      const active = trace.setSpan(context.active(), span);
      const headers = { 'content-type': 'application/json' };
      try {
        // Delivered in the background, as a broker would: the publisher does not wait for the consumer's work.
        for (const url of subscribers[type] ?? []) {
          void context.with(active, () => fetch(`${url}/events/${type}`, { method: 'POST', headers, body: JSON.stringify(payload) })).catch(() => undefined);
        }
      } finally {
        span.end();
      }
    },
    async subscribe(_types, h) {
      handler = h;
    },
    async queueDepth() {
      return inFlight;
    },
    async close() {},
  };
}
