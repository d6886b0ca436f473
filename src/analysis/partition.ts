/**
 * Slices the leaves of a symbolic execution by ABI and syscall number: for each ABI, the syscall-number space is
 * cut into segments on which the same leaves apply, so that every number of a segment behaves alike.
 */
import { analyzeFlow, endianOfAuditArch } from '../bpf/flow.js';
import type { Program } from '../bpf/instructions.js';
import {
  AUDIT_ARCH_I386, AUDIT_ARCH_LE, AUDIT_ARCH_X86_64, LINUX_ARCHES, LINUX_ARCH_NAMES, X32_SYSCALL_BIT, archesOfAuditArch,
  isLinuxArchName, type Endian, type LinuxArchName,
} from '../syscalls/arch.js';
import { WORD_ARCH, WORD_NR, admits, solve, withAtom, type WordConstraint } from './constraints.js';
import { U32_MAX, complement, intersect, normalize, type Interval, type IntervalSet } from './intervals.js';
import type { Leaf } from './symbolic.js';

/** An ABI as the analysis reports it: any ABI the tables know, or `other` (every arch value of no listed ABI). */
export type AbiName = LinuxArchName | 'other';
/** The x86 ABIs and `other`: what an analysis covers when a filter checks no other ABI's arch value. */
export const ABI_NAMES: readonly AbiName[] = ['x86_64', 'x32', 'i386', 'other'];

/** Reads an ABI name as users write it (`arm64`, `SCMP_ARCH_S390X`, `other`); throws an Error otherwise. */
export function parseAbiName(text: string): AbiName {
  if (text.trim().toLowerCase() === 'other') return 'other';
  for (const arch of LINUX_ARCH_NAMES) {
    if (LINUX_ARCHES[arch].aliases.some((a) => a.toLowerCase() === text.trim().toLowerCase())) return arch;
  }
  throw new Error(`unknown ABI ${JSON.stringify(text)} (${LINUX_ARCH_NAMES.join(', ')}, a Go/Debian name such as arm64, SCMP_ARCH_*, or other)`);
}

/**
 * The ABIs an analysis of these programs covers by default: every ABI whose arch value some program compares
 * `arch` with (the three x86 ABIs when one of theirs is compared, or when none of any known ABI is), then
 * `other`, in the order the programs check them. A filter for arm64 is analysed as aarch64, arm and other arch
 * values.
 */
export function abisOf(...programs: readonly Program[]): AbiName[] {
  const checked = new Set<LinuxArchName>(); // in the order the programs check them
  for (const program of programs) {
    const facts = analyzeFlow(program);
    program.forEach((insn, i) => {
      if (insn.kind === 'jmp' && insn.src === 'K' && facts[i]?.reachable && facts[i]?.a === 'arch') {
        for (const abi of archesOfAuditArch(insn.value)) checked.add(abi);
      }
    });
  }
  const x86 = checked.size === 0 || ['x86_64', 'x32', 'i386'].some((a) => checked.has(a as LinuxArchName));
  return [
    ...(x86 ? ['x86_64', 'x32', 'i386'] as const : []),
    ...[...checked].filter((a) => a !== 'x86_64' && a !== 'x32' && a !== 'i386'),
    'other',
  ];
}

/** The byte order of `seccomp_data` for calls carrying this arch value (`__AUDIT_ARCH_LE`). */
export const endianOfArch = (arch: number): Endian => endianOfAuditArch(arch);

/** The word indices of an argument's (or, for -1, the instruction pointer's) low and high halves. */
export function halfWords(arg: number, endian: Endian): { readonly lo: number; readonly hi: number } {
  const first = 2 + 2 * (arg + 1);
  return endian === 'little' ? { lo: first, hi: first + 1 } : { lo: first + 1, hi: first };
}

/** The `nr` values an ABI's calls can carry. x32 calls are the x86_64-arch calls with the x32 bit set. */
export function nrDomain(abi: AbiName): IntervalSet {
  const native: IntervalSet = [[0, X32_SYSCALL_BIT - 1], [0x80000000, 0x80000000 + X32_SYSCALL_BIT - 1]];
  if (abi === 'x86_64') return native;
  if (abi === 'x32') return complement(native);
  return [[0, U32_MAX]];
}

/** The arch values of the listed ABIs: `other` stands for every value but these. */
function listedArches(abis: readonly AbiName[]): IntervalSet {
  return normalize(abis.filter(isLinuxArchName).map((a): Interval => [LINUX_ARCHES[a].auditArch, LINUX_ARCHES[a].auditArch]));
}

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

/**
 * Arch values of no listed ABI, cut where the leaves' `arch` tests change and where `__AUDIT_ARCH_LE` does, so
 * that every range has one byte order.
 */
function otherArchRanges(leaves: readonly Leaf[], known: IntervalSet): Interval[] {
  const points = new Set<number>([0, AUDIT_ARCH_LE, 0x80000000, 0x80000000 + AUDIT_ARCH_LE]);
  for (const leaf of leaves) {
    const c = leaf.words[WORD_ARCH] as WordConstraint;
    for (const [lo, hi] of c.range) {
      points.add(lo);
      if (hi < U32_MAX) points.add(hi + 1);
    }
    // Masked tests on arch are rare: cut at the mask's lowest bit boundaries around the known values.
    for (const atom of c.atoms) for (const set of atom.set) points.add(set[0]);
  }
  for (const [lo, hi] of known) {
    points.add(lo);
    if (hi < U32_MAX) points.add(hi + 1);
  }
  const sorted = [...points].sort((a, b) => a - b);
  const ranges: Interval[] = [];
  sorted.forEach((p, i) => {
    const end = (sorted[i + 1] ?? 2 ** 32) - 1;
    for (const r of intersect([[p, end]], complement(known))) ranges.push(r);
  });
  return ranges;
}

/** The `arch` value carried by calls of an ABI (undefined for 'other'). */
export function archValueOf(abi: AbiName): number | undefined {
  return abi === 'other' ? undefined : LINUX_ARCHES[abi].auditArch;
}

/**
 * Which ABI a concrete (arch, nr) belongs to; with `abis`, an ABI not listed there counts as `other` (as in an
 * analysis covering only those).
 */
export function abiOf(arch: number, nr: number, abis?: readonly AbiName[]): AbiName {
  let abi: AbiName;
  if (arch >>> 0 === AUDIT_ARCH_I386) abi = 'i386';
  else if (arch >>> 0 === AUDIT_ARCH_X86_64) abi = (nr & X32_SYSCALL_BIT) !== 0 ? 'x32' : 'x86_64';
  else abi = archesOfAuditArch(arch)[0] ?? 'other';
  if (abis === undefined || abis.includes(abi)) return abi;
  // x86_64 and x32 share an arch value: it is `other` only when neither is listed.
  const shared = abi === 'x32' || abi === 'x86_64';
  return shared && (abis.includes('x86_64') || abis.includes('x32')) ? abi : 'other';
}

/** All segments of the requested ABIs. */
export function partition(leaves: readonly Leaf[], abis: readonly AbiName[] = ABI_NAMES): Segment[] {
  const out: Segment[] = [];
  const known = listedArches(abis);
  for (const abi of abis) {
    const arch = archValueOf(abi);
    if (arch !== undefined) {
      out.push(...slice(leaves, abi, arch, nrDomain(abi)));
    } else {
      for (const range of otherArchRanges(leaves, known)) out.push(...slice(leaves, abi, range[0], nrDomain(abi), range));
    }
  }
  return out;
}
