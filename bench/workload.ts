/**
 * What real workloads pay per call. Call counts recorded with `seccomp-ts record` (bench/workloads/, each with the
 * command it ran) weigh each syscall by how often the program makes it. For docker-default, the hardened profile
 * and the workload's own recorded profile, the expected instructions executed per call are computed for
 * libseccomp's tree (optimize level 2, as built by the native harness), seccomp-ts's default filter and
 * seccomp-ts's filter compiled for the workload (`compile --workload`): once with the kernel's action cache
 * (Linux 5.11+: constant-ALLOW syscalls never run the filter), once without (older kernels). Then the same
 * filters' kernel time per call: the workload's calls replayed in the running kernel under each filter, stacked
 * with a deny-all filter so that none of them executes (bench/replay.ts, bench/native/replay-cost.c). Runs
 * standalone (`node --import tsx bench/workload.ts [--quick]`) or from `npm run bench`.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { constAllow } from '../src/analysis/cache.js';
import { encodeProgram } from '../src/bpf/encode.js';
import { toRaw, type Program } from '../src/bpf/instructions.js';
import { compilePolicy } from '../src/compiler/compile.js';
import { performanceCompileOptions } from '../src/compiler/performance.js';
import { parseWorkload, workloadStats, type Workload } from '../src/analysis/workload.js';
import { getProfile } from '../src/policy/profiles/index.js';
import { parseRecording, recordingPolicy, type Recording } from '../src/record/recording.js';
import type { Policy } from '../src/policy/types.js';
import { LINUX_ARCHES, type LinuxArchName } from '../src/syscalls/arch.js';
import { buildWithLibseccomp } from './libseccomp.js';
import { BENCH_DIR, buildHelpers, OUT_DIR } from './native.js';
import { bpfJit, callList, nativeAbi, recordedCalls, replayable, runReplay, type ReplayCall, type ReplayJob } from './replay.js';

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
  /** Kernel time per call, replayed (absent when the replay could not run here: see `WorkloadResult.kernel`). */
  readonly kernel?: KernelReplay;
}

/** One figure for each filter compared. */
export interface PerFilter {
  readonly libseccompTree: number;
  readonly seccompTs: number;
  readonly seccompTsWorkload: number;
}

/**
 * Kernel time the filter adds per call of the workload: the calls replayed under the filter stacked with the
 * deny-all filter, less the same calls under the deny-all filter alone. Replayed calls carry the recorded
 * argument values (socket's family, clone's flags) and zero elsewhere.
 */
export interface KernelReplay {
  /** Calls replayed (every recorded call of the machine's ABI whose verdict lets the deny-all filter win). */
  readonly replayedCalls: number;
  /** Recorded calls not replayed: another ABI, a killing or trapping verdict, or a call Linux never filters. */
  readonly leftOutCalls: number;
  /** ns per call under the deny-all filter alone (the baseline subtracted). */
  readonly baselineNs: number;
  /** Added ns per call, the filter running for every call (no action cache; seccompTsWorkload compiled for that). */
  readonly noCache: PerFilter;
  /**
   * Added ns per call with the kernel's action cache: calls a filter's cache answers add nothing, the others
   * what they add without the cache (measured on the list of those calls alone).
   */
  readonly cache: PerFilter;
  /** Share of the replayed calls that run each filter with the cache (the rest its cache answers). */
  readonly filteredShare: PerFilter;
  /** seccompTsWorkload / libseccompTree. */
  readonly ratio: { readonly noCache: number; readonly cache: number };
}

