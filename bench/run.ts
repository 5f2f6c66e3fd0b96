/**
 * `npm run bench -- NAME [options]`: runs one benchmark scenario of bench/
 * (`ingest`, ...), or lists them. Benchmarks are not tests: they print figures
 * with the machine they ran on.
 */
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

const here = import.meta.dirname;
const scenarios = fs.readdirSync(here).filter((f) => f.endsWith('.bench.ts')).map((f) => f.replace('.bench.ts', ''));
const [name, ...args] = process.argv.slice(2);
if (name === undefined || !scenarios.includes(name)) {
  console.log(`usage: npm run bench -- <scenario> [options]\nscenarios: ${scenarios.join(', ')}`);
  process.exit(name === undefined ? 0 : 2);
}
const result = spawnSync(process.execPath, [path.join(here, `${name}.bench.ts`), ...args], { stdio: 'inherit' });
process.exit(result.status ?? 1);
