/**
 * Argument conditions lowered to decisions over the 32-bit words a filter can load.
 *
 * A 64-bit comparison becomes tests on the high and low halves: `arg == c` is `hi == c_hi && lo == c_lo`;
 * an ordered comparison `arg op c` is `hi > c_hi`, or `hi == c_hi && lo op c_lo` (with the sides swapped for
 * `<` and `<=`). On i386 an argument is 32 bits wide and the high half is taken as 0, so the high tests are
 * decided here at compile time and never emitted: a constant with a non-zero high half can never equal an
 * i386 argument, is greater than all of them, and so on. With `width: 32` only the low halves take part.
 */
import type { JumpCond } from '../bpf/instructions.js';
import type { ArgIndex, WordHalf } from '../bpf/seccomp-data.js';
import { LINUX_ARCHES, type LinuxArchName } from '../syscalls/arch.js';
import type { ArgCondition } from '../policy/types.js';

/** `(word & mask) cond value`, where `word` is one half of one argument. */
export interface WordTest {
  readonly arg: ArgIndex;
  readonly half: WordHalf;
  /** AND applied before the comparison (omitted when 0xffffffff). */
  readonly mask?: number;
  readonly cond: JumpCond;
  readonly value: number;
}

/** A decision over word tests: `true` and `false` are the outcomes. */
export type Decision = boolean | { readonly test: WordTest; readonly ifTrue: Decision; readonly ifFalse: Decision };

const LO = 0xffffffffn;

function sameDecision(a: Decision, b: Decision): boolean {
  if (typeof a === 'boolean' || typeof b === 'boolean') return a === b;
  const s = a.test;
  const t = b.test;
  return s.arg === t.arg && s.half === t.half && s.mask === t.mask && s.cond === t.cond && s.value === t.value &&
    sameDecision(a.ifTrue, b.ifTrue) && sameDecision(a.ifFalse, b.ifFalse);
}

function holds(cond: JumpCond, word: number, value: number): boolean {
  switch (cond) {
    case 'jeq': return word === value;
    case 'jgt': return word > value;
    case 'jge': return word >= value;
    case 'jset': return (word & value) !== 0;
  }
}

/** Lowers conditions for one ABI, deciding statically what the ABI's known-zero words imply. */
export class ConditionLowering {
  constructor(private readonly abi: LinuxArchName) {}

  private node(test: WordTest, ifTrue: Decision, ifFalse: Decision): Decision {
    if (test.half === 'hi' && LINUX_ARCHES[this.abi].wordSize === 32) {
      return holds(test.cond, 0 & (test.mask ?? 0xffffffff), test.value) ? ifTrue : ifFalse;
    }
    if (sameDecision(ifTrue, ifFalse)) return ifTrue;
    return { test, ifTrue, ifFalse };
  }

  private word(arg: ArgIndex, half: WordHalf, cond: JumpCond, value: bigint, t: Decision, f: Decision): Decision {
    return this.node({ arg, half, cond, value: Number(value) }, t, f);
  }

  /** Comparison of one 32-bit half with `c` (at most 32 bits). */
  private compare32(arg: ArgIndex, half: WordHalf, op: ArgCondition['op'], c: bigint): Decision {
    switch (op) {
      case 'eq': return this.word(arg, half, 'jeq', c, true, false);
      case 'ne': return this.word(arg, half, 'jeq', c, false, true);
      case 'gt': return this.word(arg, half, 'jgt', c, true, false);
      case 'ge': return this.word(arg, half, 'jge', c, true, false);
      case 'lt': return this.word(arg, half, 'jge', c, false, true);
      case 'le': return this.word(arg, half, 'jgt', c, false, true);
      case 'masked_eq': throw new Error('masked_eq has its own lowering');
    }
  }

  private maskedHalf(arg: ArgIndex, half: WordHalf, mask: bigint, value: bigint, rest: Decision): Decision {
    if (mask === 0n) return value === 0n ? rest : false;
    const test: WordTest = mask === LO
      ? { arg, half, cond: 'jeq', value: Number(value) }
      : { arg, half, mask: Number(mask), cond: 'jeq', value: Number(value) };
    return this.node(test, rest, false);
  }

  /** The decision for one condition. */
  lower(c: ArgCondition): Decision {
    const { arg } = c;
    if (c.op === 'masked_eq') {
      const lo = this.maskedHalf(arg, 'lo', c.mask & LO, c.value & LO, true);
      if (c.width === 32) return lo;
      return this.maskedHalf(arg, 'hi', c.mask >> 32n, c.value >> 32n, lo);
    }
    if (c.width === 32) return this.compare32(arg, 'lo', c.op, c.value & LO);
    const hi = c.value >> 32n;
    const lo = this.compare32(arg, 'lo', c.op, c.value & LO);
    const hiEq = (ifEq: Decision, ifNe: Decision): Decision => this.word(arg, 'hi', 'jeq', hi, ifEq, ifNe);
    switch (c.op) {
      case 'eq': return hiEq(lo, false);
      case 'ne': return hiEq(lo, true);
      case 'gt':
      case 'ge': return this.word(arg, 'hi', 'jgt', hi, true, hiEq(lo, false));
      case 'lt':
      case 'le': return this.word(arg, 'hi', 'jgt', hi, false, hiEq(lo, true));
    }
  }
}

/** A stable text key for a decision (equal keys, equal decisions). */
export function decisionKey(d: Decision): string {
  if (typeof d === 'boolean') return d ? 'T' : 'F';
  const t = d.test;
  return `(${t.arg}${t.half}${t.mask === undefined ? '' : `&${t.mask}`}${t.cond}${t.value}?${decisionKey(d.ifTrue)}:${decisionKey(d.ifFalse)})`;
}
