import { context } from '@opentelemetry/api';
import { isTracingSuppressed } from '@opentelemetry/core';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { AmqplibInstrumentation } from '@opentelemetry/instrumentation-amqplib';
import { ExpressInstrumentation } from '@opentelemetry/instrumentation-express';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import type { ExtraInstrumentation } from './options.ts';

/**
 * The curated default set, chosen for start-up time and per-request cost:
 * outgoing HTTP (`http.request`) and fetch (undici), RabbitMQ (amqplib) and
 * PostgreSQL (pg). Incoming HTTP is the agent's own (httpServerSpans.ts), so
 * the HTTP instrumentation runs for outgoing requests only; Express route
 * names come from Express itself, and Express layer spans are an extra.
 *
 * Requests made where tracing is suppressed (`suppressTracing`) go straight
 * to Node's `http.request`: the HTTP instrumentation would otherwise still
 * build their attributes, start a non-recording span and bind their callbacks
 * and emitters to a context. (The agent's own exports no longer use Node's
 * http client at all: socketHttp.ts.)
 */
export function defaultInstrumentations(): Instrumentation[] {
  const outgoing = new HttpInstrumentation({ disableIncomingRequestInstrumentation: true, ignoreOutgoingRequestHook: () => isTracingSuppressed(context.active()) });
  return [outgoing, new UndiciInstrumentation(), new AmqplibInstrumentation(), new PgInstrumentation()];
}

/** Instrumentations a service adds by name. */
export function extraInstrumentation(name: ExtraInstrumentation): Instrumentation {
  switch (name) {
    case 'express':
      // A span per middleware and route handler, beside the route name the server span already carries.
      return new ExpressInstrumentation();
  }
}

/**
 * The modules these instrumentations patch, for the ES-module loader hook:
 * only these are wrapped by import-in-the-middle, every other import loads
 * as it would without the agent.
 */
export function patchedModules(instrumentations: readonly Instrumentation[]): string[] {
  const names = new Set<string>();
  for (const i of instrumentations) {
    // InstrumentationBase keeps its module definitions in `_modules` (0.300.x has no public getter).
    const definitions = (i as unknown as { _modules?: Array<{ name: string }> })._modules ?? [];
    for (const d of definitions) names.add(d.name);
  }
  return [...names];
}
