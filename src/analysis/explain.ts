/**
 * Explain: decompiles any valid seccomp filter into per-ABI, per-syscall conditions → verdict, e.g.
 * `x86_64 socket: ERRNO(EAFNOSUPPORT) if arg0 in {3..9, 11..15}; else ALLOW`.
 *
 * Built on the symbolic execution of the program itself, so it explains foreign filters (libseccomp's,
 * hand-written) as well as ours. Where the filter does something that cannot be summarised exactly (comparisons
 * on computed values, RET A of input data), the affected syscalls are sampled instead and say so.
 */
import { UNFILTERED_X86_64_SYSCALLS } from '../syscalls/unfiltered.js';
import type { Program } from '../bpf/instructions.js';
import { SECCOMP_RET_ALLOW } from '../syscalls/actions.js';
import type { Endian, LinuxArchName } from '../syscalls/arch.js';
import { syscallTable } from '../syscalls/resolve.js';
import {
  WORD_ARCH, WORD_NR, isUnconstrained, wordName, type WordConstraint, type WordIndex,
} from './constraints.js';
import {
  U32_MAX, U64_MAX, containsBig, contains, formatSet, formatValue, isFull, normalize, normalizeBig, size,
  type BigIntervalSet, type Interval, type IntervalSet,
} from './intervals.js';
import { abiOf, abisOf, endianOfArch, halfWords, partition, type AbiName } from './partition.js';
import { sampleSegment, type SampleSummary } from './sampling.js';
import { Budget } from './budget.js';
import { symbolicExecute, type Leaf, type SymbolicOptions } from './symbolic.js';
import { actionText } from './verdict-text.js';

/**
 * One test in a condition: a whole 64-bit argument (or the instruction pointer), or one 32-bit word (on a
 * big-endian ABI, `endian: 'big'`: its first word is the high half).
 */
export type Term =
  | { readonly kind: 'arg'; readonly field: ArgField; readonly in: BigIntervalSet }
  | { readonly kind: 'word'; readonly word: WordIndex; readonly mask: number; readonly in: IntervalSet; readonly endian?: Endian };

/** `arg0`..`arg5`, or `ip` (the instruction pointer). */
export type ArgField = `arg${0 | 1 | 2 | 3 | 4 | 5}` | 'ip';

/** All terms hold. The empty conjunction always holds. */
export type Conjunction = readonly Term[];

/** One verdict of a behaviour and the conditions under which a filter returns it. */
export interface Outcome {
  /** Raw 32-bit value the filter returns. */
  readonly verdict: number;
  /** The action as text (`ERRNO(EPERM)`). */
  readonly action: string;
  /** The verdict applies when any of these holds. */
  readonly when: readonly Conjunction[];
}

/** What a filter does for one class of calls: verdicts under conditions, exactly or sampled. */
export interface Behaviour {
  /** Conditional outcomes; their conditions never overlap. */
  readonly outcomes: readonly Outcome[];
  /** Verdict when no outcome's condition holds (undefined only for inexact behaviours). */
  readonly otherwise?: { readonly verdict: number; readonly action: string };
  /** True when derived exactly from the program. */
  readonly exact: boolean;
  /** For inexact behaviours: what sampling the filter observed. */
  readonly sampled?: SampleSummary;
}

/** A syscall number with its name on one ABI. */
export interface NamedSyscall {
  readonly name: string;
  readonly nr: number;
}

/** Syscalls and numbers of one ABI that behave alike. */
export interface ExplainGroup {
  readonly abi: AbiName;
  /** Named syscalls in the group, by number. */
  readonly syscalls: readonly NamedSyscall[];
  /** Numbers without a syscall name (holes, numbers past the table), as ranges. */
  readonly unnamed: readonly Interval[];
  /** For 'other': the arch values the group covers. */
  readonly archValues?: readonly Interval[];
  readonly behaviour: Behaviour;
  /** The behaviour as text: `ERRNO(EAFNOSUPPORT) if arg0 in {3..9}; else ALLOW`. */
  readonly text: string;
}

/** A filter as per-ABI, per-syscall conditions and verdicts. */
export interface Explanation {
  /** True when every verdict is derived exactly (no sampling). */
  readonly exact: boolean;
  /** Why parts are not exact. */
  readonly reasons: readonly string[];
  readonly abis: readonly AbiName[];
  readonly groups: readonly ExplainGroup[];
  /** Number of cases: paths through the reduced decision diagram that some input takes (see docs/analysis.md). */
  readonly paths: number;
}

