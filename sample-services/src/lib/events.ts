import type { Express } from 'express';
import type { Agent } from '@mirador/agent';
import { httpBus, rabbitMqBus, type EventBus, type EventType } from './EventBus.ts';
import type { DemoConfig } from './config.ts';

/** Who subscribes to what, for delivery over HTTP when there is no broker. */
function subscribers(config: DemoConfig): Partial<Record<EventType, string[]>> {
  return { OrderCreated: [config.urls.payment], PaymentCompleted: [config.urls.order], PaymentFailed: [config.urls.order] };
}

/**
 * The service's event bus: RabbitMQ when AMQP_URL is set and answers,
 * otherwise HTTP delivery of the same events (logged once, so a demo without
 * a broker says so).
 */
export async function connectEvents(app: Express, config: DemoConfig, service: string, agent: Agent): Promise<EventBus> {
  if (config.amqpUrl !== null) {
    try {
      return await rabbitMqBus(config.amqpUrl, config.namespace, service);
    } catch (error) {
      agent.logger.warn('RabbitMQ unreachable; delivering events over HTTP', { amqpUrl: config.amqpUrl.replace(/\/\/[^@]*@/, '//'), error: String(error) });
    }
  }
  return httpBus(app, subscribers(config), service);
}
