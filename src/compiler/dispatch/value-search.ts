/**
 * Searching a 32-bit value (a syscall number, or an argument word) over ascending runs that each go to one
 * target: an optimal tree of `JGE` tests for given weights, with `JEQ` chains for single values between runs
 * that decide alike, or a weight-halving tree when there are too many runs for the optimal search. Range
 * dispatch uses it for `nr`; the case-tree pass for long lists of allowed argument values.
 */
import type { DispatchEmitter } from './strategy.js';

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
export type Tree =
  | { readonly leaf: number }
  | { readonly split: number; readonly left: Tree; readonly right: Tree }
  | { readonly chain: readonly number[]; readonly rest: number };

/** Longest `JEQ` chain considered: beyond it a split is always at least as good. */
const MAX_CHAIN = 4;
/** Up to this many runs the search tries every root; above, Knuth's bound keeps it quadratic. */
const EXHAUSTIVE_RUNS = 72;

/** Above this many runs the cubic-free optimal search is still quadratic in memory: fall back to halving weights. */
export const MAX_OPTIMAL_RUNS = 2048;

/** Longest run window a `JEQ` chain may cover: every tested number plus the runs between them. */
const CHAIN_WINDOW = 2 * MAX_CHAIN + 2;

/**
 * For every run i and window length len (2..CHAIN_WINDOW): the expected cost of resolving runs i..i+len-1
 * with a `JEQ` chain, or Infinity, and the run standing for the rest. A chain applies when all runs of the
 * window but those of one outcome (the rest) are single numbers: those are tested one by one, heaviest first,
 * and everything else is the rest. The order of the tests is recomputed ({@link chainOrder}) only for the
 * chains the tree uses: this runs for every window of every run, and allocating per window made it the largest
 * cost of compiling a small policy.
 */
function chainCosts<L>(runs: readonly DispatchRun<L>[], weights: Float64Array): { cost: Float64Array; rest: Int32Array; outcome: Int32Array } {
  const n = runs.length;
  const memory = scratch(n);
  const cost = memory.chainCost.fill(Infinity, 0, n * CHAIN_WINDOW);
  const rest = memory.chainRest.fill(-1, 0, n * CHAIN_WINDOW);
  const outcome = outcomeIndices(runs);
  const { groupOutcome, groupWeight, groupWide, groupSize, groupFirst, member, tested } = memory;
  for (let i = 0; i < n; i++) {
    let groups = 0;
    let wideGroups = 0;
    for (let len = 1; len <= CHAIN_WINDOW && i + len - 1 < n; len++) {
      const k = i + len - 1;
      const r = runs[k] as DispatchRun<L>;
      let g = 0;
      while (g < groups && groupOutcome[g] !== outcome[k]) g++;
      if (g === groups) {
        groupOutcome[g] = outcome[k] as number;
        groupWeight[g] = 0;
        groupWide[g] = 0;
        groupSize[g] = 0;
        groupFirst[g] = k;
        groups++;
      }
      groupWeight[g] = (groupWeight[g] as number) + (weights[k] as number);
      groupSize[g] = (groupSize[g] as number) + 1;
      member[len - 1] = g;
      if (r.lo !== r.hi && groupWide[g] === 0) {
        groupWide[g] = 1;
        wideGroups++;
      }
      if (len === 1) continue;
      if (wideGroups > 1) break;
      // The rest: the one wide group, else the heaviest (the first of equals).
      let main = 0;
      if (wideGroups === 1) {
        while (groupWide[main] === 0) main++;
      } else {
        for (let h = 1; h < groups; h++) if ((groupWeight[h] as number) > (groupWeight[main] as number)) main = h;
      }
      const count = len - (groupSize[main] as number);
      if (count > MAX_CHAIN) break;
      // The tested runs' weights, heaviest first (insertion sort of at most MAX_CHAIN values).
      let t = 0;
      for (let m = 0; m < len; m++) {
        if (member[m] === main) continue;
        const w = weights[i + m] as number;
        let at = t++;
        while (at > 0 && (tested[at - 1] as number) < w) {
          tested[at] = tested[at - 1] as number;
          at--;
        }
        tested[at] = w;
      }
      let c = (groupWeight[main] as number) * count;
      for (let rank = 0; rank < count; rank++) c += (rank + 1) * (tested[rank] as number);
      const at = i * CHAIN_WINDOW + len - 1;
      cost[at] = c;
      rest[at] = groupFirst[main] as number;
    }
  }
  return { cost, rest, outcome };
}

/** Working memory of the search, by size. */
interface Scratch {
  /** Room for this many runs. */
  readonly runs: number;
  readonly cost: Float64Array;
  readonly byEnd: Float64Array;
  readonly root: Int32Array;
  readonly chained: Uint8Array;
  readonly chainCost: Float64Array;
  readonly chainRest: Int32Array;
  readonly groupOutcome: Int32Array;
  readonly groupWeight: Float64Array;
  readonly groupWide: Uint8Array;
  readonly groupSize: Int32Array;
  readonly groupFirst: Int32Array;
  readonly member: Int32Array;
  readonly tested: Float64Array;
}

let kept: Scratch | undefined;

/**
 * Working memory for a search of `n` runs, kept from one search to the next: allocating the interval tables
 * afresh for every section was a visible part of compiling a small policy. A search runs to its end without
 * calling another (nothing in it is asynchronous or recursive into the search), so one set serves every call;
 * every cell a search reads, it writes first.
 */