/** Which ABIs `explain` covers and how far it may go. */
export interface ExplainOptions extends SymbolicOptions {
  /**
   * ABIs to explain (default: the ABIs whose arch value the filter checks, the three x86 ones when it checks
   * one of theirs or none, and other arch values).
   */
  readonly abis?: readonly AbiName[];
  /** Samples per inexact group of syscall numbers (default 512). */
  readonly samples?: number;
  /** Seed of the sampler, for reproducible output (default 1). */
  readonly seed?: number;
}

interface Item {
  terms: Term[];
  readonly verdict: number | undefined;
  readonly exact: boolean;
}

const argFieldOf = (pairIndex: number): ArgField => (pairIndex === 0 ? 'ip' : (`arg${pairIndex - 1}` as ArgField));

/** A 64-bit value set from independent constraints on its halves, if it can be listed compactly. */
function combineHalves(lo: IntervalSet, hi: IntervalSet): BigIntervalSet | undefined {
  const out: [bigint, bigint][] = [];
  if (isFull(lo)) {
    for (const [a, b] of hi) out.push([BigInt(a) << 32n, (BigInt(b) << 32n) | 0xffffffffn]);
    return normalizeBig(out);
  }
  if (size(hi) > 64) return undefined;
  for (const [a, b] of hi) {
    for (let h = a; h <= b; h++) {
      const base = BigInt(h) << 32n;
      for (const [l1, l2] of lo) out.push([base + BigInt(l1), base + BigInt(l2)]);
    }
  }
  return normalizeBig(out);
}

function wordTerms(w: WordIndex, c: WordConstraint, endian: Endian): Term[] {
  const terms: Term[] = [];
  const order = endian === 'big' ? { endian } : {};
  if (!isFull(c.range)) terms.push({ kind: 'word', word: w, mask: U32_MAX, in: c.range, ...order });
  for (const atom of c.atoms) terms.push({ kind: 'word', word: w, mask: atom.mask, in: atom.set, ...order });
  return terms;
}

/**
 * Turns a leaf's constraints on the data words (not nr/arch) into terms, reading 64-bit fields in the byte
 * order of the calls they apply to.
 */
export function termsOf(words: readonly WordConstraint[], withSelectors = false, endian: Endian = 'little'): Term[] {
  // Masked tests on nr/arch that a segment does not decide on its own (see `Segment.uniform`).
  const terms: Term[] = withSelectors
    ? [WORD_NR, WORD_ARCH].flatMap((w) => (words[w] as WordConstraint).atoms.map((a): Term => ({ kind: 'word', word: w, mask: a.mask, in: a.set })))
    : [];
  for (let pair = 0; pair < 7; pair++) {
    const { lo: loW, hi: hiW } = halfWords(pair - 1, endian);
    const lo = words[loW] as WordConstraint;
    const hi = words[hiW] as WordConstraint;
    if (isUnconstrained(lo) && isUnconstrained(hi)) continue;
    const field = argFieldOf(pair);
    if (lo.atoms.length === 0 && hi.atoms.length === 0 && !isUnconstrained(hi)) {
      const set = combineHalves(lo.range, hi.range);
      if (set) {
        terms.push({ kind: 'arg', field, in: set });
        continue;
      }
    }
    const [firstW, secondW] = loW < hiW ? [loW, hiW] : [hiW, loW];
    terms.push(...wordTerms(firstW, words[firstW] as WordConstraint, endian), ...wordTerms(secondW, words[secondW] as WordConstraint, endian));
  }
  return terms;
}

const termKey = (t: Term): string =>
  t.kind === 'arg' ? `${t.field}:${t.in.map(([a, b]) => `${a}-${b}`).join(',')}`
    : `w${t.word}&${t.mask}:${t.in.map(([a, b]) => `${a}-${b}`).join(',')}`;

