/**
 * Range-tree dispatch: the numbers of a section are cut into maximal runs that decide alike (neighbouring
 * syscalls with the same body, or with bodies that return the same constant), and the runs are searched with a
 * tree of `JGE` tests. The tree is optimal for the expected cost of a lookup: each run weighs as many
 * syscalls of the ABI's table as it holds, so common regions sit near the root. Only `nr` is ever tested, so
 * constant-verdict syscalls stay on paths the kernel's action cache understands.
 */
import type { DispatchCase, DispatchEmitter, DispatchSection, DispatchStrategy } from '../dispatch.js';
import { syscallTable } from '../../syscalls/resolve.js';
import type { ArchName } from '../../syscalls/arch.js';

export interface RangeDispatchOptions {
  /**
   * Tree shape: `weighted` (default) minimizes the mean number of tests over the ABI's syscall table;
   * `balanced` minimizes the depth over runs regardless of their weight.
   */
  readonly shape?: 'weighted' | 'balanced';
  /** Syscall numbers tested first, one `JEQ` each, in this order (for hot syscalls of a known workload). */
  readonly hot?: readonly number[];
  /**
   * Numbers inside the ABI's table range that name no syscall (holes in the numbering) may take whichever
   * neighbouring verdict makes the tree smaller: the kernel answers ENOSYS for them whatever the filter says
   * it allows. Off by default; never applied above the highest known number, nor under an ENOSYS guard.
   */
  readonly freeHoles?: boolean;
}

/** A run of numbers searched as one leaf; `out` undefined while the run may still join either neighbour. */
export interface DispatchRun<L> {
  lo: number;
  hi: number;
  out: DispatchOutcome<L> | undefined;
}

export interface DispatchOutcome<L> {
  /** Equal ids decide identically. */
  readonly id: string;
  readonly target: L;
}

/**
 * Leaves are runs; an inner node tests `A >= split` (the first number of its right subtree). A chain covers
 * runs `A b1 A b2 A …` where every `b` is one number and every `A` decides alike: one `JEQ` per `b`, in
 * order, then `A` (so the `A` runs need no boundaries of their own).
 */
type Tree =
  | { readonly leaf: number }
  | { readonly split: number; readonly left: Tree; readonly right: Tree }
  | { readonly chain: readonly number[]; readonly rest: number };

/** Longest `JEQ` chain considered: beyond it a split is always at least as good. */
const MAX_CHAIN = 4;
/** Up to this many runs the search tries every root; above, Knuth's bound keeps it quadratic. */
const EXHAUSTIVE_RUNS = 72;

/** Above this many runs the cubic-free optimal search is still quadratic in memory: fall back to halving weights. */
const MAX_OPTIMAL_RUNS = 2048;

