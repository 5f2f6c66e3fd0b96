/**
 * Zero-code start: `node --import @mirador/agent/register app.js`, configured
 * by OTEL_* and MIRADOR_* environment variables.
 *
 * The agent starts first, so its instrumentations have declared the modules
 * they patch; then import-in-the-middle's loader hook is registered for those
 * modules only, before the application's own imports load. Where Node has
 * synchronous module hooks (module.registerHooks), the hook runs in this
 * thread; otherwise on a loader thread (module.register), which costs a
 * second V8 isolate, about 45 MiB.
 */
import { register as registerAsync } from 'node:module';
import { register as registerSync, supportsSyncHooks } from 'import-in-the-middle/register-hooks.mjs';
import { patchedModules } from './instrumentations.ts';
import { enabledInstrumentations, startAgent } from './startAgent.ts';

startAgent();
const include = patchedModules(enabledInstrumentations());
if (supportsSyncHooks()) registerSync({ include });
else registerAsync('import-in-the-middle/hook.mjs', import.meta.url, { data: { include } });
