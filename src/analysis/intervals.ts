/**
 * Sets of unsigned integers as sorted, disjoint, non-adjacent closed intervals.
 * 32-bit words use `number`; 64-bit argument values (for display and merging) use `bigint`.
 */

/** A closed interval `[lo, hi]` of unsigned 32-bit values. */
export type Interval = readonly [number, number];
/** Sorted, disjoint, non-adjacent intervals. The empty array is the empty set. */
export type IntervalSet = readonly Interval[];

export const U32_MAX = 0xffffffff;
export const FULL_SET: IntervalSet = [[0, U32_MAX]];

/** Normalises any list of intervals (unsorted, overlapping) into an `IntervalSet`. */
export function normalize(intervals: readonly Interval[]): IntervalSet {
  const sorted = intervals.filter(([lo, hi]) => lo <= hi).slice().sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [lo, hi] of sorted) {
    const last = out[out.length - 1];
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}

export function intersect(a: IntervalSet, b: IntervalSet): IntervalSet {
  const out: Interval[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const [alo, ahi] = a[i] as Interval;
    const [blo, bhi] = b[j] as Interval;
    const lo = Math.max(alo, blo);
    const hi = Math.min(ahi, bhi);
    if (lo <= hi) out.push([lo, hi]);
    if (ahi < bhi) i++;
    else j++;
  }
  return out;
}

export function complement(a: IntervalSet): IntervalSet {
  const out: Interval[] = [];
  let next = 0;
  for (const [lo, hi] of a) {
    if (lo > next) out.push([next, lo - 1]);
    next = hi + 1;
  }
  if (next <= U32_MAX) out.push([next, U32_MAX]);
  return out;
}

export const union = (a: IntervalSet, b: IntervalSet): IntervalSet => normalize([...a, ...b]);

export function contains(a: IntervalSet, v: number): boolean {
  let lo = 0;
  let hi = a.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [l, h] = a[mid] as Interval;
    if (v < l) hi = mid - 1;
    else if (v > h) lo = mid + 1;
    else return true;
  }
  return false;
}

/** True when some value of `a` lies in `[lo, hi]`. */
export function meets(a: IntervalSet, lo: number, hi: number): boolean {
  for (const [l, h] of a) {
    if (l > hi) return false;
    if (h >= lo) return true;
  }
  return false;
}

export const isFull = (a: IntervalSet): boolean => a.length === 1 && a[0]?.[0] === 0 && a[0]?.[1] === U32_MAX;

export function size(a: IntervalSet): number {
  return a.reduce((n, [lo, hi]) => n + (hi - lo + 1), 0);
}

export const setsEqual = (a: IntervalSet, b: IntervalSet): boolean =>
  a.length === b.length && a.every(([lo, hi], i) => b[i]?.[0] === lo && b[i]?.[1] === hi);

/** A closed interval of unsigned 64-bit values. */
export type BigInterval = readonly [bigint, bigint];
export type BigIntervalSet = readonly BigInterval[];
export const U64_MAX = 0xffffffffffffffffn;

export function normalizeBig(intervals: readonly BigInterval[]): BigIntervalSet {
  const sorted = intervals.filter(([lo, hi]) => lo <= hi).slice().sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const out: [bigint, bigint][] = [];
  for (const [lo, hi] of sorted) {
    const last = out[out.length - 1];
    if (last && lo <= last[1] + 1n) last[1] = last[1] > hi ? last[1] : hi;
    else out.push([lo, hi]);
  }
  return out;
}

export function containsBig(a: BigIntervalSet, v: bigint): boolean {
  return a.some(([lo, hi]) => v >= lo && v <= hi);
}

/** Formats an unsigned value: decimal below 0x10000, hexadecimal above. */
export function formatValue(v: number | bigint): string {
  const b = BigInt(v);
  return b < 0x10000n ? b.toString(10) : `0x${b.toString(16)}`;
}

/** `{3..9, 11, 17..0xffffffff}`. */
export function formatSet(set: readonly (readonly [number | bigint, number | bigint])[]): string {
  const parts = set.map(([lo, hi]) => (lo === hi ? formatValue(lo) : `${formatValue(lo)}..${formatValue(hi)}`));
  return `{${parts.join(', ')}}`;
}
