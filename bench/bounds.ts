/**
 * How few instructions a filter can execute per syscall: lower bounds on the syscall-number search of a policy,
 * beside what the compiler achieves (see docs/performance.md for the argument these figures support).
 *
 * The search is modelled on the syscalls of each ABI's table only, every one weighing the same and sent to its
 * verdict with arguments zero (see `tablePoints`), with every other number free to take any verdict (the most
 * lenient treatment of numbers that name no syscall, so the bounds hold for the exact treatment too). A tree of `JGE`/`JGT`/`JEQ` tests on `nr` can be rewritten, without
 * making any table syscall slower, into a tree of range tests whose leaves each end in a chain of `JEQ` tests
 * for the numbers of other verdicts inside the leaf's range: `normalFormOptimum` computes the best such tree
 * exactly (dynamic programming over every interval of points as a leaf), which is therefore a lower bound on every tree of these tests.
 *
 * Standalone: `node --import tsx bench/bounds.ts [PROFILE]` prints the figures (docker-default by default).
 */
import { pathToFileURL } from 'node:url';
import { compilePolicy } from '../src/compiler/compile.js';
import { lowerPolicy } from '../src/compiler/lower.js';
import { performanceCompileOptions } from '../src/compiler/performance.js';
import { filterStats } from '../src/analysis/stats.js';
import { evaluatePolicy } from '../src/policy/evaluate.js';
import { resolvePolicy } from '../src/policy/resolve.js';
import type { Policy } from '../src/policy/types.js';
import { getProfile } from '../src/policy/profiles/index.js';
import { encodeAction } from '../src/syscalls/actions.js';
import type { LinuxArchName } from '../src/syscalls/arch.js';
import { syscallTable } from '../src/syscalls/resolve.js';

/** A table syscall: its number and what decides it (equal ids decide alike). */
export interface TablePoint {
  readonly nr: number;
  readonly id: string;
}

/** A point of a search, in ascending order of number, with the weight its tests count with. */
export interface WeightedPoint {
  readonly id: string;
  readonly weight: number;
}

/**
 * Each syscall of each ABI's table (ascending) with what its zero-argument path must end in: its verdict with
 * arguments zero (reference evaluator), kept apart from syscalls of the same verdict whose verdict does not
 * depend on arguments when its own does. Two syscalls on the same zero-argument path get the same verdict; if
 * one is allowed whatever its arguments, that path reads no argument (the kernel's action cache requires it),
 * so the other's verdict cannot depend on its arguments either. Argument checks come on top of the bound.
 */
export function tablePoints(policy: Policy): Map<LinuxArchName, TablePoint[]> {
  const conditional = new Map(lowerPolicy(resolvePolicy(policy)).map((s) => [s.arch, new Set(s.cases.filter((c) => c.body.verdicts.length > 0).map((c) => c.nr))]));
  return new Map(policy.arches.map((abi) => [abi, syscallTable(abi).map((e) => e.nr).sort((a, b) => a - b).map((nr) => {
    const verdict = encodeAction(evaluatePolicy(policy, { arch: abi, nr })) >>> 0;
    return { nr, id: `${conditional.get(abi)?.has(nr) === true ? 'depends on arguments' : 'constant'}:${verdict}` };
  })]));
}

/** Entropy, in bits, of the runs of equal ids (neighbouring points that decide alike), by weight. */
export function runEntropy(points: readonly WeightedPoint[]): number {
  const runs: number[] = [];
  let last: string | undefined;
  for (const p of points) {
    if (p.id === last) runs[runs.length - 1] = (runs[runs.length - 1] as number) + p.weight;
    else runs.push(p.weight);
    last = p.id;
  }
  const total = runs.reduce((a, b) => a + b, 0);
  return runs.reduce((h, w) => (w > 0 ? h - (w / total) * Math.log2(w / total) : h), 0);
}

