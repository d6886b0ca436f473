/**
 * How long `explain` and `diff` take against program size, for the shapes real compilers emit (seccomp-ts's
 * filters, libseccomp's at both optimization levels, flat chains) and for adversarial ones (issue 11's diamonds,
 * a parity filter whose exact explanation has 2^n cases). Runs standalone: `node --import tsx bench/analysis.ts`
 * (`--quick` for one timed run per filter; `--full` adds the adversarial shapes that take seconds each: 1,363
 * argument tests on one syscall, the parity of 14 and 16 bits).
 */
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import type { Program } from '../src/bpf/instructions.js';
import { compilePolicy } from '../src/compiler/compile.js';
import { AnalysisTimeout } from '../src/analysis/budget.js';
import { diffPrograms } from '../src/analysis/diff.js';
import { explain } from '../src/analysis/explain.js';
import { symbolicExecute } from '../src/analysis/symbolic.js';
import { argChain, diamonds, nrChain, parity } from '../test/support/filter-shapes.js';
import { buildWithLibseccomp } from './libseccomp.js';
import { buildHelpers, OUT_DIR } from './native.js';
import { benchProfiles } from './profiles.js';
import { scalingPolicy } from './scaling.js';

export interface AnalysisRow {
  readonly family: string;
  readonly name: string;
  readonly instructions: number;
  /** Fastest `explain` (all ABIs) of the timed runs, milliseconds (null: past the 60 s limit). */
  readonly explainMs: number | null;
  /** Fastest `diff` of the filter against itself, milliseconds (null: past the 60 s limit). */
  readonly diffSelfMs: number | null;
  readonly exact: boolean;
  /** Cases (paths through the reduced decision diagram), abstract states and diagram nodes. */
  readonly cases: number;
  readonly states: number;
  readonly nodes: number;
}

export interface AnalysisResult {
  readonly rows: readonly AnalysisRow[];
  /** Filters that could not be built (libseccomp missing), with the reason. */
  readonly skipped: readonly string[];
}

const TIMEOUT_MS = 60_000;

/** A run this long is timed once: its figure is not within timer or scheduling noise. */
const ONE_RUN_MS = 250;

/** Fastest of up to `runs` runs (one when it takes over ONE_RUN_MS), milliseconds; null when the time limit stopped it. */
function fastest(runs: number, f: () => void): number | null {
  let best = Infinity;
  for (let i = 0; i < runs && (i === 0 || best <= ONE_RUN_MS); i++) {
    const start = performance.now();
    try {
      f();
    } catch (err) {
      if (err instanceof AnalysisTimeout) return null;
      throw err;
    }
    best = Math.min(best, performance.now() - start);
  }
  return Math.round(best * 100) / 100;
}

function row(family: string, name: string, program: Program, runs: number): AnalysisRow {
  const s = symbolicExecute(program, { timeoutMs: TIMEOUT_MS });
  let exact = false;
  const explainMs = fastest(runs, () => { exact = explain(program, { timeoutMs: TIMEOUT_MS }).exact; });
  const diffSelfMs = fastest(runs, () => { diffPrograms(program, program, { timeoutMs: TIMEOUT_MS }); });
  return { family, name, instructions: program.length, explainMs, diffSelfMs, exact, cases: s.leaves.length, ...s.stats };
}

export function benchAnalysis(options: { quick?: boolean; full?: boolean } = {}): AnalysisResult {
  const runs = options.quick ? 1 : 3;
  const rows: AnalysisRow[] = [];
  const skipped: string[] = [];
  const add = (family: string, name: string, program: Program) => rows.push(row(family, name, program, runs));
  for (const n of [5, 21, 101, 341, 1023]) add('diamonds', `diamonds(${n})`, diamonds(n));
  for (const n of [101, 1023]) add('diamonds', `diamonds(${n}, varied)`, diamonds(n, true));
  for (const n of [50, 250, 1000, 2045]) add('chain', `nr chain(${n})`, nrChain(n));
  for (const n of options.full ? [30, 100, 300, 1363] : [30, 100, 300]) add('chain', `arg chain(${n})`, argChain(n));
  for (const n of options.full ? [8, 10, 12, 14, 16] : [8, 12]) add('adversarial', `parity(${n})`, parity(n));
  const profiles = benchProfiles().filter((p) => p.dispatch === undefined);
  for (const p of profiles) add('seccomp-ts', p.name, compilePolicy(p.policy).program);
  for (const n of [10, 100, 1000]) add('seccomp-ts', `scaling(${n})`, compilePolicy(scalingPolicy(n)).program);
  let harness: string | undefined;
  try {
    harness = buildHelpers()['libseccomp-harness'];
  } catch (err) {
    skipped.push(`libseccomp: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (harness !== undefined) {
    const dir = join(OUT_DIR, 'filters');
    mkdirSync(dir, { recursive: true });
    for (const p of profiles) {
      try {
        const lib = buildWithLibseccomp(harness, p.policy, join(dir, `${p.name}.analysis.libseccomp`), 1, 120_000);
        add('libseccomp', `${p.name} (linear)`, lib.linear);
        add('libseccomp', `${p.name} (tree)`, lib.tree);
      } catch (err) {
        skipped.push(`libseccomp ${p.name}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
      }
    }
  }
  return { rows, skipped };
}

export function analysisText(r: AnalysisResult): string {
  const lines = ['family       filter                          instr  explain ms  diff ms   exact  cases  states  nodes'];
  for (const x of r.rows) {
    const ms = (v: number | null) => (v === null ? '>60000' : v.toFixed(1));
    lines.push(`${x.family.padEnd(12)} ${x.name.padEnd(30)} ${String(x.instructions).padStart(6)} ${ms(x.explainMs).padStart(11)} `
      + `${ms(x.diffSelfMs).padStart(8)}   ${(x.exact ? 'yes' : 'no').padEnd(5)} ${String(x.cases).padStart(6)} ${String(x.states).padStart(7)} ${String(x.nodes).padStart(6)}`);
  }
  for (const s of r.skipped) lines.push(`skipped: ${s}`);
  return `${lines.join('\n')}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = benchAnalysis({ quick: process.argv.includes('--quick'), full: process.argv.includes('--full') });
  process.stdout.write(process.argv.includes('--json') ? `${JSON.stringify(result, null, 2)}\n` : analysisText(result));
}
