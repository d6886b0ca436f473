/**
 * What is known about the accumulator on one edge of a flow graph: which word of `seccomp_data` it mirrors,
 * and the range (with a few excluded values) of every word tested so far. Facts come from the branches taken
 * (`jeq`, `jgt`, `jge`) and from constant loads; they decide later branches and make repeated loads redundant.
 */
import type { Instruction, JumpIf } from '../../bpf/instructions.js';

/** Slots of `Facts.ranges`: one per 32-bit word of `seccomp_data` (offset / 4), then the accumulator's own. */
const WORDS = 16;
/** Slot of the accumulator's own range when it mirrors no data word. */
const ANON = WORDS;
/** Cap on remembered "not equal to" values per word: enough for a chain of tests, bounded in cost. */
const MAX_EXCLUDED = 64;

export interface Range {
  readonly lo: number;
  readonly hi: number;
  /** Values inside [lo, hi] known not to occur. */
  readonly excl: readonly number[];
}

const NO_VALUES: readonly number[] = Object.freeze([]);
const FULL: Range = { lo: 0, hi: 0xffffffff, excl: NO_VALUES };

type Ranges = readonly (Range | undefined)[];

export interface Facts {
  /** Offset of the data word the accumulator holds, or null. */
  readonly a: number | null;
  /**
   * Ranges by slot (a data word's offset / 4, or ANON for the accumulator when it mirrors no word). A fixed
   * array rather than a map: facts are copied on every edge, and copying 17 slots is the cheap part of a compile.
   */
  readonly ranges: Ranges;
}

// Not frozen: every edge's facts start as a copy of these, and V8 copies a frozen array some thirty times slower.
const NO_RANGES: Ranges = new Array<Range | undefined>(WORDS + 1).fill(undefined);
export const TOP: Facts = { a: null, ranges: NO_RANGES };

const slotOfA = (f: Facts): number => (f.a === null ? ANON : f.a >> 2);
export const rangeOfA = (f: Facts): Range => f.ranges[slotOfA(f)] ?? FULL;

function withRange(ranges: Ranges, slot: number, r: Range | undefined): Ranges {
  if (ranges[slot] === r) return ranges;
  const copy = ranges.slice();
  copy[slot] = r;
  return copy;
}

/** The facts after a straight-line instruction. */
export function transfer(f: Facts, insn: Instruction): Facts {
  switch (insn.kind) {
    case 'ld_abs':
      if (insn.size !== 4 || insn.offset < 0 || insn.offset >= 64 || insn.offset % 4 !== 0) return clearA(f);
      return { a: insn.offset, ranges: withRange(f.ranges, ANON, undefined) };
    case 'ld_imm':
      if (insn.dst === 'X') return f;
      return { a: null, ranges: withRange(f.ranges, ANON, { lo: insn.value, hi: insn.value, excl: NO_VALUES }) };
    case 'ld_len':
      if (insn.dst === 'X') return f;
      return { a: null, ranges: withRange(f.ranges, ANON, { lo: 64, hi: 64, excl: NO_VALUES }) };
    case 'ld_mem':
      return insn.dst === 'X' ? f : clearA(f);
    case 'alu':
    case 'neg':
    case 'txa':
    case 'ld_ind':
      return clearA(f);
    default:
      return f;
  }
}

function clearA(f: Facts): Facts {
  return { a: null, ranges: withRange(f.ranges, ANON, undefined) };
}

/** True when the instruction would leave the accumulator exactly as the facts say it already is. */
export function isRedundantLoad(f: Facts, insn: Instruction): boolean {
  if (insn.kind === 'ld_abs') return insn.size === 4 && f.a === insn.offset;
  if (insn.kind === 'ld_imm' && insn.dst === 'A') {
    const r = rangeOfA(f);
    return r.lo === insn.value && r.hi === insn.value;
  }
  return false;
}

/** The outcome of a branch under the facts, when they decide it. */
export function decide(f: Facts, j: JumpIf): boolean | undefined {
  if (j.src !== 'K') return undefined;
  const r = rangeOfA(f);
  const k = j.value >>> 0;
  switch (j.cond) {
    case 'jeq':
      if (r.lo === k && r.hi === k) return true;
      if (k < r.lo || k > r.hi || r.excl.includes(k)) return false;
      return undefined;
    case 'jgt':
      if (r.lo > k) return true;
      if (r.hi <= k) return false;
      return undefined;
    case 'jge':
      if (r.lo >= k) return true;
      if (r.hi < k) return false;
      return undefined;
    case 'jset':
      if (k === 0) return false;
      if (r.lo === r.hi) return (r.lo & k) !== 0;
      // Every value below the lowest set bit of k has none of k's bits.
      if (r.hi < ((k & -k) >>> 0)) return false;
      return undefined;
  }
}

/**
 * The range [lo, hi] less `excl`, in normal form: the excluded values distinct, strictly between `lo` and `hi`
 * (an excluded bound moves inward) and at most MAX_EXCLUDED of them, the first ones kept. Every range the
 * facts hold is normal (`joinRange` keeps the form too), which `refine` relies on to skip this in common cases.
 */
function normalize(lo: number, hi: number, excl: readonly number[]): Range | undefined {
  if (lo > hi) return undefined;
  if (excl.length === 0) return { lo, hi, excl: NO_VALUES };
  const kept: number[] = [];
  for (const v of excl) if (v >= lo && v <= hi && !kept.includes(v)) kept.push(v);
  while (lo <= hi && kept.includes(lo)) lo++;
  while (hi >= lo && kept.includes(hi)) hi--;
  if (lo > hi) return undefined;
  const inside = kept.filter((v) => v >= lo && v <= hi);
  return { lo, hi, excl: inside.length > MAX_EXCLUDED ? inside.slice(0, MAX_EXCLUDED) : inside };
}

