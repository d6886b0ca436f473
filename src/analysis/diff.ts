/**
 * Semantic diff of two filters: every class of inputs on which they return different values, each with a
 * concrete witness input. Built on the product of the two programs' symbolic path sets: two filters are reported
 * equivalent only when every pair of paths that can meet returns the same value.
 */
import { isUnfiltered, unfilteredNote, UNFILTERED_X86_64_SYSCALLS } from '../syscalls/unfiltered.js';
import type { Program } from '../bpf/instructions.js';
import { prepareFilter } from '../emulator/executor.js';
import { syscallTable } from '../syscalls/resolve.js';
import { LINUX_ARCH_NAMES } from '../syscalls/arch.js';
import { boundaryValues, biasedWord, programConstants, seededRandom } from './constants.js';
import {
  WORD_ARCH, WORD_COUNT, WORD_NR, conjoin, solve, withAtom, type WordConstraint,
} from './constraints.js';
import { conjunctionHolds, conjunctionText, termsOf, type Conjunction, type DataWords, type NamedSyscall } from './explain.js';
import { U32_MAX, formatSet, normalize, type Interval, type IntervalSet } from './intervals.js';
import { ABI_NAMES, abiOf, abisOf, endianOfArch, halfWords, partition, type AbiName, type Segment } from './partition.js';
import { Budget } from './budget.js';
import { listCases, symbolicExecute, type Leaf, type SymbolicOptions } from './symbolic.js';
import { actionText } from './verdict-text.js';

/** A concrete input on which two filters disagree. */
export interface Witness {
  readonly abi: AbiName;
  /** `seccomp_data.arch`. */
  readonly arch: number;
  /** `seccomp_data.nr`. */
  readonly nr: number;
  readonly args: readonly bigint[];
  readonly instructionPointer: bigint;
  /** The same input as the 16 words a filter loads. */
  readonly words: Uint32Array;
}

/** One class of inputs on which the filters disagree. */
export interface Difference {
  readonly abi: AbiName;
  /** Named syscalls in the class. */
  readonly syscalls: readonly NamedSyscall[];
  /** Syscall numbers in the class (named ones included), as ranges. */
  readonly numbers: readonly Interval[];
  /** For 'other': the arch values of the class (it holds for every pair of these arch values and numbers). */
  readonly archValues?: readonly Interval[];
  /** The condition on arguments / instruction pointer (empty: every call of these numbers). */
  readonly when: Conjunction;
  /** Raw verdicts of the two filters on this class (undefined where a filter's verdict is not exact). */
  readonly verdictA: number;
  readonly verdictB: number;
  readonly actionA: string;
  readonly actionB: string;
  readonly witness: Witness;
  /** False when the class was found by sampling rather than derived. */
  readonly exact: boolean;
}

/** Every class of inputs on which two filters differ, and whether the comparison was exhaustive. */
export interface DiffResult {
  /** True only when the filters were shown to agree on every input. */
  readonly equivalent: boolean;
  /** True when the comparison was exhaustive (no sampling). */
  readonly exhaustive: boolean;
  readonly differences: readonly Difference[];
  /** Why the comparison is not exhaustive. */
  readonly reasons: readonly string[];
}

/** Which ABIs `diffPrograms` compares, how much it samples, and its limits. */
export interface DiffOptions extends SymbolicOptions {
  /**
   * ABIs to compare (default: the ABIs whose arch value either filter checks, the three x86 ones when one of
   * theirs is checked or none is, and other arch values).
   */
  readonly abis?: readonly AbiName[];
  /** Samples per segment where a filter is not summarised exactly (default 256). */
  readonly samples?: number;
  /**
   * Pairs of cases in one syscall slice above which B's cases are listed under each case of A rather than every
   * pair tried (default 4 000 000; both ways give the same result).
   */
  readonly pairLimit?: number;
}

function wordsToWitness(abi: AbiName, words: Uint32Array): Witness {
  // 64-bit fields read in the byte order of the witness's arch value: on s390x word 4 is args[0]'s high half.
  const endian = endianOfArch(words[WORD_ARCH] as number);
  const u64 = (arg: number) => {
    const { lo, hi } = halfWords(arg, endian);
    return (BigInt(words[hi] as number) << 32n) | BigInt(words[lo] as number);
  };
  return {
    abi, arch: words[WORD_ARCH] as number, nr: words[WORD_NR] as number,
    args: Array.from({ length: 6 }, (_, i) => u64(i)), instructionPointer: u64(-1), words,
  };
}

