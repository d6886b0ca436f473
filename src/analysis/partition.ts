/**
 * Slices the leaves of a symbolic execution by ABI and syscall number: for each ABI, the syscall-number space is
 * cut into segments on which the same leaves apply, so that every number of a segment behaves alike.
 */
import { AUDIT_ARCH_I386, AUDIT_ARCH_X86_64, X32_SYSCALL_BIT, type ArchName } from '../syscalls/arch.js';
import { WORD_ARCH, WORD_NR, admits, solve, withAtom, type WordConstraint } from './constraints.js';
import { U32_MAX, complement, intersect, normalize, type Interval, type IntervalSet } from './intervals.js';
import type { Leaf } from './symbolic.js';

/** An ABI as the analysis reports it: the three x86 ABIs, or any other `arch` value. */
export type AbiName = ArchName | 'other';
export const ABI_NAMES: readonly AbiName[] = ['x86_64', 'x32', 'i386', 'other'];

/** The `nr` values an ABI's calls can carry. x32 calls are the x86_64-arch calls with the x32 bit set. */
export function nrDomain(abi: AbiName): IntervalSet {
  const native: IntervalSet = [[0, X32_SYSCALL_BIT - 1], [0x80000000, 0x80000000 + X32_SYSCALL_BIT - 1]];
  if (abi === 'x86_64') return native;
  if (abi === 'x32') return complement(native);
  return [[0, U32_MAX]];
}

const KNOWN_ARCHES: IntervalSet = normalize([[AUDIT_ARCH_X86_64, AUDIT_ARCH_X86_64], [AUDIT_ARCH_I386, AUDIT_ARCH_I386]]);

/** A run of syscall numbers on which the same leaves apply. */
export interface Segment {
  readonly abi: AbiName;
  /** The `arch` value used for this slice (for 'other', a representative of `archRange`). */
  readonly arch: number;
  /** For 'other': the arch values this slice stands for. */
  readonly archRange?: Interval;
  readonly lo: number;
  readonly hi: number;
  /**
   * Leaves that admit some (arch, nr) of the segment. When `uniform`, each of them admits every (arch, nr) of
   * the segment; otherwise masked tests on `nr` or `arch` still decide between them (and are part of their
   * conditions).
   */
  readonly leaves: readonly Leaf[];
  /** True when every leaf's `nr` and `arch` tests hold alike on the whole segment. */
  readonly uniform: boolean;
}

const MAX_SPLIT = 4096;

/** Lowest set bit of a mask, as a power of two (the granularity at which `nr & mask` can change). */
const granule = (mask: number): number => {
  const m = mask >>> 0;
  return m === 0 ? 2 ** 32 : (m & -m) >>> 0 || 2 ** 31;
};

/** Cuts `domain` into segments on which each leaf's `nr` constraint is uniform. */
function nrSegments(leaves: readonly Leaf[], domain: IntervalSet): { cuts: Interval[]; uniform: boolean } {
  const points = new Set<number>();
  let step = 2 ** 32;
  for (const leaf of leaves) {
    const c = leaf.words[WORD_NR] as WordConstraint;
    for (const [lo, hi] of c.range) {
      points.add(lo);
      if (hi < U32_MAX) points.add(hi + 1);
    }
    for (const atom of c.atoms) step = Math.min(step, granule(atom.mask));
  }
  for (const [lo, hi] of domain) {
    points.add(lo);
    if (hi < U32_MAX) points.add(hi + 1);
  }
  const sorted = [...points].sort((a, b) => a - b);
  const cuts: Interval[] = [];
  // Cut at the granularity of masked tests only when that stays small; otherwise the masks stay in conditions.
  let pieces = 0;
  if (step < 2 ** 32) {
    for (const [dlo, dhi] of domain) pieces += Math.floor(dhi / step) - Math.floor(dlo / step) + 1;
    if (pieces + sorted.length > MAX_SPLIT) step = 2 ** 32;
  }
  const uniform = step === 2 ** 32 ? !leaves.some((l) => (l.words[WORD_NR] as WordConstraint).atoms.length > 0) : true;
  for (const [dlo, dhi] of domain) {
    const inside = sorted.filter((p) => p > dlo && p <= dhi);
    let start = dlo;
    for (const p of [...inside, dhi + 1]) {
      const end = p - 1;
      if (step < 2 ** 32) {
        let s = start;
        while (s <= end) {
          const blockEnd = Math.min(end, (Math.floor(s / step) + 1) * step - 1);
          cuts.push([s, blockEnd]);
          s = blockEnd + 1;
        }
      } else {
        cuts.push([start, end]);
      }
      start = p;
    }
  }
  return { cuts, uniform };
}

