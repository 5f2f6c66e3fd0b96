/**
 * Vitest global setup: compiles the agent (agent/src → agent/dist) before any
 * test runs, so the child processes that load `@mirador/agent` run the
 * sources under test, not an older build.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

export default function setup(): void {
  const root = path.resolve(import.meta.dirname, '..', '..');
  execFileSync(path.join(root, 'node_modules', '.bin', 'tsc'), ['-p', path.join(root, 'agent', 'tsconfig.build.json')], { stdio: 'inherit' });
}
