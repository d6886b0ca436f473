/**
 * Constraints on the 32-bit words of `seccomp_data` a filter can load, and a solver for them.
 *
 * A word constraint is a conjunction: the word lies in an interval set, and for each mask `m` in `atoms`,
 * `word & m` lies in that atom's interval set. This is exactly what the comparisons of a classic-BPF
 * filter can express about a loaded word (JEQ/JGT/JGE give intervals, JSET and `AND k` give masks).
 */
import {
  FULL_SET, U32_MAX, complement, contains, intersect, isFull, meets, normalize, setsEqual, type IntervalSet,
} from './intervals.js';

/** `(word & mask) ∈ set`. */
export interface MaskAtom {
  readonly mask: number;
  readonly set: IntervalSet;
}

export interface WordConstraint {
  readonly range: IntervalSet;
  readonly atoms: readonly MaskAtom[];
}

export const ANY_WORD: WordConstraint = { range: FULL_SET, atoms: [] };

/** Index of a loadable 32-bit word: its byte offset divided by 4 (0 nr, 1 arch, 2-3 ip, 4+2i / 5+2i arg i). */
export type WordIndex = number;
export const WORD_COUNT = 16;
export const WORD_NR = 0;
export const WORD_ARCH = 1;

/**
 * Human name of a word: `nr`, `arch`, `ip.lo`, `arg2.hi`. The first word of a 64-bit field is its low half on a
 * little-endian ABI, its high half on a big-endian one.
 */
export function wordName(w: WordIndex, endian: 'little' | 'big' = 'little'): string {
  if (w === WORD_NR) return 'nr';
  if (w === WORD_ARCH) return 'arch';
  const first = w % 2 === 0;
  const half = first === (endian === 'little') ? 'lo' : 'hi';
  if (w === 2 || w === 3) return `ip.${half}`;
  return `arg${Math.floor((w - 4) / 2)}.${half}`;
}

export const argWords = (index: number): readonly [WordIndex, WordIndex] => [4 + 2 * index, 5 + 2 * index];

export const isUnconstrained = (c: WordConstraint): boolean => c.atoms.length === 0 && isFull(c.range);

/** Adds `(word & mask) ∈ set` to a constraint. */
export function withAtom(c: WordConstraint, mask: number, set: IntervalSet): WordConstraint {
  const m = mask >>> 0;
  if (m === U32_MAX) return { range: intersect(c.range, set), atoms: c.atoms };
  // word & 0 is 0: the atom is either always true or never.
  if (m === 0) return contains(set, 0) ? c : { range: [], atoms: c.atoms };
  const existing = c.atoms.find((a) => a.mask === m);
  if (existing) {
    const merged = intersect(existing.set, set);
    return { range: c.range, atoms: c.atoms.map((a) => (a === existing ? { mask: m, set: merged } : a)) };
  }
  if (isFull(set)) return c;
  return { range: c.range, atoms: [...c.atoms, { mask: m, set }] };
}

export function conjoin(a: WordConstraint, b: WordConstraint): WordConstraint {
  let out: WordConstraint = { range: intersect(a.range, b.range), atoms: a.atoms };
  for (const atom of b.atoms) out = withAtom(out, atom.mask, atom.set);
  return out;
}

export function admits(c: WordConstraint, v: number): boolean {
  if (!contains(c.range, v >>> 0)) return false;
  return c.atoms.every((a) => contains(a.set, (v & a.mask) >>> 0));
}

/** Outcome of a search: a value, none, or "gave up" (the search budget ran out). */
export type Solution = { readonly value: number } | 'none' | 'unknown';

const DEFAULT_BUDGET = 50_000;

/**
 * Finds a value satisfying `c` (the smallest one the search meets, usually the smallest overall), or proves
 * there is none. A depth-first search from the top bit down, pruning every prefix for which some part of the
 * constraint cannot be met whatever the remaining bits are.
 */
