/**
 * libseccomp's decision for one syscall (see libseccomp-tree.ts) written as policy rules: one rule per way
 * through its filter that ends in an action. The ways are disjoint, so the rules mean the same under the
 * policy's semantics (the strongest matching rule wins) as under libseccomp's order; a call on none of them
 * gets the default action.
 */
import type { ArgIndex } from '../../bpf/seccomp-data.js';
import type { ArgCondition } from '../types.js';
import { TreeHang, treePaths, wordRange, type SyscallTree, type WordTest } from './libseccomp-tree.js';

const U32 = 0xffffffff;
/** More rules than this for one syscall is refused rather than written. */
export const MAX_TREE_RULES = 128;

/** A rule of the result: the index of the rule whose action it has (-1: none), the action code, its tests. */
export interface TreeRuleOut {
  readonly origin: number;
  readonly code: number;
  readonly conditions: readonly ArgCondition[];
}

/** Why a decision cannot be written as policy rules. */
export class TreeNotExpressible extends Error {}

/** The conditions that together say one word passes its tests, as alternatives (any one of them). */
function wordAlternatives(arg: number, high: boolean, tests: readonly WordTest[], wide: boolean): ArgCondition[][] {
  const a = arg as ArgIndex;
  const range = wordRange(tests);
  if (range === undefined) return [];
  const [lo, hi] = range;
  const excluded = [...new Set(tests.filter((t) => t.mask === U32 && t.op === 'eq' && !t.holds).map((t) => t.datum))]
    .filter((v) => v >= lo && v <= hi).sort((x, y) => x - y);
  // A way whose one remaining value is also excluded is taken by no call.
  if (lo === hi && excluded.includes(lo)) return [];
  const masked = tests.filter((t) => t.mask !== U32);
  if (masked.some((t) => t.op !== 'eq' && t.op !== 'masked_eq')) {
    throw new TreeNotExpressible('an ordered comparison of a masked word');
  }
  const shift = high ? 32n : 0n;
  const width = wide ? {} : { width: 32 as const };
  const maskedEq = (mask: number, value: number): ArgCondition => ({ arg: a, op: 'masked_eq', mask: BigInt(mask) << shift, value: BigInt(value) << shift, ...width });
  // Each masked test that must fail becomes alternatives: one bit of its mask that differs.
  let alternatives: ArgCondition[][] = [masked.filter((t) => t.holds).map((t) => maskedEq(t.mask, t.datum))];
  for (const t of masked.filter((x) => !x.holds)) {
    const next: ArgCondition[][] = [];
    for (let bit = 0; bit < 32; bit++) {
      const b = (1 << bit) >>> 0;
      if ((t.mask & b) === 0) continue;
      for (const alt of alternatives) next.push([...alt, maskedEq(b, (t.datum & b) === 0 ? b : 0)]);
    }
    alternatives = next;
  }
  let ranges: ArgCondition[][];
  if (!high) {
    const w = { width: 32 as const };
    const conds: ArgCondition[] = lo === hi ? [{ arg: a, op: 'eq', value: BigInt(lo), ...w }] : [
      ...(lo > 0 ? [{ arg: a, op: 'ge' as const, value: BigInt(lo), ...w }] : []),
      ...(hi < U32 ? [{ arg: a, op: 'le' as const, value: BigInt(hi), ...w }] : []),
      ...excluded.map((v): ArgCondition => ({ arg: a, op: 'ne', value: BigInt(v), ...w })),
    ];
    ranges = [conds];
  } else {
    // The upper half confined to [lo, hi] minus some points: one interval of the whole argument each.
    ranges = [];
    let from = lo;
    for (const v of [...excluded, hi + 1]) {
      if (v > from) {
        const to = v - 1;
        if (from === to) {
          ranges.push([{ arg: a, op: 'masked_eq', mask: 0xffffffffn << 32n, value: BigInt(from) << 32n }]);
        } else {
          ranges.push([
            ...(from > 0 ? [{ arg: a, op: 'ge' as const, value: BigInt(from) << 32n }] : []),
            ...(to < U32 ? [{ arg: a, op: 'le' as const, value: (BigInt(to) << 32n) | 0xffffffffn }] : []),
          ]);
        }
      }
      from = v + 1;
    }
  }
  return ranges.flatMap((r) => alternatives.map((alt) => [...r, ...alt]));
}

