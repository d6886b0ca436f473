/**
 * Range-tree dispatch: the numbers of a section are cut into maximal runs that decide alike (neighbouring
 * syscalls with the same body, or with bodies that return the same constant), and the runs are searched with a
 * tree of `JGE` tests. The tree is optimal for the expected cost of a lookup: each run weighs as many
 * syscalls of the ABI's table as it holds, so common regions sit near the root. Only `nr` is ever tested, so
 * constant-verdict syscalls stay on paths the kernel's action cache understands.
 */
import type { DispatchCase, DispatchEmitter, DispatchSection, DispatchStrategy } from './strategy.js';
import { emitTree, halvingTree, MAX_OPTIMAL_RUNS, optimalSearch, type DispatchOutcome, type DispatchRun, type Tree } from './value-search.js';
import { syscallTable } from '../../syscalls/resolve.js';
import type { LinuxArchName } from '../../syscalls/arch.js';
import { SECCOMP_RET_ALLOW } from '../../syscalls/actions.js';

/** Shape, hot syscalls and hole handling of the range-tree dispatch. */
export interface RangeDispatchOptions {
  /**
   * Tree shape: `weighted` (default) minimizes the mean number of tests over the ABI's syscall table;
   * `balanced` minimizes the depth over runs regardless of their weight.
   */
  readonly shape?: 'weighted' | 'balanced';
  /**
   * Syscall numbers tested first, one `JEQ` each, in this order. With `workload` and no `hot`, the dispatch
   * picks them itself (see {@link workloadSearch}); `hot: []` keeps it to the tree alone.
   */
  readonly hot?: readonly number[];
  /**
   * Numbers inside the ABI's table range that name no syscall (holes in the numbering) may take whichever
   * neighbouring verdict makes the tree smaller: the kernel answers ENOSYS for them whatever the filter says
   * it allows. Off by default; never applied above the highest known number, nor under an ENOSYS guard.
   */
  readonly freeHoles?: boolean;
  /**
   * Call counts of a workload (per ABI, `seccomp_data.nr` → calls): the tree is then optimal for those
   * frequencies instead of the table's. Runs that return ALLOW weigh nothing on ABIs the kernel's action cache
   * covers (every ABI but x32), since the kernel never runs the filter for their calls; numbers the workload
   * never calls keep a trace of the table weight, so that they still sit sensibly.
   */
  readonly workload?: ReadonlyMap<LinuxArchName, ReadonlyMap<number, number>>;
  /** With `workload`: whether the kernel has the action cache (Linux 5.11+; default true). */
  readonly kernelCache?: boolean;
}


const tableNumbers = new Map<LinuxArchName, Uint32Array>();
function knownNumbers(arch: LinuxArchName): Uint32Array {
  let t = tableNumbers.get(arch);
  if (t === undefined) {
    t = Uint32Array.from(syscallTable(arch).map((e) => e.nr)).sort();
    tableNumbers.set(arch, t);
  }
  return t;
}