/**
 * The least weighted number of tests of any tree of range tests whose leaves are intervals of points, each
 * ending in a chain of `JEQ` tests for the points of other ids inside it (heaviest first), then the leaf's id.
 * Exact: every interval, every id as the leaf's, every split.
 */
export function normalFormOptimum(points: readonly WeightedPoint[]): number {
  const n = points.length;
  if (n === 0) return 0;
  // Ids and weights as small integers: the leaf costs below are computed for every interval, without allocating.
  const weightsDesc = [...new Set(points.map((p) => p.weight))].sort((x, y) => y - x);
  const weightIndex = new Map(weightsDesc.map((w, k) => [w, k]));
  const idIndex = new Map<string, number>();
  for (const p of points) if (!idIndex.has(p.id)) idIndex.set(p.id, idIndex.size);
  const W = weightsDesc.length;
  const pointId = Int32Array.from(points, (p) => idIndex.get(p.id) as number);
  const pointWeight = Int32Array.from(points, (p) => weightIndex.get(p.weight) as number);
  const prefix = new Float64Array(n + 1);
  points.forEach((p, i) => { prefix[i + 1] = (prefix[i] as number) + p.weight; });
  // leaf[i * n + j]: the cost of ending the search for points i..j in one leaf (0 when they share an id).
  const leaf = new Float64Array(n * n).fill(Infinity);
  const all = new Float64Array(W);
  const own = new Float64Array(idIndex.size * W);
  const ownTotal = new Float64Array(idIndex.size);
  const seen = new Uint8Array(idIndex.size);
  const present: number[] = [];
  for (let i = 0; i < n; i++) {
    all.fill(0);
    own.fill(0);
    ownTotal.fill(0);
    seen.fill(0);
    present.length = 0;
    for (let j = i; j < n; j++) {
      const id = pointId[j] as number;
      const wk = pointWeight[j] as number;
      all[wk] = (all[wk] as number) + 1;
      own[id * W + wk] = (own[id * W + wk] as number) + 1;
      ownTotal[id] = (ownTotal[id] as number) + (weightsDesc[wk] as number);
      if (seen[id] === 0) {
        seen[id] = 1;
        present.push(id);
      }
      if (present.length === 1) {
        leaf[i * n + j] = 0;
        continue;
      }
      let best = Infinity;
      for (const g of present) {
        // The other ids' points: one JEQ each, heaviest first; every point of the leaf's own id passes them all.
        let rank = 0;
        let cost = 0;
        for (let k = 0; k < W; k++) {
          const c = (all[k] as number) - (own[g * W + k] as number);
          if (c <= 0) continue;
          cost += (weightsDesc[k] as number) * (c * rank + (c * (c + 1)) / 2);
          rank += c;
        }
        best = Math.min(best, cost + rank * (ownTotal[g] as number));
      }
      leaf[i * n + j] = best;
    }
  }
  // cost[i * n + j] and, by end, byEnd[j * n + i]: the best normal-form tree over points i..j.
  const cost = new Float64Array(n * n);
  const byEnd = new Float64Array(n * n);
  for (let len = 1; len <= n; len++) {
    for (let i = 0; i + len - 1 < n; i++) {
      const j = i + len - 1;
      const weight = (prefix[j + 1] as number) - (prefix[i] as number);
      let best = leaf[i * n + j] as number;
      // A split costs at least the interval's weight (one test for each of its points): no need to try one.
      if (best > weight) {
        let split = Infinity;
        for (let m = i + 1; m <= j; m++) split = Math.min(split, (cost[i * n + m - 1] as number) + (byEnd[j * n + m] as number));
        best = Math.min(best, split + weight);
      }
      cost[i * n + j] = best;
      byEnd[j * n + i] = best;
    }
  }
  return cost[n - 1] as number;
}

