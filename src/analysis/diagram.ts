/**
 * A filter as a reduced decision diagram: the function from input to return value, built without following
 * paths one by one.
 *
 * The program runs abstractly: the registers and scratch slots hold a constant, a loaded word (optionally ANDed
 * with a mask), or an "opaque" value computed by other arithmetic on input data. Every (instruction, abstract
 * state) pair is visited once, whatever the number of paths that reach it: a jump does not change the state, so
 * paths that split on a test and meet again share everything after the meeting point. Registers and slots that
 * are dead at an instruction (overwritten before any read) are left out of its state, so that paths which
 * loaded different words they never look at again meet too.
 *
 * Nodes are hash-consed (one node per test and pair of children) and a test whose two children are the same
 * node is dropped: `N` diamonds `LD; JSET; JA; JA` in front of one test become that test alone.
 *
 * What the diagram does not track is the condition under which a node is reached: listing its cases
 * (`symbolic.ts`) carries the constraints along and drops cases no input can take.
 */
import type { Instruction, Program } from '../bpf/instructions.js';
import { SECCOMP_DATA_SIZE } from '../bpf/seccomp-data.js';
import { aluResult } from '../emulator/semantics.js';
import type { Budget } from './budget.js';
import { NONZERO, ZERO, jumpSet, reversedJumpSet, type WordIndex } from './constraints.js';
import { U32_MAX, contains, isFull, type IntervalSet } from './intervals.js';

export type SymValue =
  | { readonly t: 'const'; readonly v: number }
  | { readonly t: 'word'; readonly w: WordIndex; readonly mask: number }
  | { readonly t: 'opaque' };

export type DiagramNode =
  /** The program returns `verdict` (undefined: `RET A` of input data, with `reason`). */
  | { readonly kind: 'ret'; readonly verdict: number | undefined; readonly retPc: number; readonly reason?: string }
  /** `(word & mask) ∈ set` leads to `then`, anything else to `else`. */
  | { readonly kind: 'test'; readonly word: WordIndex; readonly mask: number; readonly set: IntervalSet; readonly then: number; readonly else: number }
  /** A comparison that cannot be expressed on loaded words: either child may follow. */
  | { readonly kind: 'unknown'; readonly reason: string; readonly then: number; readonly else: number };

export interface Diagram {
  /** Nodes by id; children always have smaller ids than their parents. */
  readonly nodes: readonly DiagramNode[];
  readonly root: number;
  /** Abstract states visited while building (one per reachable instruction and distinct live state). */
  readonly states: number;
}

/** Raised when the number of abstract states passes the limit (filters that compute many distinct constants). */
export class DiagramTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`the filter has more than ${limit} distinct abstract states`);
    this.name = 'DiagramTooLarge';
  }
}

const ZERO_VALUE: SymValue = { t: 'const', v: 0 };
const OPAQUE: SymValue = { t: 'opaque' };

/** Evaluates an ALU operation on constants exactly as the kernel does (32-bit unsigned, shift amounts modulo 32). */
export function aluConst(op: string, a: number, b: number): number | undefined {
  return aluResult(op as Parameters<typeof aluResult>[0], a >>> 0, b >>> 0);
}