/** The segments of one ABI slice, for a fixed `arch` value. */
function slice(leaves: readonly Leaf[], abi: AbiName, arch: number, domain: IntervalSet, archRange?: Interval): Segment[] {
  const range = archRange ?? [arch, arch];
  const relevant = leaves.filter((l) => solve(withAtom(l.words[WORD_ARCH] as WordConstraint, U32_MAX, [range])) !== 'none');
  const nr = nrSegments(relevant, domain);
  const uniform = nr.uniform && !(archRange && relevant.some((l) => (l.words[WORD_ARCH] as WordConstraint).atoms.length > 0));
  return nr.cuts.map(([lo, hi]) => ({
    abi, arch, lo, hi, uniform,
    leaves: uniform
      ? relevant.filter((l) => admits(l.words[WORD_NR] as WordConstraint, lo))
      : relevant.filter((l) => solve(withAtom(l.words[WORD_NR] as WordConstraint, U32_MAX, [[lo, hi]])) !== 'none'),
    ...(archRange && { archRange }),
  }));
}

/** Arch values other than the two x86 ones, cut where the leaves' `arch` tests change. */
function otherArchRanges(leaves: readonly Leaf[]): Interval[] {
  const points = new Set<number>([0]);
  for (const leaf of leaves) {
    const c = leaf.words[WORD_ARCH] as WordConstraint;
    for (const [lo, hi] of c.range) {
      points.add(lo);
      if (hi < U32_MAX) points.add(hi + 1);
    }
    // Masked tests on arch are rare: cut at the mask's lowest bit boundaries around the known values.
    for (const atom of c.atoms) for (const set of atom.set) points.add(set[0]);
  }
  for (const [lo, hi] of KNOWN_ARCHES) {
    points.add(lo);
    points.add(hi + 1);
  }
  const sorted = [...points].sort((a, b) => a - b);
  const ranges: Interval[] = [];
  sorted.forEach((p, i) => {
    const end = (sorted[i + 1] ?? 2 ** 32) - 1;
    for (const r of intersect([[p, end]], complement(KNOWN_ARCHES))) ranges.push(r);
  });
  return ranges;
}

/** The `arch` value carried by calls of an ABI (undefined for 'other'). */
export function archValueOf(abi: AbiName): number | undefined {
  if (abi === 'i386') return AUDIT_ARCH_I386;
  if (abi === 'x86_64' || abi === 'x32') return AUDIT_ARCH_X86_64;
  return undefined;
}

/** Which ABI a concrete (arch, nr) belongs to. */
export function abiOf(arch: number, nr: number): AbiName {
  if (arch >>> 0 === AUDIT_ARCH_I386) return 'i386';
  if (arch >>> 0 === AUDIT_ARCH_X86_64) return (nr & X32_SYSCALL_BIT) !== 0 ? 'x32' : 'x86_64';
  return 'other';
}

/** All segments of the requested ABIs. */
export function partition(leaves: readonly Leaf[], abis: readonly AbiName[] = ABI_NAMES): Segment[] {
  const out: Segment[] = [];
  for (const abi of abis) {
    const arch = archValueOf(abi);
    if (arch !== undefined) {
      out.push(...slice(leaves, abi, arch, nrDomain(abi)));
    } else {
      for (const range of otherArchRanges(leaves)) out.push(...slice(leaves, abi, range[0], nrDomain(abi), range));
    }
  }
  return out;
}
