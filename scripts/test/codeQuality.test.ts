import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..', '..');

describe('the repository', () => {
  it('passes ESLint with no errors', async () => {
    const eslint = new ESLint({ cwd: root });
    const results = await eslint.lintFiles(['.']);
    const errors = results.flatMap((r) => r.messages.filter((m) => m.severity === 2).map((m) => `${path.relative(root, r.filePath)}:${m.line}: ${m.message} (${m.ruleId})`));
    expect(errors).toEqual([]);
  });

  it('type-checks under the strict compiler settings', () => {
    const tsc = path.join(root, 'node_modules', '.bin', 'tsc');
    let output = '';
    try {
      // The Node packages, then the dashboard (browser types, JSX).
      execFileSync(tsc, ['-p', 'tsconfig.json', '--noEmit'], { cwd: root, encoding: 'utf8' });
      execFileSync(tsc, ['-p', 'dashboard/tsconfig.json', '--noEmit'], { cwd: root, encoding: 'utf8' });
    } catch (error) {
      output = String((error as { stdout?: string }).stdout ?? error);
    }
    expect(output.split('\n').filter((l) => l.includes('error TS'))).toEqual([]);
  });
});
