/**
 * Zero-code start: `node --import @mirador/agent/register app.js`, configured
 * by OTEL_SERVICE_NAME, OTEL_EXPORTER_OTLP_ENDPOINT and MIRADOR_* variables.
 * The import-in-the-middle hook is registered before the application loads,
 * so its ES-module imports of express and http are instrumented.
 */
import { register } from 'node:module';
import { startAgent } from './startAgent.ts';

register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);
startAgent();
