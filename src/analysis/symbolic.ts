/**
 * Symbolic execution of a seccomp filter over its jump DAG.
 *
 * Every path from the first instruction to a RET becomes a leaf: the constraints its branches put on each
 * loaded 32-bit word, and the value it returns. Because a filter only jumps forward and each branch splits the
 * inputs in two, the exact leaves partition the input space: for any input exactly one exact leaf admits it.
 *
 * Values are tracked as constants, as a loaded word (optionally ANDed with a mask), or as "opaque" once other
 * arithmetic touches input data. Comparisons on opaque values cannot be summarised: both branches are then
 * followed without a constraint and the resulting leaves are marked inexact, with the reason.
 *
 * Arithmetic follows the kernel exactly (`../emulator/semantics.ts`): shift amounts modulo 32, and `A /= X` with
 * X = 0 ends the program with return value 0, so such a division is a branch too.
 */
import type { Instruction, Program } from '../bpf/instructions.js';
import { SECCOMP_DATA_SIZE } from '../bpf/seccomp-data.js';
import { validate } from '../bpf/validator.js';
import { aluResult } from '../emulator/semantics.js';
import {
  ANY_WORD, NONZERO, WORD_COUNT, ZERO, jumpSet, reversedJumpSet, solve, withAtom, type WordConstraint, type WordIndex,
} from './constraints.js';
import { U32_MAX } from './intervals.js';

export type SymValue =
  | { readonly t: 'const'; readonly v: number }
  | { readonly t: 'word'; readonly w: WordIndex; readonly mask: number }
  | { readonly t: 'opaque' };

export interface Leaf {
  /** Constraint on each of the 16 words (index = byte offset / 4). */
  readonly words: readonly WordConstraint[];
  /** Raw 32-bit value returned, or undefined when it depends on the input (`RET A` of loaded data). */
  readonly verdict: number | undefined;
  /** False when a branch on this path could not be turned into a constraint. */
  readonly exact: boolean;
  /** Index of the RET instruction (or of the division by a zero X that ended the program). */
  readonly retPc: number;
}

export interface SymbolicResult {
  readonly leaves: readonly Leaf[];
  /** True when every leaf is exact and the search was not cut short. */
  readonly exact: boolean;
  /** Why the result is not exact (empty when it is). */
  readonly reasons: readonly string[];
  /** True when the path limit cut the search short: then the leaves do not cover every input. */
  readonly truncated: boolean;
}

/** A program this analysis cannot run at all (it would not pass the kernel's checks). */
export class AnalysisError extends Error {
  constructor(message: string, readonly index?: number) {
    super(index === undefined ? message : `instruction ${index}: ${message}`);
    this.name = 'AnalysisError';
  }
}

export interface SymbolicOptions {
  /** Stop after this many paths (the result is then marked inexact). Default 200 000. */
  readonly maxPaths?: number;
}

/**
 * Refuses a program the kernel would not load (the project's validator: `bpf_check_classic` and
 * `seccomp_check_filter`), naming the first broken rule and its instruction.
 */
export function checkStructure(program: Program): void {
  const result = validate(program);
  if (!result.ok) {
    const first = result.errors[0];
    throw new AnalysisError(`invalid seccomp filter: ${first?.message ?? 'unknown error'}`);
  }
}

/**
 * Evaluates an ALU operation on constants exactly as the kernel does (32-bit unsigned, shift amounts modulo 32);
 * undefined for a division by zero, which ends the program with return value 0.
 */
export function aluConst(op: string, a: number, b: number): number | undefined {
  switch (op) {
    case 'add': case 'sub': case 'mul': case 'div': case 'mod': case 'or': case 'and': case 'xor': case 'lsh': case 'rsh':
      return aluResult(op, a >>> 0, b >>> 0);
    default: throw new AnalysisError(`unknown ALU operation ${op}`);
  }
}

interface State {
  readonly pc: number;
  readonly a: SymValue;
  readonly x: SymValue;
  readonly mem: readonly SymValue[];
  readonly words: readonly WordConstraint[];
  readonly exact: boolean;
}

const ZERO_VALUE: SymValue = { t: 'const', v: 0 };
const OPAQUE: SymValue = { t: 'opaque' };