/** The benchmark's result (written to bench/out/workload.json). */
export interface WorkloadResult {
  readonly benchmark: 'workload';
  readonly cases: readonly WorkloadCase[];
  /** Geometric means of the ratios over all cases with a non-zero baseline. */
  readonly geomean: { readonly perCall: number; readonly perFilteredCall: number; readonly perCallNoCache: number };
  /** How the kernel replay ran, with the geometric means of its ratios; or why it did not. */
  readonly kernel:
    | {
      readonly abi: LinuxArchName; readonly bpfJit: string; readonly listLength: number; readonly subListLength: number;
      readonly rounds: number; readonly passes: number; readonly seconds: number;
      readonly geomean: { readonly noCache: number; readonly cache: number };
    }
    | { readonly error: string };
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

/** The filters of one case, kept for the kernel replay. */
interface CaseFilters {
  readonly workload: string;
  readonly policy: string;
  readonly recording: Recording;
  readonly calls: number;
  readonly libseccompTree: Program;
  readonly seccompTs: Program;
  readonly seccompTsWorkload: Program;
  readonly seccompTsWorkloadNoCache: Program;
}

const FILTERS = ['libseccompTree', 'seccompTs', 'seccompTsWorkload'] as const;

/** Replay sizes: calls per list (the list of calls a filter's cache does not answer is shorter), rounds, passes. */
const REPLAY = { full: { list: 1024, subList: 256, rounds: 16, passes: 4 }, quick: { list: 512, subList: 128, rounds: 6, passes: 3 } };

const key = (bytes: Uint8Array): string => createHash('sha1').update(bytes).digest('hex');

/**
 * Kernel time per call of every case, in one run of the helper (rounds interleave every job, so load on the
 * machine weighs on all alike). Files are shared by content: equal filters and equal call lists are timed once.
 */
function kernelReplay(bin: string, cases: readonly CaseFilters[], dir: string, quick: boolean): { figures: (KernelReplay | undefined)[]; kernel: WorkloadResult['kernel'] } {
  const abi = nativeAbi();
  if (abi === undefined) return { figures: [], kernel: { error: `no replay on ${process.platform}/${process.arch}` } };
  const size = quick ? REPLAY.quick : REPLAY.full;
  const files = new Map<string, string>();
  const file = (bytes: Uint8Array, ext: string): string => {
    const k = key(bytes);
    let path = files.get(k);
    if (path === undefined) {
      path = join(dir, `replay-${files.size}.${ext}`);
      writeFileSync(path, bytes);
      files.set(k, path);
    }
    return path;
  };
  const jobs: ReplayJob[] = [];
  const jobIndex = new Map<string, number>();
  const job = (filter: string | undefined, calls: string): number => {
    const k = `${filter ?? '-'},${calls}`;
    let i = jobIndex.get(k);
    if (i === undefined) {
      i = jobs.push(filter === undefined ? { calls } : { filter, calls }) - 1;
      jobIndex.set(k, i);
    }
    return i;
  };
  const auditArch = LINUX_ARCHES[abi].auditArch;
  const plans = cases.map((c) => {
    const programs = { libseccompTree: c.libseccompTree, seccompTs: c.seccompTs, seccompTsWorkload: c.seccompTsWorkload };
    const all = recordedCalls(c.recording, abi);
    const replayed = all.filter((call) => replayable(call, abi, [...Object.values(programs), c.seccompTsWorkloadNoCache]));
    const n = replayed.reduce((s, call) => s + call.calls, 0);
    if (n === 0) return undefined;
    const full = file(callList(replayed, size.list), 'calls');
    const noCacheFilter = { ...programs, seccompTsWorkload: c.seccompTsWorkloadNoCache };
    const noCache = Object.fromEntries(FILTERS.map((f) => [f, job(file(encodeProgram(noCacheFilter[f]), 'bpf'), full)]));
    const cache = Object.fromEntries(FILTERS.map((f) => {
      const raws = programs[f].map(toRaw);
      const run: ReplayCall[] = replayed.filter((call) => !constAllow(raws, auditArch, call.nr).cached);
      const share = n > 0 ? run.reduce((s, call) => s + call.calls, 0) / n : 0;
      if (share === 0) return [f, { share }];
      const sub = file(callList(run, size.subList), 'calls');
      return [f, { share, base: job(undefined, sub), filter: job(file(encodeProgram(programs[f]), 'bpf'), sub) }];
    })) as Record<(typeof FILTERS)[number], { share: number; base?: number; filter?: number }>;
    return { replayedCalls: n, leftOutCalls: c.calls - n, base: job(undefined, full), noCache, cache };
  });
  if (jobs.length === 0) return { figures: [], kernel: { error: `no recorded ${abi} calls to replay on this machine` } };
  const started = Date.now();
  let times;
  try {
    times = runReplay(bin, jobs, size.rounds, size.passes, 300_000);
  } catch (err) {
    return { figures: [], kernel: { error: String(err instanceof Error ? err.message : err) } };
  }
  const best = (i: number): number => (times[i] as { bestNs: number }).bestNs;
  const figures = plans.map((p): KernelReplay | undefined => {
    if (p === undefined) return undefined;
    const baselineNs = best(p.base);
    const perFilter = (g: (f: (typeof FILTERS)[number]) => number): PerFilter =>
      ({ libseccompTree: g('libseccompTree'), seccompTs: g('seccompTs'), seccompTsWorkload: g('seccompTsWorkload') });
    const noCache = perFilter((f) => best(p.noCache[f] as number) - baselineNs);
    const cache = perFilter((f) => {
      const c = p.cache[f];
      return c.base === undefined || c.filter === undefined ? 0 : (best(c.filter) - best(c.base)) * c.share;
    });
    return {
      replayedCalls: p.replayedCalls, leftOutCalls: p.leftOutCalls, baselineNs, noCache, cache,
      filteredShare: perFilter((f) => p.cache[f].share),
      ratio: { noCache: ratio(noCache.seccompTsWorkload, noCache.libseccompTree), cache: ratio(cache.seccompTsWorkload, cache.libseccompTree) },
    };
  });
  return {
    figures,
    kernel: {
      abi, bpfJit: bpfJit(), listLength: size.list, subListLength: size.subList, rounds: size.rounds, passes: size.passes,
      seconds: (Date.now() - started) / 1000,
      geomean: { noCache: geomean(figures.map((f) => f?.ratio.noCache ?? NaN)), cache: geomean(figures.map((f) => f?.ratio.cache ?? NaN)) },
    },
  };
}

const results = new Map<boolean, WorkloadResult>();

/**
 * Runs every recorded workload under every policy. The result is kept for the process: `npm run bench` reports
 * it both on its own and among the performance targets, from one measurement.
 */
export function benchWorkload(options: { readonly progress?: (line: string) => void; readonly quick?: boolean } = {}): WorkloadResult {
  const quick = options.quick === true;
  const known = results.get(quick);
  if (known !== undefined) return known;
  const bins = buildHelpers();
  const dir = join(OUT_DIR, 'workload');
  mkdirSync(dir, { recursive: true });
  const cases: WorkloadCase[] = [];
  const filters: CaseFilters[] = [];
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
      const calls = workloadStats(ours, workload).calls;
      cases.push({
        workload: name,
        command: recording.runs.map((r) => r.join(' ')).join('; '),
        calls,
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
      filters.push({
        workload: name, policy: policyName, recording, calls,
        libseccompTree: libseccomp.tree, seccompTs: ours, seccompTsWorkload: weighted, seccompTsWorkloadNoCache: weightedNoCache,
      });
    }
  }
  options.progress?.('workload: kernel replay of every case');
  const replay = kernelReplay(bins['replay-cost'] as string, filters, dir, quick);
  const result: WorkloadResult = {
    benchmark: 'workload',
    cases: cases.map((c, i) => (replay.figures[i] === undefined ? c : { ...c, kernel: replay.figures[i] })),
    geomean: {
      perCall: geomean(cases.map((c) => c.ratio.perCall)),
      perFilteredCall: geomean(cases.map((c) => c.ratio.perFilteredCall)),
      perCallNoCache: geomean(cases.map((c) => c.ratio.perCallNoCache)),
    },
    kernel: replay.kernel,
  };
  results.set(quick, result);
  return result;
}

const f2 = (x: number): string => (Number.isFinite(x) ? x.toFixed(2) : '-');

function columns(head: readonly string[], rows: readonly (readonly string[])[], left: number): string[] {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] as string).length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i < left ? c.padEnd(w[i] as number) : c.padStart(w[i] as number))).join('  ');
  return [line(head), ...rows.map(line)];
}