/** Merges conjunctions of the same verdict that differ only in the set of one 64-bit argument. */
function mergeItems(items: Item[]): Item[] {
  if (items.length > 300) return items;
  const work = items.map((i) => ({ ...i, terms: i.terms.slice() }));
  let changed = true;
  while (changed) {
    changed = false;
    outer: for (let i = 0; i < work.length; i++) {
      for (let j = i + 1; j < work.length; j++) {
        const a = work[i] as Item;
        const b = work[j] as Item;
        if (a.verdict !== b.verdict || a.exact !== b.exact || !a.exact) continue;
        const merged = mergeTwo(a.terms, b.terms);
        if (merged === undefined) continue;
        a.terms = merged;
        work.splice(j, 1);
        changed = true;
        break outer;
      }
    }
  }
  return work;
}

function mergeTwo(a: readonly Term[], b: readonly Term[]): Term[] | undefined {
  const fieldsOf = (ts: readonly Term[]) => ts.map((t) => (t.kind === 'arg' ? t.field : `w${t.word}&${t.mask}`));
  const fa = fieldsOf(a);
  const fb = fieldsOf(b);
  if (fa.length !== fb.length || fa.some((f, i) => f !== fb[i])) return undefined;
  let diffAt = -1;
  for (let i = 0; i < a.length; i++) {
    if (termKey(a[i] as Term) !== termKey(b[i] as Term)) {
      if (diffAt >= 0) return undefined;
      diffAt = i;
    }
  }
  if (diffAt < 0) return a.slice();
  const ta = a[diffAt] as Term;
  const tb = b[diffAt] as Term;
  let merged: Term | undefined;
  if (ta.kind === 'arg' && tb.kind === 'arg') {
    const set = normalizeBig([...ta.in, ...tb.in]);
    merged = set.length === 1 && set[0]?.[0] === 0n && set[0]?.[1] === U64_MAX ? undefined : { ...ta, in: set };
  } else if (ta.kind === 'word' && tb.kind === 'word') {
    const set = normalize([...ta.in, ...tb.in]);
    merged = ta.mask === U32_MAX && isFull(set) ? undefined : { ...ta, in: set };
  } else {
    return undefined;
  }
  const out = a.slice();
  if (merged) out[diffAt] = merged;
  else out.splice(diffAt, 1);
  return out;
}


const MAX_ELSE_CANDIDATES = 8;

/** Summarises the leaves that apply to one segment. */
function behaviourOf(leaves: readonly Leaf[], uniform: boolean, endian: Endian): Behaviour {
  let items: Item[] = leaves.map((l) => ({ terms: termsOf(l.words, !uniform, endian), verdict: l.verdict, exact: l.exact }));
  const exact = items.length > 0 && items.every((i) => i.exact && i.verdict !== undefined);
  if (!exact) return { outcomes: [], exact: false };
  items = mergeItems(items);
  const byVerdict = new Map<number, Item[]>();
  for (const item of items) {
    const v = item.verdict as number;
    byVerdict.set(v, [...(byVerdict.get(v) ?? []), item]);
  }
  // Any verdict can be the "else" branch. ALLOW reads best there ("denied if ...; else ALLOW") unless that
  // makes the text much longer; otherwise the shortest text wins (ties: the higher raw value).
  const verdicts = [...byVerdict.keys()].sort((x, y) => x - y);
  const render = (otherwise: number): Behaviour => ({
    outcomes: verdicts.filter((v) => v !== otherwise).map((v) => ({
      verdict: v, action: actionText(v), when: (byVerdict.get(v) as Item[]).map((i) => i.terms),
    })),
    otherwise: { verdict: otherwise, action: actionText(otherwise) },
    exact: true,
  });
  // Rendering is linear in the number of cases: try as "else" only the verdicts with the most cases (the
  // others cannot make the text shortest by much), so that a thousand verdicts do not cost a million renderings.
  const candidates = verdicts.length <= MAX_ELSE_CANDIDATES ? verdicts
    : verdicts.slice().sort((x, y) => (byVerdict.get(y) as Item[]).length - (byVerdict.get(x) as Item[]).length || x - y)
      .slice(0, MAX_ELSE_CANDIDATES).sort((x, y) => x - y);
  let best = render(candidates[0] as number);
  let bestLength = behaviourText(best).length;
  for (const v of candidates.slice(1)) {
    const candidate = render(v);
    const length = behaviourText(candidate).length;
    if (length <= bestLength) {
      best = candidate;
      bestLength = length;
    }
  }
  if (byVerdict.has(SECCOMP_RET_ALLOW) && best.otherwise?.verdict !== SECCOMP_RET_ALLOW) {
    const allowElse = render(SECCOMP_RET_ALLOW);
    if (behaviourText(allowElse).length <= 1.5 * bestLength) best = allowElse;
  }
  return best;
}