/** A concrete input satisfying every word constraint, or 'none' / 'unknown'. */
function witnessWords(words: readonly WordConstraint[]): Uint32Array | 'none' | 'unknown' {
  const out = new Uint32Array(WORD_COUNT);
  for (let w = 0; w < WORD_COUNT; w++) {
    const s = solve(words[w] as WordConstraint);
    if (s === 'none' || s === 'unknown') return s;
    out[w] = s.value;
  }
  return out;
}

/** The words constraint shared by two leaves inside one segment. */
function meet(x: Leaf, y: Leaf, seg: Segment): WordConstraint[] {
  const words = x.words.map((c, i) => conjoin(c, y.words[i] as WordConstraint));
  words[WORD_NR] = withAtom(words[WORD_NR] as WordConstraint, 0xffffffff, [[seg.lo, seg.hi]]);
  const archRange: Interval = seg.archRange ?? [seg.arch, seg.arch];
  words[WORD_ARCH] = withAtom(words[WORD_ARCH] as WordConstraint, 0xffffffff, [archRange]);
  return words;
}

/** True when some word's ranges, or its tests of the same mask, do not meet: then no input takes both leaves. */
function disjoint(x: Leaf, y: Leaf): boolean {
  for (let w = 0; w < WORD_COUNT; w++) {
    const a = x.words[w] as WordConstraint;
    const b = y.words[w] as WordConstraint;
    // Tests of the same bits that exclude each other (JSET of one bit set on one side, clear on the other).
    for (const atom of a.atoms) {
      const other = b.atoms.find((o) => o.mask === atom.mask);
      if (other && !setsMeet(atom.set, other.set)) return true;
    }
    if (a.range.length === 1 && b.range.length === 1 && a.range[0]?.[0] === 0 && a.range[0]?.[1] === U32_MAX) continue;
    if (!setsMeet(a.range, b.range)) return true;
  }
  return false;
}

/** True when two interval sets share a value. */
function setsMeet(a: IntervalSet, b: IntervalSet): boolean {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const [alo, ahi] = a[i] as Interval;
    const [blo, bhi] = b[j] as Interval;
    if (alo <= bhi && blo <= ahi) return true;
    if (ahi < bhi) i++;
    else j++;
  }
  return false;
}

/** Compares two filters. Throws `AnalysisError` when either is not a valid filter. */
export function diffPrograms(a: Program, b: Program, options: DiffOptions = {}): DiffResult {
  const budget = options.budget ?? new Budget(options);
  const sa = symbolicExecute(a, { ...options, budget });
  const sb = symbolicExecute(b, { ...options, budget });
  let compared = 0;
  const fromA = new Set<Leaf>(sa.leaves);
  const segments = partition([...sa.leaves, ...sb.leaves], options.abis ?? abisOf(a, b));
  const reasons = new Set<string>([...sa.reasons, ...sb.reasons]);
  const found: Difference[] = [];
  let exhaustive = sa.exact && sb.exact;
  let sampleSeed = 1;
  for (const seg of segments) {
    const la = seg.leaves.filter((l) => fromA.has(l));
    const lb = seg.leaves.filter((l) => !fromA.has(l));
    const segmentExact = !sa.truncated && !sb.truncated && la.every((l) => l.exact && l.verdict !== undefined)
      && lb.every((l) => l.exact && l.verdict !== undefined);
    if (!segmentExact) {
      exhaustive = false;
      const d = sampleDifference(a, b, seg, options.samples ?? 256, sampleSeed++);
      if (d) found.push(d);
      continue;
    }
    // Many cases on both sides (a filter with exponentially many conjunctions): rather than every pair, list
    // B's cases under each case of A, so only the pairs that some input takes are looked at.
    if (sb.diagram && la.length * lb.length > (options.pairLimit ?? 4_000_000)) {
      for (const x of la) {
        const within = meet(x, x, seg);
        const under = listCases(sb.diagram, options.maxPaths ?? 20_000, budget, within);
        if (under.truncated || !under.exact) {
          exhaustive = false;
          for (const r of under.reasons) reasons.add(r);
        }
        for (const y of under.leaves) {
          if (y.verdict === undefined || y.verdict === x.verdict) continue;
          const w = witnessWords(y.words);
          if (w === 'none') continue;
          if (w === 'unknown' || !y.exact) {
            exhaustive = false;
            reasons.add('a constraint was too complex to decide exactly');
            continue;
          }
          found.push(difference(seg, y.words, x.verdict as number, y.verdict, wordsToWitness(seg.abi, w), true));
        }
      }
      continue;
    }
    for (const x of la) {
      for (const y of lb) {
        budget.tick('summary', compared++);
        if (x.verdict === y.verdict || disjoint(x, y)) continue;
        const words = meet(x, y, seg);
        const w = witnessWords(words);
        if (w === 'none') continue;
        if (w === 'unknown') {
          exhaustive = false;
          reasons.add('a constraint was too complex to decide exactly');
          continue;
        }
        found.push(difference(seg, words, x.verdict as number, y.verdict as number, wordsToWitness(seg.abi, w), true));
      }
    }
  }
  const differences = mergeDifferences(found);
  return {
    equivalent: differences.length === 0 && exhaustive,
    exhaustive,
    differences,
    reasons: exhaustive ? [] : [...reasons],
  };
}

