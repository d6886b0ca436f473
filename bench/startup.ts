/**
 * CLI cold start: wall time of `node dist/cli/main.js …` for a few commands against `node -e 0` (the floor any
 * Node CLI pays), each the fastest of N runs taken in rounds, in the same run. Builds the CLI first when it is
 * missing. The CLI loads only the module of the command it runs (commands/index.ts) and what that imports; each
 * result also counts those files of the bundle and their size, since every file is found, read, parsed and
 * linked at start.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');

export interface StartupResult {
  readonly runs: number;
  /** Fastest wall time of `node -e 0`, milliseconds. */
  readonly nodeFloorMs: number;
  readonly commands: readonly {
    readonly argv: readonly string[];
    readonly fastestMs: number;
    readonly ratio: number;
    /** Files of the bundle loaded at start (main.js, the command's module, and what they import statically). */
    readonly files: number;
    /** Their total size in bytes. */
    readonly bytes: number;
  }[];
}

/**
 * The bundle's files a command loads before it runs: main.js, the module `commands/index.ts` loads for it, and
 * everything those import statically. What a command imports later (`import()` for a file input or another output
 * format) is not counted: the commands measured here read a built-in profile and write a filter.
 */
export function loadedFiles(cli: string, command: string | undefined): { files: number; bytes: number } {
  const seen = new Map<string, number>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    const text = readFileSync(file, 'utf8');
    seen.set(file, Buffer.byteLength(text));
    // Static imports, as an ES module bundle writes them or as the CommonJS one does (`var _x = require('./…');`).
    const imports = /^(?:(?:import|export)\b[^;"'`]*?\bfrom\s*|import\s*|(?:var [\w$]+ = )?require\()["'](\.{1,2}\/[^"']+)["']\)?;/gm;
    for (const m of text.matchAll(imports)) visit(join(dirname(file), m[1]!));
  };
  visit(cli);
  if (command !== undefined) {
    const chunk = new RegExp(`(?:import|require)\\("(\\.{1,2}/${command}-[\\w-]+\\.js)"\\)`).exec(readFileSync(cli, 'utf8'))?.[1];
    if (chunk === undefined) throw new Error(`${cli}: no module loaded for ${command}`);
    visit(join(dirname(cli), chunk));
  }
  return { files: seen.size, bytes: [...seen.values()].reduce((a, b) => a + b, 0) };
}

/** Wall time of one run of `node ARGV`, in milliseconds. */
function timeOnce(argv: readonly string[]): number {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, argv, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${argv.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return ms;
}

/**
 * The fastest of RUNS runs of each ARGV, taken in rounds (each round runs every ARGV once), so that the floor and
 * the commands are timed under the same load: on a busy machine, timing one after the other puts a quiet minute
 * under some of them and a busy one under others.
 */
function fastestInRounds(argvs: readonly (readonly string[])[], runs: number): number[] {
  const best = argvs.map(() => Infinity);
  for (let i = 0; i < runs; i++) argvs.forEach((argv, j) => { best[j] = Math.min(best[j]!, timeOnce(argv)); });
  return best;
}

/** Measures the commands issue 15 names (compile, emu, resolve) and --help. */
const results = new Map<boolean, StartupResult>();

/**
 * The measurement, kept for the process: `npm run bench` reports it on its own and among the performance targets
 * (bench/out/performance.json), from one measurement.
 */
export function benchStartup(options: { quick?: boolean } = {}): StartupResult {
  const quick = options.quick === true;
  const known = results.get(quick);
  if (known !== undefined) return known;
  const result = measureStartup(quick);
  results.set(quick, result);
  return result;
}

function measureStartup(quick: boolean): StartupResult {
  if (!existsSync(CLI)) execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'ignore' });
  const runs = quick ? 3 : 10;
  const args = [
    ['compile', '--profile', 'hardened', '-o', '/dev/null'],
    ['emu', 'profile:hardened', 'read'],
    ['resolve', 'read'],
    ['--help'],
  ];
  const [nodeFloorMs, ...times] = fastestInRounds([['-e', '0'], ...args.map((a) => [CLI, ...a])], runs) as [number, ...number[]];
  const commands = args.map((argv, i) => {
    const fastestMs = times[i]!;
    const command = argv[0]?.startsWith('-') ? undefined : argv[0];
    return { argv, fastestMs, ratio: fastestMs / nodeFloorMs, ...loadedFiles(CLI, command) };
  });
  return { runs, nodeFloorMs, commands };
}

/** The result as a table. */
export function startupText(r: StartupResult): string {
  const lines = [`CLI cold start, fastest of ${r.runs} (node -e 0: ${r.nodeFloorMs.toFixed(1)} ms)`];
  for (const c of r.commands) {
    lines.push(`  ${`seccomp-ts ${c.argv.join(' ')}`.padEnd(52)} ${c.fastestMs.toFixed(1).padStart(7)} ms  ${c.ratio.toFixed(2)}x` +
      `  (${c.files} files, ${(c.bytes / 1000).toFixed(0)} kB)`);
  }
  return `${lines.join('\n')}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = benchStartup({ quick: process.argv.includes('--quick') });
  process.stdout.write(process.argv.includes('--json') ? `${JSON.stringify(r, null, 2)}\n` : startupText(r));
}
