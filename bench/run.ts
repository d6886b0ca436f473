/**
 * `npm run bench`: runs every benchmark and writes one JSON document keyed by benchmark name to
 * bench/out/bench.json. Benchmarks that have a human-readable report print it; with `--json` the JSON document
 * goes to stdout instead. Each benchmark lives in its own module, exports a function returning its results,
 * and also runs standalone. `--quick` shortens every measurement (for a smoke run); `--full` adds the
 * adversarial analysis shapes that take seconds each; `--only NAME[,NAME]` selects benchmarks.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { analysisText, benchAnalysis, type AnalysisResult } from './analysis.js';
import { archesText, benchArches, type ArchesResult } from './arches.js';
import { boundsText, dispatchBounds, type BoundsResult } from './bounds.js';
import { benchEmulator } from './emulator.js';
import { OUT_DIR } from './native.js';
import { benchPerformance, performanceText, type PerformanceResult } from './performance.js';
import { benchPlayground, playgroundText, type PlaygroundResult } from './playground.js';
import { benchStartup, startupText, type StartupResult } from './startup.js';
import { benchWorkload, workloadText, type WorkloadResult } from './workload.js';

type Bench = (quick: boolean, full: boolean) => unknown;

/** What a whole `npm run bench` may take, seconds (issue 15's target, a fresh clone included). */
const BENCH_LIMIT_SECONDS = 60;

const BENCHMARKS: Readonly<Record<string, Bench>> = {
  emulator: (quick) => benchEmulator(quick ? { sampleMs: 50, samples: 3 } : { sampleMs: 100 }),
  performance: (quick) => benchPerformance({ quick }),
  arches: () => benchArches(),
  bounds: () => dispatchBounds('docker-default'),
  analysis: (quick, full) => benchAnalysis({ quick, full }),
  startup: (quick) => benchStartup({ quick }),
  playground: (quick) => benchPlayground({ quick }),
  workload: (quick) => benchWorkload({ quick }),
};

/** Reports for people, by benchmark name (the others are shown as JSON). */
const REPORTS: Readonly<Record<string, (result: unknown) => string>> = {
  performance: (r) => performanceText(r as PerformanceResult),
  arches: (r) => archesText(r as ArchesResult),
  bounds: (r) => boundsText(r as BoundsResult),
  analysis: (r) => analysisText(r as AnalysisResult),
  startup: (r) => startupText(r as StartupResult),
  playground: (r) => playgroundText(r as PlaygroundResult),
  workload: (r) => workloadText(r as WorkloadResult),
};

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const full = args.includes('--full');
const onlyAt = args.indexOf('--only');
const only = onlyAt >= 0 ? (args[onlyAt + 1] ?? '').split(',').filter(Boolean) : Object.keys(BENCHMARKS);
const unknown = only.filter((name) => !(name in BENCHMARKS));
if (unknown.length > 0) {
  process.stderr.write(`bench: unknown benchmark ${unknown.join(', ')} (known: ${Object.keys(BENCHMARKS).join(', ')})\n`);
  process.exit(2);
}
const asJson = args.includes('--json');
const results: Record<string, unknown> = {};
const began = Date.now();
/** Wall time of each benchmark, and of the whole run (`total`), seconds. */
const seconds: Record<string, number> = {};
for (const name of only) {
  const started = Date.now();
  process.stderr.write(`bench: ${name}…\n`);
  results[name] = await (BENCHMARKS[name] as Bench)(quick, full);
  seconds[name] = (Date.now() - started) / 1000;
  process.stderr.write(`bench: ${name} done in ${(seconds[name] as number).toFixed(1)} s\n`);
}
seconds.total = (Date.now() - began) / 1000;
process.stderr.write(`bench: all done in ${seconds.total.toFixed(1)} s\n`);
const document = `${JSON.stringify({ node: process.version, date: new Date().toISOString(), quick, full, seconds, results }, null, 2)}\n`;
// performance.json also carries the run's own time against its target (a whole run within a minute).
if ('performance' in results && only.length === Object.keys(BENCHMARKS).length) {
  const file = join(OUT_DIR, 'performance.json');
  const performanceJson = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  performanceJson.benchRun = { seconds: seconds.total, limitSeconds: BENCH_LIMIT_SECONDS, met: seconds.total <= BENCH_LIMIT_SECONDS, quick, full, each: seconds };
  writeFileSync(file, `${JSON.stringify(performanceJson, null, 2)}\n`);
}
mkdirSync(OUT_DIR, { recursive: true });
writeFileSync(join(OUT_DIR, 'bench.json'), document);
if (asJson) {
  process.stdout.write(document);
} else {
  for (const name of only) {
    const report = REPORTS[name];
    process.stdout.write(`== ${name} ==\n${report ? report(results[name]) : `${JSON.stringify(results[name], null, 2)}\n`}\n`);
  }
  process.stdout.write('JSON of every benchmark: bench/out/bench.json\n');
}
