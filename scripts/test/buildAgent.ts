/**
 * Vitest global setup: builds the agent (agent/src → agent/dist, the bundles
 * of agent/rolldown.config.ts) before any test runs, so the child processes
 * that load `@mirador/agent` run the sources under test, not an older build.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

export default function setup(): void {
  const root = path.resolve(import.meta.dirname, '..', '..');
  execFileSync(path.join(root, 'node_modules', '.bin', 'rolldown'), ['-c', path.join(root, 'agent', 'rolldown.config.ts')], { stdio: ['ignore', 'ignore', 'inherit'] });
}
