/**
 * Assertions on filters that work with any test runner: they throw a `FilterAssertionError` whose message shows
 * the input, the verdicts and the instructions the filter executed.
 *
 * Without arguments, `toAllow` / `toDeny` / `toReturn` are claims about every call of the syscall, whatever its
 * arguments: they are decided on the filter's symbolic paths, not on samples.
 */
import { fromRaw, type Program } from '../bpf/instructions.js';
import { disassembleLines } from '../bpf/disasm.js';
import { compilePolicy } from '../compiler/compile.js';
import { interpret } from '../emulator/interpreter.js';
import type { Policy } from '../policy/types.js';
import { parseAction } from '../syscalls/action-text.js';
import { decodeAction, encodeAction, type Action, type ActionKind } from '../syscalls/actions.js';
import { LINUX_ARCHES, X32_SYSCALL_BIT, type LinuxArchName } from '../syscalls/arch.js';
import { resolveSyscall, syscallName, syscallTable } from '../syscalls/resolve.js';
import { WORD_ARCH, WORD_COUNT, WORD_NR, solve, withAtom, type WordConstraint } from '../analysis/constraints.js';
import { diffPrograms, witnessText } from '../analysis/diff.js';
import { partition } from '../analysis/partition.js';
import { symbolicExecute, type Leaf, type SymbolicResult } from '../analysis/symbolic.js';
import { actionText } from '../analysis/verdict-text.js';
import { formatSet, type Interval } from '../analysis/intervals.js';

/** What `expectFilter` accepts: a program, its raw bytes (`struct sock_filter[]`), a compile result, a policy. */
export type FilterInput = Program | Uint8Array | { readonly program: Program } | Policy;

/** Arguments by position, or by name (`arg0`..`arg5`, `ip` for the instruction pointer). Missing ones are 0. */
export type ArgsInput =
  | readonly (bigint | number)[]
  | { readonly arg0?: bigint | number; readonly arg1?: bigint | number; readonly arg2?: bigint | number;
      readonly arg3?: bigint | number; readonly arg4?: bigint | number; readonly arg5?: bigint | number;
      readonly ip?: bigint | number };

/** What `expectFilter` claims are checked against and how many inputs it tries. */
export interface ExpectOptions {
  /** ABIs the claims are about (default x86_64): any ABI (`aarch64`, `s390x`, …), arguments in its byte order. */
  readonly arch?: LinuxArchName | readonly LinuxArchName[];
}

/** A failed filter assertion. */
export class FilterAssertionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FilterAssertionError';
  }
}

const ALLOWING: readonly ActionKind[] = ['ALLOW', 'LOG'];
const DENYING: readonly ActionKind[] = ['KILL_PROCESS', 'KILL_THREAD', 'TRAP', 'ERRNO'];