function scratch(n: number): Scratch {
  if (kept === undefined || kept.runs < n) {
    const runs = Math.max(n, 80);
    kept = {
      runs,
      cost: new Float64Array(runs * runs), byEnd: new Float64Array(runs * runs),
      root: new Int32Array(runs * runs), chained: new Uint8Array(runs * runs),
      chainCost: new Float64Array(runs * CHAIN_WINDOW), chainRest: new Int32Array(runs * CHAIN_WINDOW),
      groupOutcome: new Int32Array(CHAIN_WINDOW), groupWeight: new Float64Array(CHAIN_WINDOW),
      groupWide: new Uint8Array(CHAIN_WINDOW), groupSize: new Int32Array(CHAIN_WINDOW),
      groupFirst: new Int32Array(CHAIN_WINDOW), member: new Int32Array(CHAIN_WINDOW), tested: new Float64Array(CHAIN_WINDOW),
    };
  }
  return kept;
}

/** Each run's outcome as a small integer (equal for runs that decide alike). */
function outcomeIndices<L>(runs: readonly DispatchRun<L>[]): Int32Array {
  const outcome = new Int32Array(runs.length);
  const known = new Map<string, number>();
  runs.forEach((r, k) => {
    const key = r.out?.id ?? '';
    let v = known.get(key);
    if (v === undefined) known.set(key, (v = known.size));
    outcome[k] = v;
  });
  return outcome;
}

/**
 * The runs a chain over runs i..j tests, in test order: every run not deciding like `rest`, heaviest first;
 * equal weights in the order their outcomes first appear in the window, then by position.
 */
function chainOrder(outcome: Int32Array, weights: Float64Array, i: number, j: number, rest: number): number[] {
  const firstSeen: number[] = [];
  for (let k = i; k <= j; k++) if (!firstSeen.includes(outcome[k] as number)) firstSeen.push(outcome[k] as number);
  const tested: number[] = [];
  for (const o of firstSeen) {
    if (o === outcome[rest]) continue;
    for (let k = i; k <= j; k++) if (outcome[k] === o) tested.push(k);
  }
  return tested.sort((x, y) => (weights[y] as number) - (weights[x] as number));
}

/**
 * Optimal alphabetic tree (with `JEQ` chains as extra leaves) by dynamic programming: every root is tried up
 * to {@link EXHAUSTIVE_RUNS} runs, Knuth's bound on the root keeps larger sections quadratic.
 */
export function optimalTree<L>(runs: readonly DispatchRun<L>[], weights: Float64Array): Tree {
  return optimalSearch(runs, weights).tree;
}

/** {@link optimalTree} and its expected number of tests: the sum over runs of weight × tests on the run's path. */
export function optimalSearch<L>(runs: readonly DispatchRun<L>[], weights: Float64Array): { tree: Tree; cost: number } {
  const n = weights.length;
  const chains = chainCosts(runs, weights);
  const exhaustive = n <= EXHAUSTIVE_RUNS;
  const prefix = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) prefix[i + 1] = (prefix[i] as number) + (weights[i] as number);
  const { cost, byEnd, root, chained } = scratch(n);
  // byEnd holds the costs by column (byEnd[j * n + m] = cost of m..j), so that the inner loop reads both halves
  // of a split from consecutive memory. root is the best split of every interval (kept even where a chain wins,
  // for Knuth's bound), chained whether a chain won.
  for (let i = 0; i < n; i++) {
    root[i * n + i] = i;
    cost[i * n + i] = 0;
    byEnd[i * n + i] = 0;
  }
  for (let len = 2; len <= n; len++) {
    for (let i = 0; i + len - 1 < n; i++) {
      const j = i + len - 1;
      const lo = exhaustive ? i + 1 : Math.max(i + 1, root[i * n + j - 1] as number);
      const hi = exhaustive ? j : Math.min(j, len === 2 ? j : Math.max(root[(i + 1) * n + j] as number, lo));
      let best = Infinity;
      let bestM = lo;
      const left = i * n - 1;
      const right = j * n;
      for (let m = lo; m <= hi; m++) {
        const c = (cost[left + m] as number) + (byEnd[right + m] as number);
        if (c < best) {
          best = c;
          bestM = m;
        }
      }
      best += (prefix[j + 1] as number) - (prefix[i] as number);
      root[i * n + j] = bestM;
      chained[i * n + j] = 0;
      if (len <= CHAIN_WINDOW) {
        const c = chains.cost[i * CHAIN_WINDOW + len - 1] as number;
        if (c < best) {
          best = c;
          chained[i * n + j] = 1;
        }
      }
      cost[i * n + j] = best;
      byEnd[j * n + i] = best;
    }
  }
  const build = (i: number, j: number): Tree => {
    if (i === j) return { leaf: i };
    if (chained[i * n + j]) {
      const rest = chains.rest[i * CHAIN_WINDOW + j - i] as number;
      return { chain: chainOrder(chains.outcome, weights, i, j, rest), rest };
    }
    const m = root[i * n + j] as number;
    return { split: m, left: build(i, m - 1), right: build(m, j) };
  };
  return { tree: build(0, n - 1), cost: n > 1 ? (cost[n - 1] as number) : 0 };
}

/** Splits where the weights on both sides are closest to equal (or at the middle run, for `balanced`). */
export function halvingTree(weights: Float64Array, byCount: boolean): Tree {
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

export function emitTree<L>(out: DispatchEmitter<L>, runs: readonly DispatchRun<L>[], tree: Tree): void {
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

