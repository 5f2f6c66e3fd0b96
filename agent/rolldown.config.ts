/**
 * The agent ships as one bundle per entry point (dist/index.js for
 * `startAgent`, dist/register.js for `--import @mirador/agent/register`),
 * the OpenTelemetry SDK packages inside it, built from src/ by rolldown.
 *
 * Why a bundle: every ES module Node loads keeps its source, its module
 * record and its namespace, and the SDK packages import whole modules of
 * which the agent uses a few names (semantic-conventions alone is
 * thousands of constants). Bundled and tree-shaken, the hello app with the
 * agent holds 4.5 MiB less RSS idle (one-off runs: the app started five
 * times each way, RSS at 1 s and after 7 s; the figures to compare are
 * `npm run bench -- agent`'s, whose idle overhead went from +23 to +16 MiB).
 *
 * What stays outside, loaded from node_modules as before:
 * - `@opentelemetry/api`: the one API copy the service's own code and the
 *   agent register their providers with;
 * - prom-client and winston: the service receives the agent's registry and
 *   logger and may use its own copy of these packages beside them;
 * - import-in-the-middle and require-in-the-middle: they hook Node's module
 *   loaders for the instrumentations, and import-in-the-middle's loader hook
 *   is a file Node loads by its path.
 * These, and forwarded-parse (which instrumentation-http's own build loads with
 * a run-time `require`), are resolved from dist/ at run time, so the agent
 * declares them as dependencies of its own.
 */
import path from 'node:path';
import MagicString from 'magic-string';
import { defineConfig, type Plugin } from 'rolldown';

const here = import.meta.dirname;
const dist = path.join(here, 'dist');

const external = ['@opentelemetry/api', 'prom-client', 'winston', 'winston-transport', 'import-in-the-middle', 'require-in-the-middle'];

/**
 * `import('http')` and `import('https')` in bundled code (the HTTP agent
 * factory of @opentelemetry/otlp-exporter-base's configuration loads Node's
 * HTTP modules so; the agent calls it for an https endpoint's certificates)
 * become the builtin module itself, through `process.getBuiltinModule`. An
 * ES-module namespace of node:http is built by reading every export, and that
 * loads undici, http2 and web streams into a service that may use none of
 * them: 1.5 MiB of RSS in the hello app with the agent after its first
 * exports (one-off runs, as above). The object given has the module as its
 * prototype and as `default`, so named and default imports read as before,
 * and no export is read until the code asks for it.
 */
const builtinHttpImports: Plugin = {
  name: 'mirador:builtin-http-imports',
  transform(code, id) {
    const matches = [...code.matchAll(/\bimport\((["'])(https?)\1\)/g)];
    if (matches.length === 0) return null;
    const edited = new MagicString(code);
    for (const m of matches) {
      const builtin = `process.getBuiltinModule("node:${m[2]}")`;
      edited.overwrite(m.index, m.index + m[0].length, `Promise.resolve({ __proto__: ${builtin}, default: ${builtin} })`);
    }
    return { code: edited.toString(), map: edited.generateMap({ source: id, hires: true }) };
  },
};

export default defineConfig({
  input: { index: path.join(here, 'src', 'index.ts'), register: path.join(here, 'src', 'register.ts') },
  platform: 'node',
  plugins: [builtinHttpImports],
  external: (id) => id.startsWith('node:') || external.some((name) => id === name || id.startsWith(`${name}/`)),
  output: { dir: dist, cleanDir: true, format: 'esm', sourcemap: true, chunkFileNames: '[name].js' },
});