const tableNumbers = new Map<ArchName, Uint32Array>();
function knownNumbers(arch: ArchName): Uint32Array {
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
function runWeights<L>(arch: ArchName, runs: readonly DispatchRun<L>[]): Float64Array {
  const known = knownNumbers(arch);
  return Float64Array.from(runs, (r) => lowerBound(known, r.hi + 1) - lowerBound(known, r.lo) + 1 / 64);
}

/** Longest run window a `JEQ` chain may cover: every tested number plus the runs between them. */
const CHAIN_WINDOW = 2 * MAX_CHAIN + 2;

/**
 * For every run i and window length len (2..CHAIN_WINDOW): the expected cost of resolving runs i..i+len-1
 * with a `JEQ` chain, or Infinity. A chain applies when all runs of the window but those of one outcome
 * (the rest) are single numbers: those are tested one by one, heaviest first, and everything else is the rest.
 */
function chainCosts<L>(runs: readonly DispatchRun<L>[], weights: Float64Array): { cost: Float64Array; order: (number[] | undefined)[]; rest: Int32Array } {
  const n = runs.length;
  const cost = new Float64Array(n * CHAIN_WINDOW).fill(Infinity);
  const order: (number[] | undefined)[] = new Array<number[] | undefined>(n * CHAIN_WINDOW);
  const rest = new Int32Array(n * CHAIN_WINDOW).fill(-1);
  for (let i = 0; i < n; i++) {
    const byOutcome = new Map<string, { weight: number; wide: boolean; members: number[] }>();
    for (let len = 1; len <= CHAIN_WINDOW && i + len - 1 < n; len++) {
      const r = runs[i + len - 1] as DispatchRun<L>;
      const id = r.out?.id ?? '';
      const g = byOutcome.get(id) ?? { weight: 0, wide: false, members: [] };
      g.weight += weights[i + len - 1] as number;
      g.wide ||= r.lo !== r.hi;
      g.members.push(i + len - 1);
      byOutcome.set(id, g);
      if (len === 1) continue;
      const wide = [...byOutcome.values()].filter((x) => x.wide);
      if (wide.length > 1) break;
      const main = wide[0] ?? [...byOutcome.values()].reduce((a, b) => (b.weight > a.weight ? b : a));
      const tested = [...byOutcome.values()].filter((x) => x !== main).flatMap((x) => x.members);
      if (tested.length > MAX_CHAIN) break;
      tested.sort((x, y) => (weights[y] as number) - (weights[x] as number));
      let c = main.weight * tested.length;
      tested.forEach((t, rank) => { c += (rank + 1) * (weights[t] as number); });
      const at = i * CHAIN_WINDOW + len - 1;
      cost[at] = c;
      order[at] = tested;
      rest[at] = main.members[0] as number;
    }
  }
  return { cost, order, rest };
}

/**
 * Optimal alphabetic tree (with `JEQ` chains as extra leaves) by dynamic programming: every root is tried up
 * to {@link EXHAUSTIVE_RUNS} runs, Knuth's bound on the root keeps larger sections quadratic.
 */
function optimalTree<L>(runs: readonly DispatchRun<L>[], weights: Float64Array): Tree {
  const n = weights.length;
  const chains = chainCosts(runs, weights);
  const exhaustive = n <= EXHAUSTIVE_RUNS;
  const prefix = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) prefix[i + 1] = (prefix[i] as number) + (weights[i] as number);
  const cost = new Float64Array(n * n);
  // The best split of every interval (kept even where a chain wins, for Knuth's bound), and whether a chain won.
  const root = new Int32Array(n * n);
  const chained = new Uint8Array(n * n);
  for (let i = 0; i < n; i++) root[i * n + i] = i;
  for (let len = 2; len <= n; len++) {
    for (let i = 0; i + len - 1 < n; i++) {
      const j = i + len - 1;
      const lo = exhaustive ? i + 1 : Math.max(i + 1, root[i * n + j - 1] as number);
      const hi = exhaustive ? j : Math.min(j, len === 2 ? j : Math.max(root[(i + 1) * n + j] as number, lo));
      let best = Infinity;
      let bestM = lo;
      for (let m = lo; m <= hi; m++) {
        const c = (cost[i * n + m - 1] as number) + (cost[m * n + j] as number);
        if (c < best) {
          best = c;
          bestM = m;
        }
      }
      best += (prefix[j + 1] as number) - (prefix[i] as number);
      root[i * n + j] = bestM;
      if (len <= CHAIN_WINDOW) {
        const c = chains.cost[i * CHAIN_WINDOW + len - 1] as number;
        if (c < best) {
          best = c;
          chained[i * n + j] = 1;
        }
      }
      cost[i * n + j] = best;
    }
  }
  const build = (i: number, j: number): Tree => {
    if (i === j) return { leaf: i };
    if (chained[i * n + j]) {
      const at = i * CHAIN_WINDOW + j - i;
      return { chain: chains.order[at] as number[], rest: chains.rest[at] as number };
    }
    const m = root[i * n + j] as number;
    return { split: m, left: build(i, m - 1), right: build(m, j) };
  };
  return build(0, n - 1);
}