/** The human-readable report. */
export function workloadText(r: WorkloadResult): string {
  const head = ['workload', 'policy', 'calls', 'libseccomp/call', 'ours/call', 'ours+wl/call', 'ratio', 'no cache: lib', 'ours+wl', 'ratio'];
  const rows = r.cases.map((c) => [
    c.workload, c.policy, String(c.calls), f2(c.libseccompTree.perCall), f2(c.seccompTs.perCall), f2(c.seccompTsWorkload.perCall), f2(c.ratio.perCall),
    f2(c.libseccompTree.perCallNoCache), f2(c.seccompTsWorkload.perCallNoCache), f2(c.ratio.perCallNoCache),
  ]);
  const out = [
    'expected instructions executed per call, weighted by recorded call counts (bench/workloads/)',
    ...columns(head, rows, 2),
    `geometric mean of ours+workload / libseccomp tree: ${f2(r.geomean.perCall)} per call with the action cache, ` +
    `${f2(r.geomean.perFilteredCall)} per filtered call, ${f2(r.geomean.perCallNoCache)} per call without the cache`,
    '',
  ];
  const k = r.kernel;
  if ('error' in k) {
    out.push(`kernel time per call: not measured (${k.error})`);
  } else {
    out.push(
      `kernel ns per call the filter adds: the workload's ${k.abi} calls replayed (recorded arguments, others zero; ${k.listLength} calls ` +
      `in proportion, shuffled) under the filter stacked with a deny-all filter, less the deny-all filter alone; best of ${k.rounds} ` +
      `processes x ${k.passes} passes; with the cache, calls a filter's cache answers add 0 (BPF JIT: ${k.bpfJit}; ${k.seconds.toFixed(1)} s)`,
    );
    const khead = ['workload', 'policy', 'deny-all', 'no cache: lib', 'ours', 'ours+wl', 'ratio', 'cache: lib', 'ours', 'ours+wl', 'ratio', 'run filter: lib', 'ours+wl'];
    const pct = (x: number): string => `${(100 * x).toFixed(2)}%`;
    const krows = r.cases.flatMap((c) => {
      const f = c.kernel;
      if (f === undefined) return [];
      return [[
        c.workload, c.policy, f2(f.baselineNs),
        f2(f.noCache.libseccompTree), f2(f.noCache.seccompTs), f2(f.noCache.seccompTsWorkload), f2(f.ratio.noCache),
        f2(f.cache.libseccompTree), f2(f.cache.seccompTs), f2(f.cache.seccompTsWorkload), f2(f.ratio.cache),
        pct(f.filteredShare.libseccompTree), pct(f.filteredShare.seccompTsWorkload),
      ]];
    });
    out.push(...columns(khead, krows, 2));
    out.push(`geometric mean of ours+workload / libseccomp tree, kernel ns: ${f2(k.geomean.noCache)} without the cache, ${f2(k.geomean.cache)} with it`);
  }
  return `${out.join('\n')}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = benchWorkload({ progress: (l) => process.stderr.write(`${l}\n`), quick: process.argv.includes('--quick') });
  process.stdout.write(workloadText(result));
}