/** Applies `(word & mask) ∈ set`; undefined when the branch is impossible. */
function constrain(state: State, w: WordIndex, mask: number, set: readonly (readonly [number, number])[], notes: Set<string>): State | undefined {
  const next = withAtom(state.words[w] as WordConstraint, mask, set);
  const s = solve(next);
  if (s === 'none') return undefined;
  const words = state.words.slice();
  words[w] = next;
  if (s === 'unknown') {
    notes.add('a constraint was too complex to decide exactly');
    return { ...state, words, exact: false };
  }
  return { ...state, words };
}

function aluSym(op: string, a: SymValue, b: SymValue): SymValue {
  if (a.t === 'const' && b.t === 'const') {
    const v = aluConst(op, a.v, b.v);
    // A zero divisor never gets here (see `divisorSplit`): the kernel refuses `DIV #0`, and X = 0 ends the path.
    return v === undefined ? OPAQUE : { t: 'const', v };
  }
  if (op === 'and' && a.t === 'word' && b.t === 'const') return { t: 'word', w: a.w, mask: (a.mask & b.v) >>> 0 };
  if (op === 'and' && a.t === 'const' && b.t === 'word') return { t: 'word', w: b.w, mask: (b.mask & a.v) >>> 0 };
  // Identities that keep a loaded word intact.
  if (a.t === 'word' && b.t === 'const') {
    if (b.v === 0 && (op === 'add' || op === 'sub' || op === 'or' || op === 'xor')) return a;
    if ((b.v & 31) === 0 && (op === 'lsh' || op === 'rsh')) return a;
    if (b.v === 1 && (op === 'mul' || op === 'div')) return a;
  }
  return OPAQUE;
}

/**
 * Runs the filter symbolically. Throws `AnalysisError` for a program the kernel would refuse.
 */
export function symbolicExecute(program: Program, options: SymbolicOptions = {}): SymbolicResult {
  checkStructure(program);
  const maxPaths = options.maxPaths ?? 200_000;
  const leaves: Leaf[] = [];
  const notes = new Set<string>();
  const initial: State = {
    pc: 0, a: ZERO_VALUE, x: ZERO_VALUE, mem: Array.from({ length: 16 }, () => ZERO_VALUE),
    words: Array.from({ length: WORD_COUNT }, () => ANY_WORD), exact: true,
  };
  const stack: State[] = [initial];
  let truncated = false;
  while (stack.length > 0) {
    if (leaves.length >= maxPaths) {
      truncated = true;
      break;
    }
    let s = stack.pop() as State;
    for (;;) {
      const ins = program[s.pc] as Instruction;
      if (ins.kind === 'ret') {
        let verdict: number | undefined;
        let exact = s.exact;
        if (ins.src === 'k') verdict = ins.value >>> 0;
        else if (s.a.t === 'const') verdict = s.a.v;
        else {
          notes.add(`RET A returns a value computed from the input (instruction ${s.pc})`);
          exact = false;
        }
        leaves.push({ words: s.words, verdict, exact, retPc: s.pc });
        break;
      }
      if (ins.kind === 'jmp') {
        const rhs: SymValue = ins.src === 'k' ? { t: 'const', v: ins.value >>> 0 } : s.x;
        const branches = branch(s, ins.cond, s.a, rhs, ins.jt, ins.jf, notes);
        const [first, ...rest] = branches;
        for (const b of rest) stack.push(b);
        if (!first) break;
        s = first;
        continue;
      }
      if (ins.kind === 'alu' && ins.src === 'x' && (ins.op === 'div' || ins.op === 'mod')) {
        const split = divisorSplit(s, notes);
        if (split.zero) leaves.push({ words: split.zero.words, verdict: 0, exact: split.zero.exact, retPc: s.pc });
        if (!split.nonzero) break;
        s = split.nonzero;
      }
      s = step(s, ins);
    }
  }
  const reasons = [...notes];
  if (truncated) reasons.push(`the filter has more than ${maxPaths} paths; only the first ones were explored`);
  return { leaves, exact: !truncated && leaves.every((l) => l.exact), reasons, truncated };
}