/** The single value a set leaves out, if it leaves out exactly one. */
function missingPoint<T extends number | bigint>(set: readonly (readonly [T, T])[], max: T): T | undefined {
  const zero = (typeof max === 'bigint' ? 0n : 0) as T;
  const one = (typeof max === 'bigint' ? 1n : 1) as T;
  const add = (a: T, b: T) => ((a as number) + (b as number)) as T;
  const sub = (a: T, b: T) => ((a as number) - (b as number)) as T;
  const [first, second] = set;
  if (set.length === 1 && first) {
    if (first[0] === zero && first[1] === sub(max, one)) return max;
    if (first[0] === one && first[1] === max) return zero;
  }
  if (set.length === 2 && first && second && first[0] === zero && second[1] === max && sub(second[0], first[1]) === add(one, one)) {
    return add(first[1], one);
  }
  return undefined;
}

function termText(t: Term): string {
  const name = t.kind === 'arg' ? t.field
    : t.mask === U32_MAX ? wordName(t.word, t.endian) : `(${wordName(t.word, t.endian)} & ${formatValue(t.mask)})`;
  const set: readonly (readonly [number | bigint, number | bigint])[] = t.in;
  const only = set.length === 1 && set[0]?.[0] === set[0]?.[1] ? set[0]?.[0] : undefined;
  if (only !== undefined) return `${name} == ${formatValue(only)}`;
  const missing = t.kind === 'arg' ? missingPoint(t.in, U64_MAX) : missingPoint(t.in, U32_MAX);
  if (missing !== undefined) return `${name} != ${formatValue(missing)}`;
  return `${name} in ${formatSet(set)}`;
}

export function conjunctionText(c: Conjunction, several: boolean): string {
  if (c.length === 0) return 'always';
  const text = c.map(termText).join(' and ');
  return several && c.length > 1 ? `(${text})` : text;
}

/** The text of a behaviour: `ERRNO(EAFNOSUPPORT) if arg0 in {3..9}; else ALLOW`. */
export function behaviourText(b: Behaviour): string {
  if (!b.exact) {
    const s = b.sampled;
    if (!s) return 'not summarised exactly';
    const parts = s.verdicts.map((v) => `${v.action} ${((100 * v.count) / s.samples).toFixed(1)}%`);
    const below = `${(100 * s.unseenBelow).toFixed(s.unseenBelow < 0.01 ? 2 : 1)}%`;
    return `sampled (not exact): ${parts.join(', ')} of ${s.samples} inputs; any other verdict covers under ${below} of such inputs (95% confidence)`;
  }
  const parts = b.outcomes.map((o) => `${o.action} if ${o.when.map((c) => conjunctionText(c, o.when.length > 1)).join(' or ')}`);
  const other = b.otherwise?.action ?? '?';
  return parts.length === 0 ? other : `${parts.join('; ')}; else ${other}`;
}