/**
 * True when an input lies in a class of differences: its ABI, arch value (for 'other'), syscall number and, for
 * exact classes, its condition. For a class found by sampling only the witness is known to differ.
 */
export function inDifference(d: Difference, words: DataWords): boolean {
  const arch = (words[WORD_ARCH] ?? 0) >>> 0;
  const nr = (words[WORD_NR] ?? 0) >>> 0;
  const within = (set: readonly Interval[], v: number) => set.some(([lo, hi]) => v >= lo && v <= hi);
  const abi = d.abi === 'other' ? 'other' : abiOf(arch, nr);
  return abi === d.abi && within(d.numbers, nr) && (d.archValues === undefined || within(d.archValues, arch))
    && conjunctionHolds(d.when, words);
}

function difference(seg: Segment, words: readonly WordConstraint[], va: number, vb: number, witness: Witness, exact: boolean): Difference {
  return {
    abi: seg.abi, syscalls: [], numbers: [[seg.lo, seg.hi]], ...(seg.archRange && { archValues: [seg.archRange] }),
    when: exact ? termsOf(words, !seg.uniform, endianOfArch(seg.arch)) : [],
    verdictA: va, verdictB: vb, actionA: actionText(va), actionB: actionText(vb), witness, exact,
  };
}

/** Looks for a disagreement by running both filters on inputs of one segment. */
function sampleDifference(a: Program, b: Program, seg: Segment, samples: number, seed: number): Difference | undefined {
  const fa = prepareFilter(a);
  const fb = prepareFilter(b);
  const boundaries = boundaryValues([...programConstants(a), ...programConstants(b)]);
  const random = seededRandom(seed);
  const words = new Uint32Array(WORD_COUNT);
  for (let i = 0; i < samples; i++) {
    words[WORD_ARCH] = seg.archRange ? seg.archRange[0] + Math.floor(random() * (seg.archRange[1] - seg.archRange[0] + 1)) : seg.arch;
    words[WORD_NR] = i === 0 ? seg.lo : (seg.lo + Math.floor(random() * (seg.hi - seg.lo + 1))) >>> 0;
    for (let w = 2; w < WORD_COUNT; w++) words[w] = biasedWord(random, boundaries);
    const ra = fa.runWords(words) >>> 0;
    const rb = fb.runWords(words) >>> 0;
    if (ra !== rb) {
      return difference(seg, [], ra, rb, wordsToWitness(seg.abi, words.slice()), false);
    }
  }
  return undefined;
}

/**
 * Joins classes of the same ABI, verdict pair and condition, and names their syscalls. For foreign arch values,
 * first the numbers of each arch range, then the arch ranges whose numbers coincide: a class then holds for
 * exactly `archValues × numbers`.
 */