/**
 * An argument whose upper half is confined to one value and whose lower half only to a range (minus some
 * values), written as 64-bit comparisons, as a profile would say it: undefined when that does not apply, null
 * for the half that is written with the other.
 */
function wholeArgument(arg: number, high: readonly WordTest[] | undefined, low: readonly WordTest[] | undefined, forHigh: boolean): ArgCondition[][] | null | undefined {
  if (high === undefined || low === undefined) return undefined;
  if ([...high, ...low].some((t) => t.mask !== U32)) return undefined;
  const hr = wordRange(high);
  const lr = wordRange(low);
  if (hr === undefined || lr === undefined || hr[0] !== hr[1]) return undefined;
  if (high.some((t) => t.op === 'eq' && !t.holds)) return undefined;
  if (!forHigh) return null;
  const base = BigInt(hr[0]) << 32n;
  const a = arg as ArgIndex;
  const [lo, hi] = lr;
  const excluded = [...new Set(low.filter((t) => t.op === 'eq' && !t.holds).map((t) => t.datum))].filter((v) => v >= lo && v <= hi);
  if (lo === hi) return excluded.includes(lo) ? [] : [[{ arg: a, op: 'eq', value: base | BigInt(lo) }]];
  const conds: ArgCondition[] = [
    { arg: a, op: 'ge', value: base | BigInt(lo) },
    { arg: a, op: 'le', value: base | BigInt(hi) },
    ...excluded.map((v): ArgCondition => ({ arg: a, op: 'ne', value: base | BigInt(v) })),
  ];
  return [conds.filter((c) => !(c.op === 'ge' && c.value === 0n) && !(c.op === 'le' && c.value === (1n << 64n) - 1n))];
}

/**
 * The policy rules that decide as libseccomp's filter for `tree` does (`nr`: the number the filter sees, for a
 * comparison of a stale accumulator still holding it). Outcomes equal to `defaultCode` are left to the default.
 * Throws TreeNotExpressible when a way cannot be written as conditions, or needs more than MAX_TREE_RULES.
 */
export function treeRules(tree: SyscallTree, nr: number, defaultCode: number): TreeRuleOut[] {
  const out: TreeRuleOut[] = [];
  let paths;
  try {
    paths = treePaths(tree);
  } catch (err) {
    // The walk stops after a fixed amount of work: far more ways than MAX_TREE_RULES could ever hold.
    if (err instanceof TreeHang) throw new TreeNotExpressible('too many ways through the filter');
    throw err;
  }
  for (const path of paths) {
    if (path.outcome.code === defaultCode) continue;
    let feasible = true;
    const words = new Map<string, { arg: number; high: boolean; tests: WordTest[] }>();
    for (const t of path.tests) {
      if (t.arg < 0) {
        const w = (nr & t.mask) >>> 0;
        const holds = t.op === 'gt' ? w > t.datum : t.op === 'ge' ? w >= t.datum : w === t.datum;
        if (holds !== t.holds) feasible = false;
        continue;
      }
      const key = `${t.arg}:${t.high ? 1 : 0}`;
      let entry = words.get(key);
      if (entry === undefined) words.set(key, (entry = { arg: t.arg, high: t.high, tests: [] }));
      entry.tests.push(t);
    }
    if (!feasible) continue;
    let combos: ArgCondition[][] = [[]];
    const ordered = [...words.values()].sort((x, y) => x.arg - y.arg || (x.high ? 0 : 1) - (y.high ? 0 : 1));
    for (const w of ordered) {
      const other = words.get(`${w.arg}:${w.high ? 0 : 1}`);
      const whole = tree.wide ? wholeArgument(w.arg, w.high ? w.tests : other?.tests, w.high ? other?.tests : w.tests, w.high) : undefined;
      if (whole === null) continue; // written with its other half
      const alts = whole ?? wordAlternatives(w.arg, w.high, w.tests, tree.wide);
      const next: ArgCondition[][] = [];
      for (const c of combos) for (const alt of alts) next.push([...c, ...alt]);
      combos = next;
      if (combos.length + out.length > MAX_TREE_RULES) throw new TreeNotExpressible(`more than ${MAX_TREE_RULES} rules`);
    }
    for (const conditions of combos) out.push({ origin: path.outcome.origin, code: path.outcome.code, conditions });
  }
  return out;
}