/** Explains a filter. Throws `AnalysisError` for a program the kernel would not load. */
export function explain(program: Program, options: ExplainOptions = {}): Explanation {
  const budget = options.budget ?? new Budget(options);
  const result = symbolicExecute(program, { ...options, budget });
  const abis = options.abis ?? abisOf(program);
  const segments = partition(result.leaves, abis);
  let summarised = 0;
  // First the numbers of each (ABI, arch range, behaviour); then, for foreign arch values, the arch ranges whose
  // numbers and behaviour coincide. A group stands for exactly `archValues × numbers`: joining arch ranges
  // whose numbers differ would claim the behaviour for pairs (arch, nr) that behave otherwise.
  const slots = new Map<string, { abi: AbiName; key: string; archRange?: Interval; numbers: Interval[]; behaviour: Behaviour }>();
  let sampleIndex = 0;
  for (const seg of segments) {
    budget.check('summary', summarised++);
    // A search cut short leaves some inputs without a leaf: nothing can be summarised exactly then.
    let behaviour = result.truncated ? { outcomes: [], exact: false } : behaviourOf(seg.leaves, seg.uniform, endianOfArch(seg.arch));
    let key = `${seg.abi}|${JSON.stringify(behaviour, bigintReplacer)}`;
    if (!behaviour.exact) {
      behaviour = {
        ...behaviour,
        sampled: sampleSegment(program, seg, { samples: options.samples ?? 512, seed: (options.seed ?? 1) + sampleIndex++ }),
      };
      key = `${seg.abi}|inexact|${seg.lo}`;
    }
    const slotKey = seg.archRange ? `${key}|arch ${seg.archRange[0]}` : key;
    const slot = slots.get(slotKey);
    if (slot) slot.numbers.push([seg.lo, seg.hi]);
    else slots.set(slotKey, { abi: seg.abi, key, ...(seg.archRange && { archRange: seg.archRange }), numbers: [[seg.lo, seg.hi]], behaviour });
  }
  const groups = new Map<string, { abi: AbiName; numbers: IntervalSet; archValues: Interval[]; behaviour: Behaviour }>();
  for (const slot of slots.values()) {
    const numbers = normalize(slot.numbers);
    const key = `${slot.key}|${numbers.map(([a, b]) => `${a}-${b}`).join(',')}`;
    const g = groups.get(key);
    if (g) {
      if (slot.archRange) g.archValues.push(slot.archRange);
    } else {
      groups.set(key, { abi: slot.abi, numbers, archValues: slot.archRange ? [slot.archRange] : [], behaviour: slot.behaviour });
    }
  }
  const out: ExplainGroup[] = [];
  for (const { abi, numbers, archValues, behaviour } of groups.values()) {
    const named: NamedSyscall[] = [];
    const unnamed: Interval[] = [];
    for (const [lo, hi] of numbers) {
      if (abi === 'other') {
        unnamed.push([lo, hi]);
        continue;
      }
      let start = lo;
      for (const entry of namedIn(abi, lo, hi)) {
        if (entry.nr > start) unnamed.push([start, entry.nr - 1]);
        named.push({ name: entry.name, nr: entry.nr });
        start = entry.nr + 1;
      }
      if (start <= hi) unnamed.push([start, hi]);
    }
    out.push({
      abi,
      syscalls: named.sort((a, b) => a.nr - b.nr),
      unnamed: normalize(unnamed),
      ...(abi === 'other' && { archValues: normalize(archValues) }),
      behaviour,
      text: behaviourText(behaviour),
    });
  }
  const exact = out.every((g) => g.behaviour.exact);
  return { exact, reasons: exact ? [] : result.reasons, abis, groups: out, paths: result.leaves.length };
}

function namedIn(arch: LinuxArchName, lo: number, hi: number): NamedSyscall[] {
  return syscallTable(arch).filter((e) => e.nr >= lo && e.nr <= hi).map((e) => ({ name: e.name, nr: e.nr }));
}

/** A concrete input, as 16 `seccomp_data` words (word i is what `LD [4*i]` loads). */
export type DataWords = ArrayLike<number>;

function termHolds(t: Term, words: DataWords, endian: Endian): boolean {
  if (t.kind === 'word') return contains(t.in, ((words[t.word] ?? 0) & t.mask) >>> 0);
  const { lo, hi } = halfWords(t.field === 'ip' ? -1 : Number(t.field.slice(3)), endian);
  const value = (BigInt((words[hi] ?? 0) >>> 0) << 32n) | BigInt((words[lo] ?? 0) >>> 0);
  return containsBig(t.in, value);
}

/**
 * True when every term of a conjunction holds for the input (the empty conjunction always holds). Whole
 * arguments are read in the byte order the input's arch value announces.
 */
export function conjunctionHolds(c: Conjunction, words: DataWords): boolean {
  const endian = endianOfArch((words[WORD_ARCH] ?? 0) >>> 0);
  return c.every((t) => termHolds(t, words, endian));
}

/**
 * The verdict an explanation predicts for an input, or undefined where the explanation is not exact.
 * (Reads the structured explanation only, never the program: it is what tests check against the emulator.)
 */