export function solve(c: WordConstraint, budget = DEFAULT_BUDGET): Solution {
  if (c.range.length === 0 || c.atoms.some((a) => a.set.length === 0)) return 'none';
  if (c.atoms.length === 0) return { value: (c.range[0] as readonly [number, number])[0] };
  let steps = 0;
  let gaveUp = false;
  const feasible = (prefix: number, bit: number): boolean => {
    // Bits below `bit` are still free.
    const low = 2 ** bit - 1;
    if (!meets(c.range, prefix, prefix + low)) return false;
    for (const a of c.atoms) {
      const known = (prefix & a.mask) >>> 0;
      const free = (a.mask & low) >>> 0;
      if (!meets(a.set, known, known + free)) return false;
    }
    return true;
  };
  // Subproblems that failed, keyed by what the remaining bits still have to satisfy: for the range and for each
  // atom, the part of its set inside the window the free bits can still reach, relative to the known part.
  // Prefixes that differ only in ways no test can tell apart then fail once instead of once per prefix (with
  // `w & 0x7fffffff != 0` beside a contradiction on the low bits, 2^26 prefixes become a few).
  const failed = new Set<string>();
  const windowKey = (set: IntervalSet, base: number, span: number): string => {
    const window = intersect(set, [[base, base + span]]);
    const whole = window.length === 1 && window[0]?.[0] === base && window[0]?.[1] === base + span;
    return whole ? '*' : window.map(([a, b]) => `${a - base}-${b - base}`).join(',');
  };
  const keyOf = (prefix: number, bit: number): string => {
    const low = 2 ** bit - 1;
    const atomKeys = c.atoms.map((a) => windowKey(a.set, (prefix & a.mask) >>> 0, (a.mask & low) >>> 0));
    return `${bit}|${windowKey(c.range, prefix, low)}|${atomKeys.join('|')}`;
  };
  const search = (prefix: number, bit: number): number | undefined => {
    if (++steps > budget) {
      gaveUp = true;
      return undefined;
    }
    if (!feasible(prefix, bit)) return undefined;
    if (bit === 0) return admits(c, prefix) ? prefix : undefined;
    const key = keyOf(prefix, bit);
    if (failed.has(key)) return undefined;
    const b = bit - 1;
    const zero = search(prefix, b);
    if (zero !== undefined || gaveUp) return zero;
    const one = search(prefix + 2 ** b, b);
    if (one === undefined && !gaveUp) failed.add(key);
    return one;
  };
  const found = search(0, 32);
  if (found !== undefined) return { value: found >>> 0 };
  return gaveUp ? 'unknown' : 'none';
}

/** Whether two constraints allow the same values (same range, same masked atoms in any order). */
export function constraintsEqual(a: WordConstraint, b: WordConstraint): boolean {
  if (!setsEqual(a.range, b.range) || a.atoms.length !== b.atoms.length) return false;
  return a.atoms.every((x) => b.atoms.some((y) => y.mask === x.mask && setsEqual(x.set, y.set)));
}

/** The set of `A` values for which a conditional jump with constant `k` is taken (`truth`) or not. */
export function jumpSet(cond: 'jeq' | 'jgt' | 'jge', k: number, truth: boolean): IntervalSet {
  const v = k >>> 0;
  let taken: IntervalSet;
  if (cond === 'jeq') taken = [[v, v]];
  else if (cond === 'jgt') taken = v === U32_MAX ? [] : [[v + 1, U32_MAX]];
  else taken = [[v, U32_MAX]];
  return truth ? taken : complement(taken);
}

/** The set of `A` values with `k OP A` true, for a constant on the left (X-register compares). */
export function reversedJumpSet(cond: 'jeq' | 'jgt' | 'jge', k: number, truth: boolean): IntervalSet {
  const v = k >>> 0;
  let taken: IntervalSet;
  if (cond === 'jeq') taken = [[v, v]];
  else if (cond === 'jgt') taken = v === 0 ? [] : [[0, v - 1]];
  else taken = [[0, v]];
  return truth ? taken : complement(taken);
}

export const NONZERO: IntervalSet = [[1, U32_MAX]];
export const ZERO: IntervalSet = [[0, 0]];

export { normalize };
