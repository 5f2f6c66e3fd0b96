/**
 * Vitest global setup: builds the dashboard (dashboard/src → dashboard/dist)
 * before any test runs, so the collectors the browser tests start serve the
 * sources under test.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

export default function setup(): void {
  const root = path.resolve(import.meta.dirname, '..', '..');
  execFileSync(path.join(root, 'node_modules', '.bin', 'vite'), ['build', '--logLevel', 'warn'], { cwd: path.join(root, 'dashboard'), stdio: 'inherit' });
}
