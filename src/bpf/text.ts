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
import type { Endian } from '../syscalls/arch.js';
import type { AluOp, Instruction, JumpCond, JumpIf } from './instructions.js';

/** How operands are named; every member is optional and falls back to numbers. */
export interface NamingContext {
  /** Text for `return K` (the action), e.g. `ERRNO(EPERM)`. */
  readonly action?: (value: number) => string;
  /** Text for the constant of a conditional jump, given what A holds there. */
  readonly jumpConstant?: (value: number, index: number) => string | undefined;
  /** The byte order of `seccomp_data` where instruction `index` loads (little when unknown). */
  readonly loadEndian?: (index: number) => Endian | undefined;
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

/**
 * The `seccomp_data` field a 32-bit absolute load reads, or undefined for other offsets. On a big-endian ABI
 * offset 16 is `args[0] >> 32` (the high half) and offset 20 is `args[0]`.
 */
export function dataFieldText(offset: number, endian: Endian = 'little'): string | undefined {
  const f = fieldAt(offset, endian);
  if (f === undefined) return undefined;
  switch (f.field) {
    case 'nr': return 'sys_number';
    case 'arch': return 'arch';
    case 'instruction_pointer': return f.half === 'hi' ? 'instruction_pointer >> 32' : 'instruction_pointer';
    case 'arg': return f.half === 'hi' ? `args[${f.index}] >> 32` : `args[${f.index}]`;
  }
}

const sizeName = (size: 1 | 2 | 4): string => (size === 4 ? 'data' : size === 2 ? 'data16' : 'data8');

function ignoredText(insn: Instruction): string {
  const parts: string[] = [];
  if (insn.kind === 'unknown') return '';
  if (insn.kind === 'jmp' || insn.kind === 'alu') {
    if (insn.src === 'X' && insn.value !== 0) parts.push(`k=${hex(insn.value)}`);
  }
  const ig = 'ignored' in insn ? insn.ignored : undefined;
  if (ig?.jt !== undefined) parts.push(`jt=${ig.jt}`);
  if (ig?.jf !== undefined) parts.push(`jf=${ig.jf}`);
  if (ig?.k !== undefined) parts.push(`k=${hex(ig.k)}`);
  return parts.length === 0 ? '' : ` {${parts.join(' ')}}`;
}

function jumpText(insn: JumpIf, index: number, ctx: NamingContext, target: (i: number) => string): string {
  const rhs = insn.src === 'X' ? 'X' : (ctx.jumpConstant?.(insn.value, index) ?? (insn.cond === 'jset' ? hex(insn.value) : num(insn.value)));
  const t = target(index + 1 + insn.jt);
  const f = target(index + 1 + insn.jf);
  if (insn.jf === 0) return `if (${comparisonText(insn.cond, false, rhs)}) goto ${t}`;
  if (insn.jt === 0) return `if (${comparisonText(insn.cond, true, rhs)}) goto ${f}`;
  return `if (${comparisonText(insn.cond, false, rhs)}) goto ${t} else goto ${f}`;
}

/**
 * The text of instruction `insn` at position `index`. Jump targets print as absolute indices through `target`
 * (four digits by default).
 */
export function instructionText(
  insn: Instruction,
  index: number,
  ctx: NamingContext = {},
  target: (i: number) => string = lineLabel,
): string {
  return body(insn, index, ctx, target) + ignoredText(insn);
}

function body(insn: Instruction, index: number, ctx: NamingContext, target: (i: number) => string): string {
  switch (insn.kind) {
    case 'ld_abs': {
      const field = insn.size === 4 ? dataFieldText(insn.offset, ctx.loadEndian?.(index) ?? 'little') : undefined;
      return `A = ${field ?? `${sizeName(insn.size)}[${insn.offset >>> 0}]`}`;
    }
    case 'ld_ind': return `A = ${sizeName(insn.size)}[X + ${insn.offset >>> 0}]`;
    case 'ld_len': return `${insn.dst} = len`;
    case 'ld_imm': return `${insn.dst} = ${num(insn.value)}`;
    case 'ld_mem': return `${insn.dst} = mem[${insn.slot >>> 0}]`;
    case 'ldx_msh': return `X = 4 * (data8[${insn.offset >>> 0}] & 0xf)`;
    case 'st': return `mem[${insn.slot >>> 0}] = ${insn.src}`;
    case 'alu': {
      const shift = insn.op === 'lsh' || insn.op === 'rsh';
      return `A ${ALU_SYMBOL[insn.op]} ${insn.src === 'X' ? 'X' : shift ? String(insn.value >>> 0) : num(insn.value)}`;
    }
    case 'neg': return 'A = -A';
    case 'ja': return `goto ${target(index + 1 + (insn.offset >>> 0))}`;
    case 'jmp': return jumpText(insn, index, ctx, target);
    case 'ret': return insn.src === 'A' ? 'return A' : `return ${ctx.action?.(insn.value) ?? hex(insn.value)}`;
    case 'tax': return 'X = A';
    case 'txa': return 'A = X';
    case 'unknown': {
      const r = insn.raw;
      return `.insn ${hex(r.code, 4)} ${hex(r.jt, 2)} ${hex(r.jf, 2)} ${hex(r.k, 8)}`;
    }
  }
}
