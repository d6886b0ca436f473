/**
 * What is known about the accumulator on one edge of a flow graph: which word of `seccomp_data` it mirrors,
 * and the range (with a few excluded values) of every word tested so far. Facts come from the branches taken
 * (`jeq`, `jgt`, `jge`) and from constant loads; they decide later branches and make repeated loads redundant.
 */
import type { Instruction, JumpIf } from '../../bpf/instructions.js';

/** Key of the accumulator's own range when it mirrors no data word. */
const ANON = -1;
/** Cap on remembered "not equal to" values per word: enough for a chain of tests, bounded in cost. */
const MAX_EXCLUDED = 64;

export interface Range {
  readonly lo: number;
  readonly hi: number;
  /** Values inside [lo, hi] known not to occur. */
  readonly excl: readonly number[];
}

const FULL: Range = { lo: 0, hi: 0xffffffff, excl: [] };

export interface Facts {
  /** Offset of the data word the accumulator holds, or null. */
  readonly a: number | null;
  /** Ranges by data-word offset; ANON for the accumulator when it mirrors no word. */
  readonly ranges: ReadonlyMap<number, Range>;
}

export const TOP: Facts = { a: null, ranges: new Map() };

const keyOfA = (f: Facts): number => f.a ?? ANON;
export const rangeOfA = (f: Facts): Range => f.ranges.get(keyOfA(f)) ?? FULL;

function withARange(f: Facts, r: Range | undefined): Facts {
  const ranges = new Map(f.ranges);
  if (r === undefined) ranges.delete(keyOfA(f));
  else ranges.set(keyOfA(f), r);
  return { a: f.a, ranges };
}

/** The facts after a straight-line instruction. */
export function transfer(f: Facts, insn: Instruction): Facts {
  switch (insn.kind) {
    case 'ld_abs': {
      if (insn.size !== 4 || insn.offset < 0 || insn.offset >= 64 || insn.offset % 4 !== 0) return clearA(f);
      const ranges = new Map(f.ranges);
      ranges.delete(ANON);
      return { a: insn.offset, ranges };
    }
    case 'ld_imm':
      if (insn.dst === 'X') return f;
      return { a: null, ranges: new Map(f.ranges).set(ANON, { lo: insn.value, hi: insn.value, excl: [] }) };
    case 'ld_len':
      if (insn.dst === 'X') return f;
      return { a: null, ranges: new Map(f.ranges).set(ANON, { lo: 64, hi: 64, excl: [] }) };
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
  const ranges = new Map(f.ranges);
  ranges.delete(ANON);
  return { a: null, ranges };
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

function normalize(lo: number, hi: number, excl: readonly number[]): Range | undefined {
  const set = new Set(excl.filter((v) => v >= lo && v <= hi));
  while (lo <= hi && set.has(lo)) set.delete(lo++);
  while (hi >= lo && set.has(hi)) set.delete(hi--);
  if (lo > hi) return undefined;
  return { lo, hi, excl: [...set].slice(0, MAX_EXCLUDED) };
}

/** The facts on the taken (`outcome` true) or not-taken edge of a branch; `undefined` if that edge is infeasible. */
export function refine(f: Facts, j: JumpIf, outcome: boolean): Facts | undefined {
  if (j.src !== 'K' || j.cond === 'jset') return f;
  const r = rangeOfA(f);
  const k = j.value >>> 0;
  let next: Range | undefined;
  switch (j.cond) {
    case 'jeq':
      next = outcome ? normalize(Math.max(r.lo, k), Math.min(r.hi, k), r.excl) : normalize(r.lo, r.hi, [...r.excl, k]);
      break;
    case 'jgt':
      next = outcome ? (k === 0xffffffff ? undefined : normalize(Math.max(r.lo, k + 1), r.hi, r.excl))
        : normalize(r.lo, Math.min(r.hi, k), r.excl);
      break;
    case 'jge':
      next = outcome ? normalize(Math.max(r.lo, k), r.hi, r.excl)
        : (k === 0 ? undefined : normalize(r.lo, Math.min(r.hi, k - 1), r.excl));
      break;
  }
  return next === undefined ? undefined : withARange(f, next);
}

function joinRange(x: Range, y: Range): Range {
  if (x === y) return x;
  if (x.excl.length === 0 && y.excl.length === 0 && (x.hi + 1 < y.lo || y.hi + 1 < x.lo) === false) {
    return { lo: Math.min(x.lo, y.lo), hi: Math.max(x.hi, y.hi), excl: [] };
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
  const ranges = new Map<number, Range>();
  for (const [key, rx] of x.ranges) {
    if (key === ANON) continue;
    const ry = y.ranges.get(key);
    if (ry !== undefined) ranges.set(key, joinRange(rx, ry));
  }
  if (x.a === y.a) {
    if (x.a === null) {
      const rx = x.ranges.get(ANON);
      const ry = y.ranges.get(ANON);
      if (rx !== undefined && ry !== undefined) ranges.set(ANON, joinRange(rx, ry));
    }
    return { a: x.a, ranges };
  }
  const rx = rangeOfA(x);
  const ry = rangeOfA(y);
  const r = joinRange(rx, ry);
  if (r.lo !== 0 || r.hi !== 0xffffffff) ranges.set(ANON, r);
  return { a: null, ranges };
}