function step(s: State, ins: Instruction): State {
  const pc = s.pc + 1;
  switch (ins.kind) {
    case 'ld_abs': return { ...s, pc, a: { t: 'word', w: ins.offset / 4, mask: U32_MAX } };
    case 'ld_len': return ins.dst === 'A' ? { ...s, pc, a: { t: 'const', v: SECCOMP_DATA_SIZE } } : { ...s, pc, x: { t: 'const', v: SECCOMP_DATA_SIZE } };
    case 'ld_imm': return ins.dst === 'A' ? { ...s, pc, a: { t: 'const', v: ins.value >>> 0 } } : { ...s, pc, x: { t: 'const', v: ins.value >>> 0 } };
    case 'ld_mem': {
      const v = s.mem[ins.slot] ?? ZERO_VALUE;
      return ins.dst === 'A' ? { ...s, pc, a: v } : { ...s, pc, x: v };
    }
    case 'st': {
      const mem = s.mem.slice();
      mem[ins.slot] = ins.src === 'A' ? s.a : s.x;
      return { ...s, pc, mem };
    }
    case 'alu': return { ...s, pc, a: aluSym(ins.op, s.a, ins.src === 'k' ? { t: 'const', v: ins.value >>> 0 } : s.x) };
    case 'neg': return { ...s, pc, a: s.a.t === 'const' ? { t: 'const', v: (-s.a.v) >>> 0 } : OPAQUE };
    case 'ja': return { ...s, pc: pc + ins.offset };
    case 'tax': return { ...s, pc, x: s.a };
    case 'txa': return { ...s, pc, a: s.x };
    default: throw new AnalysisError(`unsupported instruction ${ins.kind}`, s.pc);
  }
}

/**
 * `A /= X`: the inputs with X = 0 end here with return value 0 (the kernel's converted program tests X first),
 * the others go on. Either part is undefined when no input takes it.
 */
function divisorSplit(s: State, notes: Set<string>): { zero?: State; nonzero?: State } {
  const x = s.x;
  if (x.t === 'const') return x.v === 0 ? { zero: s } : { nonzero: s };
  if (x.t === 'word') {
    const zero = constrain(s, x.w, x.mask, ZERO, notes);
    const nonzero = constrain(s, x.w, x.mask, NONZERO, notes);
    return { ...(zero && { zero }), ...(nonzero && { nonzero }) };
  }
  notes.add(`a division by a value computed by arithmetic on input data (instruction ${s.pc})`);
  return { zero: { ...s, exact: false }, nonzero: { ...s, exact: false } };
}

function branch(
  s: State, cond: 'jeq' | 'jgt' | 'jge' | 'jset', lhs: SymValue, rhs: SymValue, jt: number, jf: number, notes: Set<string>,
): State[] {
  const taken = { ...s, pc: s.pc + 1 + jt };
  const notTaken = { ...s, pc: s.pc + 1 + jf };
  if (jt === jf) return [taken];
  if (lhs.t === 'const' && rhs.t === 'const') {
    return [holds(cond, lhs.v, rhs.v) ? taken : notTaken];
  }
  if (lhs.t === 'word' && rhs.t === 'const') return branchOnWord(taken, notTaken, cond, lhs, rhs.v, jumpSet, notes);
  if (lhs.t === 'const' && rhs.t === 'word') return branchOnWord(taken, notTaken, cond, rhs, lhs.v, reversedJumpSet, notes);
  notes.add(lhs.t === 'word' && rhs.t === 'word'
    ? `a comparison between two input words (instruction ${s.pc})`
    : `a comparison on a value computed by arithmetic on input data (instruction ${s.pc})`);
  return [{ ...taken, exact: false }, { ...notTaken, exact: false }];
}

/**
 * Splits on a comparison between a loaded word and a constant. `sets` gives the values of the word for which
 * the jump is taken or not (`reversedJumpSet` when the constant is on the left).
 */
function branchOnWord(
  taken: State, notTaken: State, cond: 'jeq' | 'jgt' | 'jge' | 'jset', word: { w: WordIndex; mask: number }, k: number,
  sets: typeof jumpSet, notes: Set<string>,
): State[] {
  if (cond === 'jset') {
    const mask = (word.mask & k) >>> 0;
    return both(constrain(taken, word.w, mask, NONZERO, notes), constrain(notTaken, word.w, mask, ZERO, notes));
  }
  return both(
    constrain(taken, word.w, word.mask, sets(cond, k, true), notes),
    constrain(notTaken, word.w, word.mask, sets(cond, k, false), notes),
  );
}

function both(a: State | undefined, b: State | undefined): State[] {
  return [a, b].filter((x): x is State => x !== undefined);
}

export function holds(cond: 'jeq' | 'jgt' | 'jge' | 'jset', a: number, b: number): boolean {
  switch (cond) {
    case 'jeq': return a >>> 0 === b >>> 0;
    case 'jgt': return a >>> 0 > b >>> 0;
    case 'jge': return a >>> 0 >= b >>> 0;
    case 'jset': return ((a & b) >>> 0) !== 0;
  }
}