function mergeDifferences(list: readonly Difference[]): Difference[] {
  const byRange = new Map<string, { first: Difference; numbers: Interval[] }>();
  for (const d of list) {
    const key = `${d.abi}|${d.verdictA}|${d.verdictB}|${d.exact}|${conjunctionText(d.when, false)}|${d.archValues?.[0]?.[0] ?? ''}`;
    const g = byRange.get(key);
    if (g) g.numbers.push(...d.numbers);
    else byRange.set(key, { first: d, numbers: [...d.numbers] });
  }
  const groups = new Map<string, { first: Difference; numbers: IntervalSet; archValues: Interval[] }>();
  for (const { first, numbers } of byRange.values()) {
    const merged = normalize(numbers);
    const key = `${first.abi}|${first.verdictA}|${first.verdictB}|${first.exact}|${conjunctionText(first.when, false)}|${merged.map(([a, b]) => `${a}-${b}`).join(',')}`;
    const g = groups.get(key);
    if (g) g.archValues.push(...(first.archValues ?? []));
    else groups.set(key, { first, numbers: merged, archValues: [...(first.archValues ?? [])] });
  }
  const out: Difference[] = [];
  for (const { first, numbers, archValues } of groups.values()) {
    const syscalls = first.abi === 'other' ? [] : syscallTable(first.abi)
      .filter((e) => numbers.some(([lo, hi]) => e.nr >= lo && e.nr <= hi)).map((e) => ({ name: e.name, nr: e.nr as number }));
    out.push({ ...first, numbers, syscalls, ...(first.abi === 'other' && { archValues: normalize(archValues) }) });
  }
  return out.sort((x, y) => abiRank(x.abi) - abiRank(y.abi) || (x.numbers[0]?.[0] ?? 0) - (y.numbers[0]?.[0] ?? 0)
    || (x.archValues?.[0]?.[0] ?? 0) - (y.archValues?.[0]?.[0] ?? 0));
}

/** x86_64, x32, i386 first (as they always were listed), then the other ABIs in table order, then `other`. */
function abiRank(abi: AbiName): number {
  const x86 = ABI_NAMES.indexOf(abi);
  if (abi === 'other') return 1000;
  return x86 >= 0 ? x86 : 3 + LINUX_ARCH_NAMES.indexOf(abi);
}

const hex = (v: number | bigint): string => (BigInt(v) < 10n ? String(v) : `0x${BigInt(v).toString(16)}`);

/** A witness as text: `x86_64 nr=41 args=[0x10, 0, 0, 0, 0, 0] ip=0`. */
export function witnessText(w: Witness): string {
  const arch = w.abi === 'other' ? `arch=${hex(w.arch)} ` : `${w.abi} `;
  return `${arch}nr=${hex(w.nr)} args=[${w.args.map(hex).join(', ')}] ip=${hex(w.instructionPointer)}`;
}

/** The numbers of a difference that Linux never filters (x86_64 uretprobe and uprobe). */
export function unfilteredIn(x: Difference): number[] {
  if (x.abi !== 'x86_64') return [];
  return [...UNFILTERED_X86_64_SYSCALLS.keys()].filter((nr) => isUnfiltered(x.abi, nr) && x.numbers.some(([lo, hi]) => nr >= lo && nr <= hi));
}

/** The diff as text: one line per class of inputs, plus a witness. */
export function diffText(d: DiffResult, labels: readonly [string, string] = ['A', 'B']): string {
  if (d.equivalent) return 'equivalent: the filters return the same value for every input\n';
  const lines: string[] = [];
  for (const x of d.differences) {
    const names = x.syscalls.map((s) => s.name);
    const namedCount = x.syscalls.length;
    const total = x.numbers.reduce((n, [lo, hi]) => n + (hi - lo + 1), 0);
    let what = names.length > 0 && names.length <= 12 ? names.join(', ') : names.length > 12 ? `${names.slice(0, 12).join(', ')} and ${names.length - 12} more` : '';
    if (total > namedCount) what += `${what ? '; ' : ''}numbers ${formatSet(x.numbers.length > 8 ? x.numbers.slice(0, 8) : x.numbers)}${x.numbers.length > 8 ? '…' : ''}`;
    const cond = x.exact ? (x.when.length === 0 ? '' : ` when ${conjunctionText(x.when, false)}`) : ' (found by sampling)';
    const abi = x.archValues ? `other arch ${formatSet(x.archValues.length > 8 ? x.archValues.slice(0, 8) : x.archValues)}${x.archValues.length > 8 ? '…' : ''}` : x.abi;
    const allNumbers = x.numbers.length === 1 && x.numbers[0]?.[0] === 0 && x.numbers[0]?.[1] === U32_MAX;
    if (allNumbers && x.archValues) what = '';
    lines.push(`${abi}${what ? ` ${what}` : ''}: ${labels[0]} ${x.actionA}, ${labels[1]} ${x.actionB}${cond}`);
    lines.push(`    witness: ${witnessText(x.witness)}`);
    for (const nr of unfilteredIn(x)) lines.push(`    note: ${unfilteredNote(nr)}: this difference has no effect for it`);
  }
  if (!d.exhaustive) {
    lines.push(`note: the comparison is not exhaustive (${d.reasons.join('; ')})${d.differences.length === 0 ? ': no difference found, but equivalence is not shown' : ''}`);
  }
  return `${lines.join('\n')}\n`;
}