function aluSym(op: string, a: SymValue, b: SymValue): SymValue {
  if (a.t === 'const' && b.t === 'const') {
    const v = aluConst(op, a.v, b.v);
    // A zero divisor never gets here: the kernel refuses `DIV #0`, and X = 0 ends the program first.
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

export function holds(cond: 'jeq' | 'jgt' | 'jge' | 'jset', a: number, b: number): boolean {
  switch (cond) {
    case 'jeq': return a >>> 0 === b >>> 0;
    case 'jgt': return a >>> 0 > b >>> 0;
    case 'jge': return a >>> 0 >= b >>> 0;
    case 'jset': return ((a & b) >>> 0) !== 0;
  }
}

// Liveness bits: A, X, then the 16 scratch slots.
const BIT_A = 1;
const BIT_X = 2;
const slotBit = (slot: number): number => 1 << (2 + slot);

/** For each instruction, the registers and slots that may be read before being written from there on. */
export function liveness(program: Program): Int32Array {
  const live = new Int32Array(program.length + 1);
  for (let pc = program.length - 1; pc >= 0; pc--) {
    const insn = program[pc] as Instruction;
    const next = live[pc + 1] ?? 0;
    let value: number;
    switch (insn.kind) {
      case 'ret': value = insn.src === 'A' ? BIT_A : 0; break;
      case 'ja': value = live[pc + 1 + insn.offset] ?? 0; break;
      case 'jmp': value = (live[pc + 1 + insn.jt] ?? 0) | (live[pc + 1 + insn.jf] ?? 0) | BIT_A | (insn.src === 'X' ? BIT_X : 0); break;
      case 'ld_abs': case 'ld_ind': value = next & ~BIT_A; break;
      case 'ld_len': case 'ld_imm': value = next & ~(insn.dst === 'A' ? BIT_A : BIT_X); break;
      case 'ld_mem': value = (next & ~(insn.dst === 'A' ? BIT_A : BIT_X)) | slotBit(insn.slot); break;
      case 'ldx_msh': value = next & ~BIT_X; break;
      case 'st': value = (next & ~slotBit(insn.slot)) | (insn.src === 'A' ? BIT_A : BIT_X); break;
      case 'alu': value = next | BIT_A | (insn.src === 'X' ? BIT_X : 0); break;
      case 'neg': value = next | BIT_A; break;
      case 'tax': value = (next & ~BIT_X) | BIT_A; break;
      case 'txa': value = (next & ~BIT_A) | BIT_X; break;
      default: value = next; break;
    }
    live[pc] = value;
  }
  return live;
}

interface State {
  readonly a: SymValue;
  readonly x: SymValue;
  readonly mem: readonly SymValue[];
}

const valueKey = (v: SymValue): string => (v.t === 'const' ? `c${v.v}` : v.t === 'word' ? `w${v.w}.${v.mask}` : 'o');

/** The state with dead parts reset, and its key. */
function canonical(s: State, live: number): { state: State; key: string } {
  const a = live & BIT_A ? s.a : ZERO_VALUE;
  const x = live & BIT_X ? s.x : ZERO_VALUE;
  let key = `${valueKey(a)}|${valueKey(x)}`;
  let mem = s.mem;
  if (live >>> 2 !== 0) {
    let changed = false;
    for (let slot = 0; slot < 16; slot++) {
      if (live & slotBit(slot)) key += `|${slot}:${valueKey(s.mem[slot] ?? ZERO_VALUE)}`;
      else if (s.mem[slot] !== ZERO_VALUE) changed = true;
    }
    if (changed) mem = s.mem.map((v, slot) => (live & slotBit(slot) ? v : ZERO_VALUE));
  } else if (s.mem.some((v) => v !== ZERO_VALUE)) {
    mem = EMPTY_MEM;
  }
  return { state: a === s.a && x === s.x && mem === s.mem ? s : { a, x, mem }, key };
}

const EMPTY_MEM: readonly SymValue[] = Array.from({ length: 16 }, () => ZERO_VALUE);

interface Entry {
  readonly pc: number;
  readonly state: State;
  /** The entries this one leads to (one, two for a branch, none for a return). */
  next: Entry[];
  node: number;
}

function step(s: State, insn: Instruction): State {
  switch (insn.kind) {
    case 'ld_abs': return { ...s, a: { t: 'word', w: insn.offset / 4, mask: U32_MAX } };
    case 'ld_len': return insn.dst === 'A' ? { ...s, a: { t: 'const', v: SECCOMP_DATA_SIZE } } : { ...s, x: { t: 'const', v: SECCOMP_DATA_SIZE } };
    case 'ld_imm': return insn.dst === 'A' ? { ...s, a: { t: 'const', v: insn.value >>> 0 } } : { ...s, x: { t: 'const', v: insn.value >>> 0 } };
    case 'ld_mem': {
      const v = s.mem[insn.slot] ?? ZERO_VALUE;
      return insn.dst === 'A' ? { ...s, a: v } : { ...s, x: v };
    }
    case 'st': {
      const mem = s.mem.slice();
      mem[insn.slot] = insn.src === 'A' ? s.a : s.x;
      return { ...s, mem };
    }
    case 'alu': return { ...s, a: aluSym(insn.op, s.a, insn.src === 'K' ? { t: 'const', v: insn.value >>> 0 } : s.x) };
    case 'neg': return { ...s, a: s.a.t === 'const' ? { t: 'const', v: (-s.a.v) >>> 0 } : OPAQUE };
    case 'tax': return { ...s, x: s.a };
    case 'txa': return { ...s, a: s.x };
    default: return s;
  }
}

/** What a conditional jump or a division decides: one successor, or a test between two. */
type Decision =
  | { readonly kind: 'go'; readonly pc: number }
  | { readonly kind: 'test'; readonly word: WordIndex; readonly mask: number; readonly set: IntervalSet; readonly then: number; readonly else: number }
  | { readonly kind: 'unknown'; readonly reason: string; readonly then: number; readonly else: number };

function jumpDecision(insn: Extract<Instruction, { kind: 'jmp' }>, pc: number, s: State): Decision {
  const taken = pc + 1 + insn.jt;
  const notTaken = pc + 1 + insn.jf;
  if (taken === notTaken) return { kind: 'go', pc: taken };
  const lhs = s.a;
  const rhs: SymValue = insn.src === 'K' ? { t: 'const', v: insn.value >>> 0 } : s.x;
  if (lhs.t === 'const' && rhs.t === 'const') return { kind: 'go', pc: holds(insn.cond, lhs.v, rhs.v) ? taken : notTaken };
  if ((lhs.t === 'word' && rhs.t === 'const') || (lhs.t === 'const' && rhs.t === 'word')) {
    const word = lhs.t === 'word' ? lhs : rhs as { w: WordIndex; mask: number };
    const k = lhs.t === 'const' ? lhs.v : (rhs as { v: number }).v;
    if (insn.cond === 'jset') return { kind: 'test', word: word.w, mask: (word.mask & k) >>> 0, set: NONZERO, then: taken, else: notTaken };
    const set = (lhs.t === 'word' ? jumpSet : reversedJumpSet)(insn.cond, k, true);
    return { kind: 'test', word: word.w, mask: word.mask, set, then: taken, else: notTaken };
  }
  const reason = lhs.t === 'word' && rhs.t === 'word'
    ? `a comparison between two input words (instruction ${pc})`
    : `a comparison on a value computed by arithmetic on input data (instruction ${pc})`;
  return { kind: 'unknown', reason, then: taken, else: notTaken };
}

export interface DiagramOptions {
  /** Most abstract states before giving up with `DiagramTooLarge` (default 400 000). */
  readonly maxStates?: number;
  readonly budget?: Budget;
}

/** Builds the reduced decision diagram of a program the kernel accepts (check it first). */
export function buildDiagram(program: Program, options: DiagramOptions = {}): Diagram {
  const maxStates = options.maxStates ?? 400_000;
  const budget = options.budget;
  const live = liveness(program);
  const byPc: Map<string, Entry>[] = Array.from({ length: program.length }, () => new Map());
  let states = 0;
  const enter = (pc: number, s: State): Entry => {
    const c = canonical(s, live[pc] ?? 0);
    const at = byPc[pc] as Map<string, Entry>;
    let e = at.get(c.key);
    if (!e) {
      if (++states > maxStates) throw new DiagramTooLarge(maxStates);
      budget?.tick('diagram', states);
      e = { pc, state: c.state, next: [], node: -1 };
      at.set(c.key, e);
    }
    return e;
  };
  enter(0, { a: ZERO_VALUE, x: ZERO_VALUE, mem: EMPTY_MEM });
  // Jumps go forward only: by the time an instruction is reached in order, every state that reaches it is known.
  // A decision per entry that branches (kept for the backward pass).
  const decisions = new Map<Entry, Decision | 'divide'>();
  for (let pc = 0; pc < program.length; pc++) {
    const insn = program[pc] as Instruction;
    for (const e of (byPc[pc] as Map<string, Entry>).values()) {
      const s = e.state;
      switch (insn.kind) {
        case 'ret': break;
        case 'ja': e.next = [enter(pc + 1 + insn.offset, s)]; break;
        case 'jmp': {
          const d = jumpDecision(insn, pc, s);
          if (d.kind === 'go') e.next = [enter(d.pc, s)];
          else {
            decisions.set(e, d);
            e.next = [enter(d.then, s), enter(d.else, s)];
          }
          break;
        }
        case 'alu':
          if (insn.src === 'X' && (insn.op === 'div' || insn.op === 'mod')) {
            // X = 0 ends the program with return value 0 (the kernel's converted program tests X first).
            if (s.x.t === 'const' && s.x.v === 0) break;
            if (s.x.t !== 'const') decisions.set(e, 'divide');
          }
          e.next = [enter(pc + 1, step(s, insn))];
          break;
        default:
          e.next = [enter(pc + 1, step(s, insn))];
      }
    }
  }
  const nodes: DiagramNode[] = [];
  const unique = new Map<string, number>();
  const make = (key: string, node: DiagramNode): number => {
    let id = unique.get(key);
    if (id === undefined) {
      id = nodes.length;
      nodes.push(node);
      unique.set(key, id);
    }
    return id;
  };
  const ret = (verdict: number | undefined, retPc: number, reason?: string): number =>
    make(`r${verdict}@${retPc}`, { kind: 'ret', verdict, retPc, ...(reason !== undefined && { reason }) });
  const test = (word: WordIndex, mask: number, set: IntervalSet, then: number, other: number): number => {
    if (then === other) return then;
    if (mask === 0) return contains(set, 0) ? then : other;
    if (set.length === 0) return other;
    if (mask === U32_MAX && isFull(set)) return then;
    return make(`t${word}&${mask}:${set.map(([a, b]) => `${a}-${b}`).join(',')}?${then}:${other}`, { kind: 'test', word, mask, set, then, else: other });
  };
  const unknown = (reason: string, then: number, other: number): number =>
    (then === other ? then : make(`u${reason}?${then}:${other}`, { kind: 'unknown', reason, then, else: other }));
  let done = 0;
  for (let pc = program.length - 1; pc >= 0; pc--) {
    const insn = program[pc] as Instruction;
    for (const e of (byPc[pc] as Map<string, Entry>).values()) {
      budget?.tick('diagram', ++done);
      const d = decisions.get(e);
      const [first, second] = e.next;
      if (insn.kind === 'ret') {
        if (insn.src === 'K') e.node = ret(insn.value >>> 0, pc);
        else if (e.state.a.t === 'const') e.node = ret(e.state.a.v, pc);
        else e.node = ret(undefined, pc, `RET A returns a value computed from the input (instruction ${pc})`);
      } else if (insn.kind === 'alu' && first === undefined) {
        e.node = ret(0, pc); // division by a zero X
      } else if (d === 'divide') {
        const x = e.state.x;
        const zero = ret(0, pc);
        e.node = x.t === 'word'
          ? test(x.w, x.mask, ZERO, zero, (first as Entry).node)
          : unknown(`a division by a value computed by arithmetic on input data (instruction ${pc})`, zero, (first as Entry).node);
      } else if (d?.kind === 'test') {
        e.node = test(d.word, d.mask, d.set, (first as Entry).node, (second as Entry).node);
      } else if (d?.kind === 'unknown') {
        e.node = unknown(d.reason, (first as Entry).node, (second as Entry).node);
      } else {
        e.node = (first as Entry).node;
      }
    }
  }
  const root = (byPc[0]?.values().next().value as Entry).node;
  return { nodes, root, states };
}