/** Index of the first element of sorted `a` that is >= v. */
function lowerBound(a: Uint32Array, v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((a[mid] as number) < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const outcomeOf = <L>(c: DispatchCase<L>): DispatchOutcome<L> =>
  ({ id: c.constant !== undefined ? `ret:${c.constant >>> 0}` : `key:${c.key}`, target: c.target });

/** Cuts the section's domain into runs of numbers that decide alike, in ascending order. */
export function dispatchRuns<L>(section: DispatchSection<L>, options: RangeDispatchOptions = {}): DispatchRun<L>[] {
  const { domain, enosys } = section;
  const known = knownNumbers(section.arch);
  const maxKnown = known.length > 0 ? (known[known.length - 1] as number) : -1;
  const hot = new Set(options.hot ?? []);
  const freeHoles = options.freeHoles === true && enosys === undefined;
  const byDefault: DispatchOutcome<L> = { id: `ret:${section.defaultConstant >>> 0}`, target: section.defaultTarget };
  const byEnosys: DispatchOutcome<L> | undefined = enosys && { id: `ret:${enosys.constant >>> 0}`, target: enosys.target };

  const pieces: DispatchRun<L>[] = [];
  const push = (lo: number, hi: number, out: DispatchOutcome<L> | undefined): void => {
    const last = pieces[pieces.length - 1];
    if (last !== undefined && last.hi + 1 === lo && last.out?.id === out?.id && (out !== undefined || last.out === undefined)) {
      last.hi = hi;
    } else {
      pieces.push({ lo, hi, out });
    }
  };
  const gap = (lo: number, hi: number): void => {
    if (lo > hi) return;
    if (byEnosys !== undefined && enosys !== undefined && hi > enosys.above) {
      if (lo <= enosys.above) gap(lo, enosys.above);
      push(Math.max(lo, enosys.above + 1), hi, byEnosys);
      return;
    }
    if (!freeHoles || lo > maxKnown) {
      push(lo, hi, byDefault);
      return;
    }
    // Inside the table's range: known numbers keep the default, holes are free.
    let at = lo;
    const end = Math.min(hi, maxKnown);
    for (let i = lowerBound(known, lo); at <= end; i++) {
      const next = i < known.length ? Math.min(known[i] as number, end + 1) : end + 1;
      if (next > at) push(at, next - 1, undefined);
      if (next <= end) push(next, next, byDefault);
      at = next + 1;
    }
    if (hi > maxKnown) push(maxKnown + 1, hi, byDefault);
  };

  let cur = domain.min;
  for (const c of section.cases) {
    gap(cur, c.nr - 1);
    push(c.nr, c.nr, hot.has(c.nr) ? undefined : outcomeOf(c));
    cur = c.nr + 1;
  }
  if (cur <= domain.max) gap(cur, domain.max);
  for (const b of section.beyond ?? []) push(b.lo, b.hi, { id: b.id, target: b.target });

  // Free pieces join a neighbour: both when the neighbours agree, else the left one.
  const runs: DispatchRun<L>[] = [];
  for (let i = 0; i < pieces.length; i++) {
    const p = pieces[i] as DispatchRun<L>;
    const last = runs[runs.length - 1];
    if (p.out === undefined) {
      if (last !== undefined) last.hi = p.hi;
      else {
        const next = pieces.slice(i + 1).find((q) => q.out !== undefined);
        runs.push({ lo: p.lo, hi: p.hi, out: next?.out ?? byDefault });
      }
    } else if (last !== undefined && last.out?.id === p.out.id) {
      last.hi = p.hi;
    } else {
      runs.push({ ...p });
    }
  }
  return runs;
}

/** The number of table syscalls in each run (plus a little, so that no run is weightless). */
function tableWeights<L>(arch: LinuxArchName, runs: readonly DispatchRun<L>[]): Float64Array {
  const known = knownNumbers(arch);
  // A plain loop: Float64Array.from with a mapping function is several times slower in V8.
  const weights = new Float64Array(runs.length);
  for (let k = 0; k < runs.length; k++) {
    const r = runs[k] as DispatchRun<L>;
    weights[k] = lowerBound(known, r.hi + 1) - lowerBound(known, r.lo) + 1 / 64;
  }
  return weights;
}

const ALLOW_OUTCOME = `ret:${SECCOMP_RET_ALLOW}`;
/** How much of the table weight a run keeps under a workload, relative to one call. */
const TABLE_TRACE = 1e-9;

/**
 * Each run's share of a workload's filtered calls, plus a trace of its table weight. Calls the kernel's action
 * cache answers (constant ALLOW outside x32) do not count: the filter never runs for them.
 */
function workloadWeights<L>(arch: LinuxArchName, runs: readonly DispatchRun<L>[], counts: ReadonlyMap<number, number>, kernelCache: boolean): Float64Array {
  const table = tableWeights(arch, runs);
  const cacheable = kernelCache && arch !== 'x32';
  const sorted = [...counts].filter(([, n]) => n > 0).sort((a, b) => a[0] - b[0]);
  const total = sorted.reduce((t, [, n]) => t + n, 0);
  const weights = Float64Array.from(table, (w) => w * TABLE_TRACE * Math.max(1, total));
  let i = 0;
  runs.forEach((r, k) => {
    while (i < sorted.length && (sorted[i] as [number, number])[0] < r.lo) i++;
    let calls = 0;
    while (i < sorted.length && (sorted[i] as [number, number])[0] <= r.hi) calls += (sorted[i++] as [number, number])[1];
    if (!(cacheable && r.out?.id === ALLOW_OUTCOME)) weights[k] = (weights[k] as number) + calls;
  });
  return weights;
}

/**
 * Ranges beyond the section that lead to another ABI's section (x32 numbers searched with x86_64's) weigh what
 * that ABI's calls weigh: its workload's calls when there is a workload, else its table's syscalls.
 */
function weighBeyond<L>(section: DispatchSection<L>, runs: readonly DispatchRun<L>[], weights: Float64Array, workload: RangeDispatchOptions['workload']): void {
  for (const b of section.beyond ?? []) {
    if (b.abi === undefined) continue;
    const k = runs.findIndex((r) => r.out?.id === b.id);
    if (k < 0) continue;
    const table = knownNumbers(b.abi).length;
    const counts = workload?.get(b.abi);
    const own = workload?.get(section.arch);
    const calls = counts === undefined ? 0 : [...counts.values()].reduce((t, n) => t + n, 0);
    const ownCalls = own === undefined ? 0 : [...own.values()].reduce((t, n) => t + n, 0);
    weights[k] = workload === undefined ? table : calls + table * TABLE_TRACE * Math.max(1, calls + ownCalls);
  }
}

/** Most syscalls a workload-weighted dispatch tests ahead of its search. */
const MAX_HOISTED = 6;

/** A search of a section's numbers: syscalls tested first (one `JEQ` each), then a tree over the runs. */
interface SectionSearch<L> {
  readonly hot: readonly number[];
  readonly runs: readonly DispatchRun<L>[];
  readonly tree: Tree;
  /** Expected `nr` tests per call under the weights the search was made for (the optimal searches only). */
  readonly cost: number;
}

/** The calls of `counts` to syscalls with a case that reach the filter: none where the kernel's action cache answers. */
function filteredCalls<L>(section: DispatchSection<L>, counts: ReadonlyMap<number, number>, kernelCache: boolean): Map<number, number> {
  const cacheable = kernelCache && section.arch !== 'x32';
  const filtered = new Map<number, number>();
  for (const c of section.cases) {
    const n = counts.get(c.nr) ?? 0;
    if (n > 0 && !(cacheable && c.constant === SECCOMP_RET_ALLOW)) filtered.set(c.nr, n);
  }
  return filtered;
}

/** The search below `hot`, weighted by the table or by the section's workload without the calls of `hot`. */
function searchBelow<L>(section: DispatchSection<L>, options: RangeDispatchOptions, hot: readonly number[]): SectionSearch<L> & { readonly weight: number } {
  const runs = dispatchRuns(section, { ...options, hot });
  let counts = options.workload?.get(section.arch);
  if (counts !== undefined && hot.length > 0) counts = new Map([...counts].filter(([nr]) => !hot.includes(nr)));
  const weights = counts !== undefined && counts.size > 0 ? workloadWeights(section.arch, runs, counts, options.kernelCache !== false) : tableWeights(section.arch, runs);
  weighBeyond(section, runs, weights, options.workload);
  let weight = 0;
  for (const w of weights) weight += w;
  if (options.shape === 'balanced') return { hot, runs, tree: halvingTree(weights, true), cost: NaN, weight };
  if (runs.length > MAX_OPTIMAL_RUNS) return { hot, runs, tree: halvingTree(weights, false), cost: NaN, weight };
  const { tree, cost } = optimalSearch(runs, weights);
  return { hot, runs, tree, cost, weight };
}

/**
 * The search for a section. The optimal tree over runs tests a syscall inside the run that holds it; when a few
 * syscalls make most of a workload's filtered calls (with the action cache, often `socket` or `ioctl` alone),
 * testing them first, heaviest first, costs each of them one test per place in that list and every other call
 * one test more per syscall listed. Under a workload (and no `hot` option) each prefix of the heaviest filtered
 * syscalls, up to {@link MAX_HOISTED}, is tried, the tree below it searched optimally for the calls that get
 * there, and the cheapest total kept. The empty prefix is the plain weighted search, so the result never costs
 * the workload more than it.
 */
function workloadSearch<L>(section: DispatchSection<L>, options: RangeDispatchOptions): SectionSearch<L> {
  const counts = options.workload?.get(section.arch);
  const plain = searchBelow(section, options, options.hot ?? []);
  if (counts === undefined || counts.size === 0 || options.hot !== undefined || Number.isNaN(plain.cost)) return plain;
  const candidates = [...filteredCalls(section, counts, options.kernelCache !== false)]
    .sort((a, b) => b[1] - a[1] || a[0] - b[0])
    .slice(0, MAX_HOISTED);
  let best: SectionSearch<L> = plain;
  let bestCost = plain.cost;
  let ahead = 0;
  for (let k = 1; k <= candidates.length; k++) {
    ahead += k * (candidates[k - 1] as [number, number])[1];
    const below = searchBelow(section, options, candidates.slice(0, k).map(([nr]) => nr));
    if (Number.isNaN(below.cost)) break;
    const cost = ahead + k * below.weight + below.cost;
    if (cost < bestCost) {
      best = { ...below, cost };
      bestCost = cost;
    }
  }
  return best;
}

/** Builds a range-tree dispatch strategy. */
export function rangeDispatch(options: RangeDispatchOptions = {}): DispatchStrategy {
  return {
    name: `range${options.hot?.length ? '+hot' : ''}${options.workload !== undefined ? '+workload' : ''}`,
    // With a workload, x86_64's split from x32 goes where the workload's weights put it.
    foldsBeyond: options.workload !== undefined,
    emit<L>(out: DispatchEmitter<L>, section: DispatchSection<L>): void {
      const search = workloadSearch(section, options);
      const hot = search.hot.flatMap((nr) => section.cases.filter((x) => x.nr === nr));
      // A tree of one run is a jump: the last hot test goes there itself (the cost the search counted).
      const leaf = 'leaf' in search.tree ? (search.runs[search.tree.leaf] as DispatchRun<L>).out?.target : undefined;
      hot.forEach((c, k) => {
        const last = k === hot.length - 1 && leaf !== undefined;
        const next = last ? leaf : out.newLabel();
        out.jumpIf('jeq', c.nr, c.target, next);
        if (!last) out.bind(next);
      });
      if (!(hot.length > 0 && leaf !== undefined)) emitTree(out, search.runs, search.tree);
    },
  };
}

/** The range tree with default options: weighted, no hot list, exact meaning for every number. */
export const rangeTreeDispatch: DispatchStrategy = rangeDispatch();
