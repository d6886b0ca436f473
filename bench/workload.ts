/**
 * What real workloads pay per call. Call counts recorded with `seccomp-ts record` (bench/workloads/, each with the
 * command it ran) weigh each syscall by how often the program makes it. For docker-default, the hardened profile
 * and the workload's own recorded profile, the expected instructions executed per call are computed for
 * libseccomp's tree (optimize level 2, as built by the native harness), seccomp-ts's default filter and
 * seccomp-ts's filter compiled for the workload (`compile --workload`): once with the kernel's action cache
 * (Linux 5.11+: constant-ALLOW syscalls never run the filter), once without (older kernels). Runs standalone
 * (`node --import tsx bench/workload.ts`) or from `npm run bench`.
 */
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Program } from '../src/bpf/instructions.js';
import { compilePolicy } from '../src/compiler/compile.js';
import { performanceCompileOptions } from '../src/compiler/performance.js';
import { parseWorkload, workloadStats, type Workload } from '../src/analysis/workload.js';
import { getProfile } from '../src/policy/profiles/index.js';
import { parseRecording, recordingPolicy } from '../src/record/recording.js';
import type { Policy } from '../src/policy/types.js';
import { buildWithLibseccomp } from './libseccomp.js';
import { BENCH_DIR, buildHelpers, OUT_DIR } from './native.js';

const WORKLOAD_DIR = join(BENCH_DIR, 'workloads');

/** Expected instructions per call of one filter, with and without the kernel's action cache. */
export interface FilterCost {
  readonly instructions: number;
  readonly perCall: number;
  readonly perFilteredCall: number;
  readonly perCallNoCache: number;
}

/** One workload under one policy. */
export interface WorkloadCase {
  readonly workload: string;
  readonly command: string;
  readonly calls: number;
  readonly policy: string;
  readonly libseccompTree: FilterCost;
  readonly seccompTs: FilterCost;
  /** Compiled with the workload's counts (the cache-aware weights, and for the no-cache figure the no-cache ones). */
  readonly seccompTsWorkload: FilterCost;
  /** seccompTsWorkload / libseccompTree, per call with the cache, per filtered call, per call without it. */
  readonly ratio: { readonly perCall: number; readonly perFilteredCall: number; readonly perCallNoCache: number };
}

/** The benchmark's result (written to bench/out/workload.json). */
export interface WorkloadResult {
  readonly benchmark: 'workload';
  readonly cases: readonly WorkloadCase[];
  /** Geometric means of the ratios over all cases with a non-zero baseline. */
  readonly geomean: { readonly perCall: number; readonly perFilteredCall: number; readonly perCallNoCache: number };
}

function cost(program: Program, workload: Workload, noCacheProgram: Program = program): FilterCost {
  const cached = workloadStats(program, workload);
  const plain = workloadStats(noCacheProgram, workload, { kernelCache: false });
  const filtered = cached.abis.reduce((n, a) => n + a.calls - a.skippedCalls, 0);
  return {
    instructions: program.length,
    perCall: cached.perCall,
    perFilteredCall: filtered > 0 ? (cached.perCall * cached.calls) / filtered : 0,
    perCallNoCache: plain.perCall,
  };
}

const ratio = (a: number, b: number): number => (b > 0 ? a / b : Number.NaN);

function geomean(values: readonly number[]): number {
  const ok = values.filter((v) => Number.isFinite(v) && v > 0);
  return ok.length === 0 ? Number.NaN : Math.exp(ok.reduce((s, v) => s + Math.log(v), 0) / ok.length);
}

/** Runs every recorded workload under every policy. */
export function benchWorkload(options: { readonly progress?: (line: string) => void } = {}): WorkloadResult {
  const bins = buildHelpers();
  const dir = join(OUT_DIR, 'workload');
  mkdirSync(dir, { recursive: true });
  const cases: WorkloadCase[] = [];
  for (const file of readdirSync(WORKLOAD_DIR).filter((f) => f.endsWith('.json')).sort()) {
    const json = JSON.parse(readFileSync(join(WORKLOAD_DIR, file), 'utf8')) as unknown;
    const recording = parseRecording(json);
    const workload = parseWorkload(json);
    const name = file.replace(/\.json$/, '');
    const policies: [string, Policy][] = [
      ['docker-default', getProfile('docker-default')],
      ['hardened', getProfile('hardened')],
      ['recorded', recordingPolicy(recording)],
    ];
    for (const [policyName, policy] of policies) {
      options.progress?.(`workload: ${name} under ${policyName}`);
      const libseccomp = buildWithLibseccomp(bins['libseccomp-harness'] as string, policy, join(dir, `${name}-${policyName}`), 1, 60_000);
      const ours = compilePolicy(policy, performanceCompileOptions()).program;
      const weighted = compilePolicy(policy, performanceCompileOptions({ dispatch: { workload: workload.abis } })).program;
      const weightedNoCache = compilePolicy(policy, performanceCompileOptions({ dispatch: { workload: workload.abis, kernelCache: false } })).program;
      const base = cost(libseccomp.tree, workload);
      const tuned = cost(weighted, workload, weightedNoCache);
      cases.push({
        workload: name,
        command: recording.runs.map((r) => r.join(' ')).join('; '),
        calls: workloadStats(ours, workload).calls,
        policy: policyName,
        libseccompTree: base,
        seccompTs: cost(ours, workload),
        seccompTsWorkload: tuned,
        ratio: {
          perCall: ratio(tuned.perCall, base.perCall),
          perFilteredCall: ratio(tuned.perFilteredCall, base.perFilteredCall),
          perCallNoCache: ratio(tuned.perCallNoCache, base.perCallNoCache),
        },
      });
    }
  }
  return {
    benchmark: 'workload',
    cases,
    geomean: {
      perCall: geomean(cases.map((c) => c.ratio.perCall)),
      perFilteredCall: geomean(cases.map((c) => c.ratio.perFilteredCall)),
      perCallNoCache: geomean(cases.map((c) => c.ratio.perCallNoCache)),
    },
  };
}

const f2 = (x: number): string => (Number.isFinite(x) ? x.toFixed(2) : '-');

/** The human-readable report. */
export function workloadText(r: WorkloadResult): string {
  const head = ['workload', 'policy', 'calls', 'libseccomp/call', 'ours/call', 'ours+wl/call', 'ratio', 'no cache: lib', 'ours+wl', 'ratio'];
  const rows = r.cases.map((c) => [
    c.workload, c.policy, String(c.calls), f2(c.libseccompTree.perCall), f2(c.seccompTs.perCall), f2(c.seccompTsWorkload.perCall), f2(c.ratio.perCall),
    f2(c.libseccompTree.perCallNoCache), f2(c.seccompTsWorkload.perCallNoCache), f2(c.ratio.perCallNoCache),
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] as string).length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(w[i] as number) : c.padStart(w[i] as number))).join('  ');
  return [
    'expected instructions executed per call, weighted by recorded call counts (bench/workloads/)',
    line(head), ...rows.map(line),
    `geometric mean of ours+workload / libseccomp tree: ${f2(r.geomean.perCall)} per call with the action cache, ` +
    `${f2(r.geomean.perFilteredCall)} per filtered call, ${f2(r.geomean.perCallNoCache)} per call without the cache`,
  ].join('\n') + '\n';
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = benchWorkload({ progress: (l) => process.stderr.write(`${l}\n`) });
  process.stdout.write(workloadText(result));
}