/** What `refineRange` returns when the edge teaches nothing: the facts stay as they are. */
export const KEEP: unique symbol = Symbol('keep');

/** The facts on the taken (`outcome` true) or not-taken edge of a branch; `undefined` if that edge is infeasible. */
export function refine(f: Facts, j: JumpIf, outcome: boolean): Facts | undefined {
  const r = refineRange(f, j, outcome);
  return r === undefined ? undefined : r === KEEP ? f : withARange(f, r);
}

/**
 * The accumulator's range on one edge of a branch, without building the facts (an edge into a return needs
 * none): KEEP when the facts hold unchanged, `undefined` when the edge is infeasible.
 */
export function refineRange(f: Facts, j: JumpIf, outcome: boolean): Range | typeof KEEP | undefined {
  if (j.src !== 'K' || j.cond === 'jset') return KEEP;
  const r = rangeOfA(f);
  const k = j.value >>> 0;
  switch (j.cond) {
    case 'jeq':
      if (outcome) {
        // Every range is normal (see `normalize`), so this is what normalizing [k, k] would give.
        return k < r.lo || k > r.hi || r.excl.includes(k) ? undefined : { lo: k, hi: k, excl: NO_VALUES };
      }
      // Nothing learnt when k is outside the range or already excluded.
      if (k < r.lo || k > r.hi || r.excl.includes(k)) return KEEP;
      if (k !== r.lo && k !== r.hi) return { lo: r.lo, hi: r.hi, excl: r.excl.length < MAX_EXCLUDED ? [...r.excl, k] : r.excl };
      return normalize(r.lo, r.hi, [...r.excl, k]);
    // A bound the test does not move leaves the (normal) range as it is.
    case 'jgt':
      if (outcome) {
        if (k === 0xffffffff) return undefined;
        return k + 1 <= r.lo ? KEEP : normalize(k + 1, r.hi, r.excl);
      }
      return k >= r.hi ? KEEP : normalize(r.lo, k, r.excl);
    case 'jge':
      if (outcome) return k <= r.lo ? KEEP : normalize(k, r.hi, r.excl);
      if (k === 0) return undefined;
      return k - 1 >= r.hi ? KEEP : normalize(r.lo, k - 1, r.excl);
  }
}

/** The facts with the accumulator's range replaced. */
export function withARange(f: Facts, r: Range): Facts {
  return { a: f.a, ranges: withRange(f.ranges, slotOfA(f), r) };
}

function joinRange(x: Range, y: Range): Range {
  if (x === y) return x;
  if (x.excl.length === 0 && y.excl.length === 0 && (x.hi + 1 < y.lo || y.hi + 1 < x.lo) === false) {
    return { lo: Math.min(x.lo, y.lo), hi: Math.max(x.hi, y.hi), excl: NO_VALUES };
  }
  const lo = Math.min(x.lo, y.lo);
  const hi = Math.max(x.hi, y.hi);
  // A value stays excluded only if neither side can hold it.
  const outside = (r: Range, v: number) => v < r.lo || v > r.hi || r.excl.includes(v);
  const excl = [...new Set([...x.excl, ...y.excl])].filter((v) => outside(x, v) && outside(y, v));
  for (const v of [x.hi + 1, y.hi + 1, x.lo - 1, y.lo - 1]) {
    if (excl.length < MAX_EXCLUDED && v > lo && v < hi && outside(x, v) && outside(y, v) && !excl.includes(v)) excl.push(v);
  }
  return { lo, hi, excl: excl.slice(0, MAX_EXCLUDED) };
}

/** What holds on both of two edges entering the same node. */
export function join(x: Facts | undefined, y: Facts): Facts {
  if (x === undefined || x === y) return y;
  const ranges = new Array<Range | undefined>(WORDS + 1).fill(undefined);
  for (let slot = 0; slot < WORDS; slot++) {
    const rx = x.ranges[slot];
    const ry = y.ranges[slot];
    if (rx !== undefined && ry !== undefined) ranges[slot] = joinRange(rx, ry);
  }
  if (x.a === y.a) {
    if (x.a === null) {
      const rx = x.ranges[ANON];
      const ry = y.ranges[ANON];
      if (rx !== undefined && ry !== undefined) ranges[ANON] = joinRange(rx, ry);
    }
    return { a: x.a, ranges };
  }
  const r = joinRange(rangeOfA(x), rangeOfA(y));
  if (r.lo !== 0 || r.hi !== 0xffffffff) ranges[ANON] = r;
  return { a: null, ranges };
}

/** Whether every value in `x` is in `y`. */
function within(x: Range, y: Range): boolean {
  if (x.lo < y.lo || x.hi > y.hi) return false;
  for (const v of y.excl) if (v >= x.lo && v <= x.hi && !x.excl.includes(v)) return false;
  return true;
}

/** Whether every state the facts `x` allow is one `y` allows too (`x` at least as precise as `y`). */
export function implies(x: Facts, y: Facts): boolean {
  if (y.a !== null && x.a !== y.a) return false;
  for (let slot = 0; slot < WORDS; slot++) {
    const ry = y.ranges[slot];
    if (ry === undefined) continue;
    const rx = x.ranges[slot];
    if (rx === undefined || !within(rx, ry)) return false;
  }
  const ay = y.a === null ? y.ranges[ANON] : undefined;
  return ay === undefined || within(rangeOfA(x), ay);
}
