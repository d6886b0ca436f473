/**
 * `npm run bench`: runs every benchmark and prints one JSON document keyed by benchmark name.
 * Each benchmark lives in its own module, exports a function returning its results, and also runs standalone.
 * `--quick` shortens every measurement (for a smoke run); `--only NAME[,NAME]` selects benchmarks.
 */
import { benchEmulator } from './emulator.js';

type Bench = (quick: boolean) => unknown;

const BENCHMARKS: Readonly<Record<string, Bench>> = {
  emulator: (quick) => benchEmulator(quick ? { sampleMs: 50, samples: 3 } : {}),
};

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const onlyAt = args.indexOf('--only');
const only = onlyAt >= 0 ? (args[onlyAt + 1] ?? '').split(',').filter(Boolean) : Object.keys(BENCHMARKS);
const unknown = only.filter((name) => !(name in BENCHMARKS));
if (unknown.length > 0) {
  process.stderr.write(`bench: unknown benchmark ${unknown.join(', ')} (known: ${Object.keys(BENCHMARKS).join(', ')})\n`);
  process.exit(2);
}
const results: Record<string, unknown> = {};
for (const name of only) results[name] = (BENCHMARKS[name] as Bench)(quick);
process.stdout.write(`${JSON.stringify({ node: process.version, date: new Date().toISOString(), results }, null, 2)}\n`);
