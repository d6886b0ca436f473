/**
 * The arithmetic of classic BPF as Linux runs a seccomp filter (the classic program converted to eBPF, then
 * interpreted or JIT-compiled): unsigned 32-bit values, shift amounts taken modulo 32 (the eBPF interpreter
 * masks them and x86 shifts do the same), and a division or modulo by a zero X register that makes the whole
 * program return 0 (the conversion emits that test before each such instruction).
 *
 * Shared by the interpreter and the code generator, so that both compute the same thing.
 */
import type { AluOp } from '../bpf/instructions.js';

/** `A op v` for every ALU operation; `undefined` means "division by zero: the program returns 0". */
export function aluResult(op: AluOp, a: number, v: number): number | undefined {
  switch (op) {
    case 'add': return (a + v) >>> 0;
    case 'sub': return (a - v) >>> 0;
    case 'mul': return Math.imul(a, v) >>> 0;
    case 'div': return v === 0 ? undefined : Math.floor(a / v) >>> 0;
    case 'mod': return v === 0 ? undefined : (a % v) >>> 0;
    case 'or': return (a | v) >>> 0;
    case 'and': return (a & v) >>> 0;
    case 'xor': return (a ^ v) >>> 0;
    case 'lsh': return (a << (v & 31)) >>> 0;
    case 'rsh': return a >>> (v & 31);
  }
}

/** The same operation as a JavaScript expression over uint32 variables `a` and `v` (v non-zero for div/mod). */
export function aluExpression(op: AluOp, a: string, v: string): string {
  switch (op) {
    case 'add': return `(${a} + ${v}) >>> 0`;
    case 'sub': return `(${a} - ${v}) >>> 0`;
    case 'mul': return `Math.imul(${a}, ${v}) >>> 0`;
    case 'div': return `Math.floor(${a} / ${v}) >>> 0`;
    case 'mod': return `(${a} % ${v}) >>> 0`;
    case 'or': return `(${a} | ${v}) >>> 0`;
    case 'and': return `(${a} & ${v}) >>> 0`;
    case 'xor': return `(${a} ^ ${v}) >>> 0`;
    case 'lsh': return `(${a} << (${v} & 31)) >>> 0`;
    case 'rsh': return `${a} >>> (${v} & 31)`;
  }
}