export interface AbiBound {
  readonly abi: LinuxArchName;
  readonly syscalls: number;
  /** Executed instructions per syscall of the compiled filter (performance options), mean. */
  readonly achievedMean: number;
  /** Entropy of the runs, bits: the bound for trees of range tests alone. */
  readonly runEntropy: number;
  /** Least mean number of nr tests of any JGE/JGT/JEQ tree deciding this ABI's table alone: a lower bound. */
  readonly searchBound: number;
}

export interface BoundsResult {
  readonly profile: string;
  readonly abis: AbiBound[];
  /**
   * x86_64 and x32 calls arrive with the same arch, so whatever the layout, the `nr` tests on their paths form one
   * search over both tables: for weight λ on x86_64, the least λ·(x86_64 mean tests) + (1-λ)·(x32 mean tests) of
   * a normal-form tree over both. At the λ where every syscall of either table weighs the same (`equalWeight`),
   * this is a lower bound for every tree; elsewhere it is the best normal-form tree.
   */
  readonly x86Family: { readonly lambda: number; readonly bound: number; readonly equalWeight: boolean }[];
}

const uniform = (points: readonly TablePoint[]): WeightedPoint[] => points.map((p) => ({ id: p.id, weight: 1 / points.length }));

/** Lower bounds and achieved figures for one policy. */
export function dispatchBounds(profile: string, policy: Policy = getProfile(profile)): BoundsResult {
  const points = tablePoints(policy);
  const stats = filterStats(compilePolicy(policy, performanceCompileOptions()).program, policy.arches);
  const x86 = points.get('x86_64') ?? [];
  const x32 = points.get('x32') ?? [];
  const family = [...x86, ...x32].sort((a, b) => a.nr - b.nr);
  const abis = [...points].map(([abi, ps]): AbiBound => {
    return {
      abi,
      syscalls: ps.length,
      achievedMean: stats.abis.find((a) => a.abi === abi)?.meanExecuted ?? NaN,
      runEntropy: runEntropy(uniform(ps)),
      searchBound: normalFormOptimum(uniform(ps)),
    };
  });
  const equal = x86.length / (x86.length + x32.length);
  // The weights docs/performance.md tabulates, and the one where every syscall of either table weighs the same.
  const lambdas = [0, 0.3, 0.5, 0.7, 0.9, 1, equal].sort((a, b) => a - b);
  const x86Family = x86.length === 0 || x32.length === 0 ? [] : lambdas.map((lambda) => {
    const weighted = family.map((p) => ({ id: p.id, weight: p.nr >= 0x40000000 ? (1 - lambda) / x32.length : lambda / x86.length }));
    return { lambda, bound: normalFormOptimum(weighted), equalWeight: lambda === equal };
  });
  return { profile, abis, x86Family };
}

/** The figures as text. */
export function boundsText(r: BoundsResult): string {
  const f = (x: number): string => x.toFixed(3);
  const lines = [`${r.profile}: mean nr tests per table syscall (JGE/JGT/JEQ trees; numbers outside the tables free)`,
    'ABI     syscalls  achieved (all instructions)  run entropy  bound'];
  for (const a of r.abis) {
    lines.push(`${a.abi.padEnd(8)}${String(a.syscalls).padStart(8)}  ${f(a.achievedMean).padStart(27)}  ${f(a.runEntropy).padStart(11)}  ${f(a.searchBound).padStart(5)}`);
  }
  if (r.x86Family.length > 0) {
    lines.push('', 'x86_64 + x32 in one search, weight λ on x86_64: least λ·x86_64 + (1-λ)·x32 mean tests');
    lines.push(r.x86Family.map((p) => `λ=${p.lambda.toFixed(p.equalWeight ? 3 : 1)}${p.equalWeight ? ' (equal weight, a bound)' : ''} ${f(p.bound)}`).join('  '));
  }
  return `${lines.join('\n')}\n`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.stdout.write(boundsText(dispatchBounds(process.argv[2] ?? 'docker-default')));
}
