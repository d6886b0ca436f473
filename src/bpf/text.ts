/**
 * The one-line text of a single instruction, shared by the disassembler, the assembler's error messages and
 * the validator. Without a naming context every operand prints as a number; the disassembler passes a context
 * that turns return values, architectures and syscall numbers into names.
 *
 * Syntax (the assembler parses exactly this):
 *   A = sys_number | arch | instruction_pointer [>> 32] | args[i] [>> 32]   seccomp_data words
 *   A = data[K] | data16[K] | data8[K] | data[X + K] | …                    other packet loads (K decimal)
 *   X = 4 * (data8[K] & 0xf)                                                 MSH
 *   A = len | X = len | A = K | X = K | A = mem[i] | X = mem[i] | mem[i] = A | mem[i] = X
 *   A += K (-= *= /= |= &= <<= >>= %= ^=), A += X, A = -A, X = A, A = X
 *   goto L | if (A == K) goto L [else goto L] (also != > <= >= < & and !(A & K)) | return ACTION | return A
 *   .insn 0xCODE 0xJT 0xJF 0xK                                               any code classic BPF lacks
 * Raw fields the kernel ignores follow in braces, `{jt=1 jf=2 k=0x5}`, so the text keeps every bit.
 */
import { fieldAt } from './seccomp-data.js';
import type { AluOp, Instruction, JumpCond, JumpIf } from './instructions.js';

/** How operands are named; every member is optional and falls back to numbers. */
export interface NamingContext {
  /** Text for `return K` (the action), e.g. `ERRNO(EPERM)`. */
  readonly action?: (value: number) => string;
  /** Text for the constant of a conditional jump, given what A holds there. */
  readonly jumpConstant?: (value: number, index: number) => string | undefined;
}

export const ALU_SYMBOL: Readonly<Record<AluOp, string>> = {
  add: '+=', sub: '-=', mul: '*=', div: '/=', or: '|=', and: '&=', lsh: '<<=', rsh: '>>=', mod: '%=', xor: '^=',
};

/** Comparison text when the condition holds (`pos`) and when it does not (`neg`). */
export const COND_SYMBOL: Readonly<Record<JumpCond, { readonly pos: string; readonly neg: string }>> = {
  jeq: { pos: '==', neg: '!=' },
  jgt: { pos: '>', neg: '<=' },
  jge: { pos: '>=', neg: '<' },
  jset: { pos: '&', neg: '!&' },
};

/** `A == K`, or for a negated JSET `!(A & K)`. */
export function comparisonText(cond: JumpCond, negated: boolean, rhs: string): string {
  if (cond === 'jset' && negated) return `!(A & ${rhs})`;
  return `A ${negated ? COND_SYMBOL[cond].neg : COND_SYMBOL[cond].pos} ${rhs}`;
}

export const hex = (n: number, width = 0): string => `0x${(n >>> 0).toString(16).padStart(width, '0')}`;

/** Constants print in decimal when small, in hex otherwise. */
export const num = (n: number): string => ((n >>> 0) < 10 ? String(n >>> 0) : hex(n));

export const lineLabel = (index: number): string => String(index).padStart(4, '0');

/** The `seccomp_data` field a 32-bit absolute load reads, or undefined for other offsets. */
export function dataFieldText(offset: number): string | undefined {
  const f = fieldAt(offset);
  if (f === undefined) return undefined;
  switch (f.field) {
    case 'nr': return 'sys_number';
    case 'arch': return 'arch';
    case 'instruction_pointer': return f.half === 'hi' ? 'instruction_pointer >> 32' : 'instruction_pointer';
    case 'arg': return f.half === 'hi' ? `args[${f.index}] >> 32` : `args[${f.index}]`;
  }
}

const sizeName = (size: 1 | 2 | 4): string => (size === 4 ? 'data' : size === 2 ? 'data16' : 'data8');

function ignoredText(ins: Instruction): string {
  const parts: string[] = [];
  if (ins.kind === 'unknown') return '';
  if (ins.kind === 'jmp' || ins.kind === 'alu') {
    if (ins.src === 'x' && ins.value !== 0) parts.push(`k=${hex(ins.value)}`);
  }
  const ig = 'ignored' in ins ? ins.ignored : undefined;
  if (ig?.jt !== undefined) parts.push(`jt=${ig.jt}`);
  if (ig?.jf !== undefined) parts.push(`jf=${ig.jf}`);
  if (ig?.k !== undefined) parts.push(`k=${hex(ig.k)}`);
  return parts.length === 0 ? '' : ` {${parts.join(' ')}}`;
}

function jumpText(ins: JumpIf, index: number, ctx: NamingContext, target: (i: number) => string): string {
  const rhs = ins.src === 'x' ? 'X' : (ctx.jumpConstant?.(ins.value, index) ?? (ins.cond === 'jset' ? hex(ins.value) : num(ins.value)));
  const t = target(index + 1 + ins.jt);
  const f = target(index + 1 + ins.jf);
  if (ins.jf === 0) return `if (${comparisonText(ins.cond, false, rhs)}) goto ${t}`;
  if (ins.jt === 0) return `if (${comparisonText(ins.cond, true, rhs)}) goto ${f}`;
  return `if (${comparisonText(ins.cond, false, rhs)}) goto ${t} else goto ${f}`;
}

/**
 * The text of instruction `ins` at position `index`. Jump targets print as absolute indices through `target`
 * (four digits by default).
 */
export function instructionText(
  ins: Instruction,
  index: number,
  ctx: NamingContext = {},
  target: (i: number) => string = lineLabel,
): string {
  return body(ins, index, ctx, target) + ignoredText(ins);
}

function body(ins: Instruction, index: number, ctx: NamingContext, target: (i: number) => string): string {
  switch (ins.kind) {
    case 'ld_abs': {
      const field = ins.size === 4 ? dataFieldText(ins.offset) : undefined;
      return `A = ${field ?? `${sizeName(ins.size)}[${ins.offset >>> 0}]`}`;
    }
    case 'ld_ind': return `A = ${sizeName(ins.size)}[X + ${ins.offset >>> 0}]`;
    case 'ld_len': return `${ins.dst} = len`;
    case 'ld_imm': return `${ins.dst} = ${num(ins.value)}`;
    case 'ld_mem': return `${ins.dst} = mem[${ins.slot >>> 0}]`;
    case 'ldx_msh': return `X = 4 * (data8[${ins.offset >>> 0}] & 0xf)`;
    case 'st': return `mem[${ins.slot >>> 0}] = ${ins.src}`;
    case 'alu': {
      const shift = ins.op === 'lsh' || ins.op === 'rsh';
      return `A ${ALU_SYMBOL[ins.op]} ${ins.src === 'x' ? 'X' : shift ? String(ins.value >>> 0) : num(ins.value)}`;
    }
    case 'neg': return 'A = -A';
    case 'ja': return `goto ${target(index + 1 + (ins.offset >>> 0))}`;
    case 'jmp': return jumpText(ins, index, ctx, target);
    case 'ret': return ins.src === 'a' ? 'return A' : `return ${ctx.action?.(ins.value) ?? hex(ins.value)}`;
    case 'tax': return 'X = A';
    case 'txa': return 'A = X';
    case 'unknown': {
      const r = ins.raw;
      return `.insn ${hex(r.code, 4)} ${hex(r.jt, 2)} ${hex(r.jf, 2)} ${hex(r.k, 8)}`;
    }
  }
}