export function predictVerdict(explanation: Explanation, words: DataWords): number | undefined {
  const arch = (words[WORD_ARCH] ?? 0) >>> 0;
  const nr = (words[WORD_NR] ?? 0) >>> 0;
  const abi = abiOf(arch, nr, explanation.abis);
  const group = explanation.groups.find((g) => g.abi === abi
    && (g.archValues === undefined || g.archValues.some(([lo, hi]) => arch >= lo && arch <= hi))
    && (g.syscalls.some((s) => s.nr === nr) || g.unnamed.some(([lo, hi]) => nr >= lo && nr <= hi)));
  if (!group || !group.behaviour.exact) return undefined;
  for (const o of group.behaviour.outcomes) {
    if (o.when.some((c) => conjunctionHolds(c, words))) return o.verdict;
  }
  return group.behaviour.otherwise?.verdict;
}

/** JSON.stringify replacer turning bigints into hexadecimal strings. */
export function bigintReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? `0x${value.toString(16)}` : value;
}

function numbersText(abi: AbiName, g: ExplainGroup): string {
  const parts: string[] = [];
  const names = g.syscalls.map((s) => s.name);
  if (names.length > 0) parts.push(names.join(', '));
  if (g.unnamed.length > 0) {
    const label = abi === 'other' ? 'nr' : names.length > 0 ? 'other numbers' : 'numbers';
    parts.push(`${label} ${formatSet(g.unnamed.map(([a, b]) => [a, b] as const))}`);
  }
  return parts.join('; ');
}

/** The explanation as text, one line per group, grouped by ABI. */
export function explanationText(e: Explanation): string {
  const lines: string[] = [];
  for (const abi of e.abis) {
    const groups = e.groups.filter((g) => g.abi === abi);
    if (groups.length === 0) continue;
    const sorted = groups.slice().sort((a, b) => firstNr(a) - firstNr(b));
    for (const g of sorted) {
      const head = abi === 'other'
        ? `other arch ${formatSet((g.archValues ?? []).map(([a, b]) => [a, b] as const))}`
        : `${abi} ${numbersText(abi, g)}`;
      const nrPart = abi === 'other' && !(g.unnamed.length === 1 && g.unnamed[0]?.[0] === 0 && g.unnamed[0]?.[1] === U32_MAX)
        ? ` ${numbersText(abi, g)}` : '';
      lines.push(`${head}${nrPart}: ${g.text}`);
    }
  }
  if (e.abis.includes('x86_64')) lines.push(unfilteredLine());
  if (!e.exact) lines.push(`note: not every verdict could be derived exactly (${e.reasons.join('; ')}); those lines are sampled`);
  return `${lines.join('\n')}\n`;
}

function firstNr(g: ExplainGroup): number {
  const a = g.syscalls[0]?.nr ?? Infinity;
  const b = g.unnamed[0]?.[0] ?? Infinity;
  return Math.min(a, b, g.archValues?.[0]?.[0] ?? Infinity);
}

/** The line `explain` adds for the x86_64 calls Linux never filters, whatever the lines above say of them. */
export function unfilteredLine(): string {
  const calls = [...UNFILTERED_X86_64_SYSCALLS].map(([nr, name]) => `${name} (${nr})`).join(', ');
  return `x86_64 ${calls}: never filtered: Linux runs no seccomp filter for them, so they go through whatever the filter says`;
}

/** The explanation as a JSON-ready object (64-bit values as hexadecimal strings). */
export function explanationJson(e: Explanation): unknown {
  return JSON.parse(JSON.stringify({
    exact: e.exact, reasons: e.reasons, paths: e.paths,
    ...(e.abis.includes('x86_64') && { unfiltered: [...UNFILTERED_X86_64_SYSCALLS].map(([nr, name]) => ({ abi: 'x86_64', nr, name })) }),
    groups: e.groups.map((g) => ({
      abi: g.abi, syscalls: g.syscalls, unnamed: g.unnamed, ...(g.archValues && { archValues: g.archValues }),
      text: g.text,
      exact: g.behaviour.exact,
      outcomes: g.behaviour.outcomes.map((o) => ({
        action: o.action, verdict: o.verdict,
        when: o.when.map((c) => c.map((t) => (t.kind === 'arg'
          ? { field: t.field, in: t.in }
          : { field: wordName(t.word, t.endian), ...(t.mask !== U32_MAX && { mask: t.mask }), in: t.in }))),
      })),
      ...(g.behaviour.otherwise && { otherwise: g.behaviour.otherwise }),
      ...(g.behaviour.sampled && { sampled: g.behaviour.sampled }),
    })),
  }, bigintReplacer));
}