/** Splits where the weights on both sides are closest to equal (or at the middle run, for `balanced`). */
function halvingTree(weights: Float64Array, byCount: boolean): Tree {
  const prefix = new Float64Array(weights.length + 1);
  for (let i = 0; i < weights.length; i++) prefix[i + 1] = (prefix[i] as number) + (byCount ? 1 : (weights[i] as number));
  const build = (i: number, j: number): Tree => {
    if (i === j) return { leaf: i };
    const half = ((prefix[i] as number) + (prefix[j + 1] as number)) / 2;
    let m = i + 1;
    while (m < j && Math.abs((prefix[m + 1] as number) - half) < Math.abs((prefix[m] as number) - half)) m++;
    return { split: m, left: build(i, m - 1), right: build(m, j) };
  };
  return build(0, weights.length - 1);
}

/** A run of 32-bit values that all go to `target`; runs with equal `id` decide alike. */
export interface ValueRun<L> {
  readonly lo: number;
  readonly hi: number;
  readonly id: string;
  readonly target: L;
}

/**
 * Emits a search of `A` over `runs` (ascending, covering every value `A` can hold): an optimal tree of `JGE`
 * tests for the given weights (or a weight-halving one for very many runs), with `JEQ` chains for single
 * values between runs that decide alike. On entry `A` holds the value; every path ends in a jump to a target.
 */
export function emitValueSearch<L>(out: DispatchEmitter<L>, runs: readonly ValueRun<L>[], weights: Float64Array): void {
  const asRuns: DispatchRun<L>[] = runs.map((r) => ({ lo: r.lo, hi: r.hi, out: { id: r.id, target: r.target } }));
  const tree = runs.length <= MAX_OPTIMAL_RUNS ? optimalTree(asRuns, weights) : halvingTree(weights, false);
  emitTree(out, asRuns, tree);
}

function emitTree<L>(out: DispatchEmitter<L>, runs: readonly DispatchRun<L>[], tree: Tree): void {
  const targetOf = (leaf: number): L => ((runs[leaf] as DispatchRun<L>).out as DispatchOutcome<L>).target;
  const emit = (t: Tree, here: L | undefined): void => {
    if ('leaf' in t) {
      out.jump(targetOf(t.leaf));
      return;
    }
    if (here !== undefined) out.bind(here);
    if ('chain' in t) {
      t.chain.forEach((single, k) => {
        const last = k === t.chain.length - 1;
        const next = last ? targetOf(t.rest) : out.newLabel();
        out.jumpIf('jeq', (runs[single] as DispatchRun<L>).lo >>> 0, targetOf(single), next);
        if (!last) out.bind(next);
      });
      return;
    }
    const labelFor = (sub: Tree): L => ('leaf' in sub ? targetOf(sub.leaf) : out.newLabel());
    const right = labelFor(t.right);
    const left = labelFor(t.left);
    out.jumpIf('jge', (runs[t.split] as DispatchRun<L>).lo >>> 0, right, left);
    if (!('leaf' in t.left)) emit(t.left, left);
    if (!('leaf' in t.right)) emit(t.right, right);
  };
  emit(tree, undefined);
}

/** Builds a range-tree dispatch strategy. */
export function rangeDispatch(options: RangeDispatchOptions = {}): DispatchStrategy {
  return {
    name: options.hot?.length ? 'range+hot' : 'range',
    emit<L>(out: DispatchEmitter<L>, section: DispatchSection<L>): void {
      const runs = dispatchRuns(section, options);
      for (const nr of options.hot ?? []) {
        const c = section.cases.find((x) => x.nr === nr);
        if (c === undefined) continue;
        const next = out.newLabel();
        out.jumpIf('jeq', nr, c.target, next);
        out.bind(next);
      }
      const weights = runWeights(section.arch, runs);
      const tree = options.shape === 'balanced' ? halvingTree(weights, true)
        : runs.length <= MAX_OPTIMAL_RUNS ? optimalTree(runs, weights) : halvingTree(weights, false);
      emitTree(out, runs, tree);
    },
  };
}

/** The range tree with default options: weighted, no hot list, exact meaning for every number. */
export const rangeTreeDispatch: DispatchStrategy = rangeDispatch();