/** Reads raw `struct sock_filter` bytes (8 bytes each, little-endian). */
function decodeBytes(bytes: Uint8Array): Program {
  if (bytes.length === 0 || bytes.length % 8 !== 0) {
    throw new FilterAssertionError(`a raw filter is a multiple of 8 bytes, got ${bytes.length}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Array.from({ length: bytes.length / 8 }, (_, i) => fromRaw({
    code: view.getUint16(8 * i, true), jt: view.getUint8(8 * i + 2), jf: view.getUint8(8 * i + 3), k: view.getUint32(8 * i + 4, true),
  }));
}

/** The program behind any accepted filter input. */
export function programOf(filter: FilterInput): Program {
  if (filter instanceof Uint8Array) return decodeBytes(filter);
  if (Array.isArray(filter)) return filter as Program;
  if ('program' in filter) return filter.program;
  if ('rules' in filter && 'defaultAction' in filter) return compilePolicy(filter).program;
  throw new FilterAssertionError('expectFilter: expected a program, raw filter bytes, a compile result or a policy');
}

const symbolicCache = new WeakMap<Program, SymbolicResult>();
function symbolic(program: Program, claim: string): SymbolicResult {
  let s = symbolicCache.get(program);
  if (!s) {
    s = symbolicExecute(program);
    symbolicCache.set(program, s);
  }
  if (s.truncated) {
    throw new FilterAssertionError(`${claim}: the filter has too many paths to decide this for every input; `
      + 'give the arguments to check explicitly');
  }
  return s;
}

function argsWords(arch: LinuxArchName, nr: number, args: ArgsInput | undefined): Uint32Array {
  const w = new Uint32Array(WORD_COUNT);
  w[WORD_NR] = nr >>> 0;
  w[WORD_ARCH] = LINUX_ARCHES[arch].auditArch;
  // A 64-bit field's first word is its low half on a little-endian ABI, its high half on a big-endian one.
  const big = LINUX_ARCHES[arch].endian === 'big';
  const put = (i: number, v: bigint | number | undefined) => {
    const b = BigInt.asUintN(64, BigInt(v ?? 0));
    w[big ? i + 1 : i] = Number(b & 0xffffffffn);
    w[big ? i : i + 1] = Number(b >> 32n);
  };
  if (args === undefined) return w;
  if (Array.isArray(args)) {
    (args as readonly (bigint | number)[]).forEach((v, i) => put(4 + 2 * i, v));
  } else {
    const named = args as Exclude<ArgsInput, readonly unknown[]>;
    for (let i = 0; i < 6; i++) put(4 + 2 * i, named[`arg${i}` as 'arg0']);
    put(2, named.ip);
  }
  return w;
}

function nrOf(arch: LinuxArchName, syscall: string | number): number {
  if (typeof syscall === 'number') return arch === 'x32' ? (syscall | X32_SYSCALL_BIT) >>> 0 : syscall >>> 0;
  return resolveSyscall(arch, syscall);
}

const hex = (v: number | bigint): string => (BigInt(v) < 10n ? String(v) : `0x${BigInt(v).toString(16)}`);

function inputText(arch: LinuxArchName, words: Uint32Array): string {
  const nr = words[WORD_NR] as number;
  const name = syscallName(arch, nr);
  // The first word of a 64-bit field is its low half on little-endian ABIs, its high half on big-endian ones.
  const big = LINUX_ARCHES[arch].endian === 'big';
  const u64 = (i: number) => (BigInt(words[big ? i : i + 1] as number) << 32n) | BigInt(words[big ? i + 1 : i] as number);
  const args = Array.from({ length: 6 }, (_, i) => hex(u64(4 + 2 * i)));
  return `${arch} ${name ?? 'nr'}${name ? ` (nr ${hex(nr)})` : ` ${hex(nr)}`} args=[${args.join(', ')}] ip=${hex(u64(2))}`;
}

/** The instructions a run executed, one per line, with names as `disasm` prints them (`if (A == socket)`). */
export function pathText(program: Program, words: Uint32Array, indent = '    '): string {
  const run = interpret(program, words, { trace: true });
  const lines = disassembleLines(program);
  return (run.trace ?? []).map((s) => `${indent}${String(s.pc).padStart(4, '0')}: ${lines[s.pc]?.text ?? ''}`).join('\n');
}

function describe(kinds: readonly ActionKind[]): string {
  return kinds.join(' or ');
}

/** The assertions on one filter. Every method returns the expectation, so claims can be chained. */
export class FilterExpectation {
  readonly program: Program;
  private readonly arches: readonly LinuxArchName[];

  constructor(filter: FilterInput, options: ExpectOptions = {}) {
    this.program = programOf(filter);
    const a = options.arch ?? 'x86_64';
    this.arches = typeof a === 'string' ? [a] : a;
  }

  /** The syscall is allowed (ALLOW or LOG): for these arguments, or for every argument when none are given. */
  toAllow(syscall: string | number, args?: ArgsInput): this {
    return this.check(syscall, args, 'allowed', (raw) => ALLOWING.includes(decodeAction(raw).kind), describe(ALLOWING));
  }

  /** The syscall is denied (KILL, TRAP or ERRNO): for these arguments, or for every argument when none are given. */
  toDeny(syscall: string | number, args?: ArgsInput): this {
    return this.check(syscall, args, 'denied', (raw) => DENYING.includes(decodeAction(raw).kind), describe(DENYING));
  }

  /** The filter returns exactly this action (`'ERRNO(EPERM)'` or an `Action`). */
  toReturn(syscall: string | number, action: Action | string, args?: ArgsInput): this {
    const want = encodeAction(typeof action === 'string' ? parseAction(action) : action);
    return this.check(syscall, args, `to return ${actionText(want)}`, (raw) => raw >>> 0 === want, actionText(want));
  }

  private check(syscall: string | number, args: ArgsInput | undefined, claim: string, ok: (raw: number) => boolean, expected: string): this {
    for (const arch of this.arches) {
      const nr = nrOf(arch, syscall);
      const label = `${arch} ${typeof syscall === 'string' ? syscall : hex(nr)}`;
      if (args !== undefined) {
        const words = argsWords(arch, nr, args);
        const raw = interpret(this.program, words).raw;
        if (!ok(raw)) this.fail(`expected ${label} to be ${claim}`, expected, raw, arch, words);
        continue;
      }
      // Every argument vector: look at every path that this (arch, nr) can take.
      for (const leaf of this.leavesFor(arch, nr, `expected ${label} to be ${claim} for every argument`)) {
        if (!leaf.exact || leaf.verdict === undefined) {
          throw new FilterAssertionError(`expected ${label} to be ${claim} for every argument, but the filter computes `
            + 'on its input in ways that cannot be decided exactly; give the arguments to check explicitly');
        }
        if (ok(leaf.verdict)) continue;
        const words = witnessFor(leaf, arch, nr);
        if (words) this.fail(`expected ${label} to be ${claim} for every argument`, expected, leaf.verdict, arch, words);
      }
    }
    return this;
  }

  private leavesFor(arch: LinuxArchName, nr: number, claim: string): Leaf[] {
    const archValue = LINUX_ARCHES[arch].auditArch;
    return symbolic(this.program, claim).leaves.filter((l) => solve(withAtom(l.words[WORD_ARCH] as WordConstraint, 0xffffffff, [[archValue, archValue]])) !== 'none'
      && solve(withAtom(l.words[WORD_NR] as WordConstraint, 0xffffffff, [[nr, nr]])) !== 'none');
  }

  /**
   * No syscall outside `syscalls` is allowed, for any arguments (unnamed numbers included), and each listed
   * syscall is allowed for some arguments.
   */
  toAllowOnly(syscalls: readonly (string | number)[]): this {
    for (const arch of this.arches) {
      const wanted = new Set(syscalls.map((s) => nrOf(arch, s)));
      const result = symbolic(this.program, `toAllowOnly on ${arch}`);
      const segments = partition(result.leaves, [arch]);
      const extra: Interval[] = [];
      const allowedSomewhere = new Set<number>();
      let witness: { words: Uint32Array; raw: number } | undefined;
      for (const seg of segments) {
        const allowing = seg.leaves.filter((l) => l.verdict !== undefined && ALLOWING.includes(decodeAction(l.verdict).kind));
        if (seg.leaves.some((l) => !l.exact || l.verdict === undefined)) {
          throw new FilterAssertionError(`toAllowOnly on ${arch}: the filter computes on its input in ways that cannot be decided exactly`);
        }
        if (allowing.length === 0) continue;
        for (const n of wanted) if (n >= seg.lo && n <= seg.hi) allowedSomewhere.add(n);
        // Numbers of this segment outside the list.
        const segExtra: Interval[] = [];
        let start = seg.lo;
        for (const n of [...wanted].filter((x) => x >= seg.lo && x <= seg.hi).sort((x, y) => x - y)) {
          if (n > start) segExtra.push([start, n - 1]);
          start = n + 1;
        }
        if (start <= seg.hi) segExtra.push([start, seg.hi]);
        extra.push(...segExtra);
        const firstExtra = segExtra[0];
        if (!witness && firstExtra) {
          const leaf = allowing[0] as Leaf;
          const named = syscallTable(arch).find((e) => e.nr >= firstExtra[0] && e.nr <= firstExtra[1]);
          const words = witnessFor(leaf, arch, named?.nr ?? firstExtra[0]);
          if (words) witness = { words, raw: leaf.verdict as number };
        }
      }
      const missing = [...wanted].filter((n) => !allowedSomewhere.has(n));
      if (extra.length > 0 || missing.length > 0) {
        const names = syscallTable(arch).filter((e) => extra.some(([lo, hi]) => e.nr >= lo && e.nr <= hi)).map((e) => e.name);
        const lines = [`expected ${arch} to allow only [${syscalls.join(', ')}]`];
        if (names.length > 0) lines.push(`  also allowed: ${names.slice(0, 40).join(', ')}${names.length > 40 ? ` and ${names.length - 40} more` : ''}`);
        const total = extra.reduce((n, [lo, hi]) => n + (hi - lo + 1), 0);
        if (total > names.length) lines.push(`  also allowed: ${total - names.length} numbers without a syscall name, in ${formatSet(extra.slice(0, 10))}${extra.length > 10 ? '…' : ''}`);
        if (missing.length > 0) lines.push(`  never allowed: ${missing.map((n) => syscallName(arch, n) ?? hex(n)).join(', ')}`);
        if (witness) {
          lines.push(`  input:    ${inputText(arch, witness.words)}`, `  verdict:  ${actionText(witness.raw)}`,
            '  executed path:', pathText(this.program, witness.words));
        }
        throw new FilterAssertionError(lines.join('\n'));
      }
    }
    return this;
  }

  /** The two filters return the same value for every input (shown exhaustively on their symbolic paths). */
  toEqual(other: FilterInput): this {
    const otherProgram = programOf(other);
    const d = diffPrograms(this.program, otherProgram);
    if (d.equivalent) return this;
    const first = d.differences[0];
    if (!first) {
      throw new FilterAssertionError(`expected the filters to be equivalent, but equivalence could not be shown (${d.reasons.join('; ')})`);
    }
    const w = first.witness;
    const lines = [
      `expected the filters to be equivalent; they differ on ${d.differences.length} class(es) of inputs, first:`,
      `  input:    ${first.abi === 'other' ? witnessText(w) : inputText(first.abi, w.words)}`,
      `  actual:   ${first.actionA}`,
      `  expected: ${first.actionB}`,
      '  executed path (actual):', pathText(this.program, w.words),
      '  executed path (expected):', pathText(otherProgram, w.words),
    ];
    throw new FilterAssertionError(lines.join('\n'));
  }

  private fail(headline: string, expected: string, raw: number, arch: LinuxArchName, words: Uint32Array): never {
    throw new FilterAssertionError([
      headline,
      `  input:    ${inputText(arch, words)}`,
      `  expected: ${expected}`,
      `  actual:   ${actionText(raw)}`,
      '  executed path:',
      pathText(this.program, words),
    ].join('\n'));
  }
}

/** A concrete input of `arch`/`nr` that follows `leaf`. */
function witnessFor(leaf: Leaf, arch: LinuxArchName, nr: number): Uint32Array | undefined {
  const out = new Uint32Array(WORD_COUNT);
  const archValue = LINUX_ARCHES[arch].auditArch;
  for (let w = 0; w < WORD_COUNT; w++) {
    let c = leaf.words[w] as WordConstraint;
    if (w === WORD_NR) c = withAtom(c, 0xffffffff, [[nr, nr]]);
    if (w === WORD_ARCH) c = withAtom(c, 0xffffffff, [[archValue, archValue]]);
    const s = solve(c);
    if (s === 'none' || s === 'unknown') return undefined;
    out[w] = s.value;
  }
  return out;
}

/**
 * Starts assertions on a filter: `expectFilter(program).toDeny('ptrace').toAllow('read')`.
 * Claims are about x86_64 unless `options.arch` names other ABIs.
 */
export function expectFilter(filter: FilterInput, options: ExpectOptions = {}): FilterExpectation {
  return new FilterExpectation(filter, options);
}

