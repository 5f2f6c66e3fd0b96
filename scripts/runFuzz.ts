/**
 * `npm run fuzz [-- RUNS [SEED]]`: the property-based fuzz tests of
 * collector/test/fuzz with many more cases than the suite runs (default
 * 10,000 per property). A failure prints the seed and path that reproduce it
 * (FUZZ_SEED=...).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const [runs = '10000', seed] = process.argv.slice(2);
if (!/^\d+$/.test(runs) || (seed !== undefined && !/^-?\d+$/.test(seed))) {
  console.error('usage: npm run fuzz -- [RUNS] [SEED]');
  process.exit(2);
}
const bin = path.join(root, 'node_modules', '.bin');
console.log(`fuzzing with ${runs} cases per property${seed === undefined ? '' : `, seed ${seed}`}`);
const result = spawnSync(path.join(bin, 'vitest'), ['run', 'collector/test/fuzz', '--testTimeout', '0'], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}`, FUZZ_RUNS: runs, ...(seed !== undefined && { FUZZ_SEED: seed }) },
});
process.exit(result.status ?? 1);
