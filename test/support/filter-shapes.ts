/**
 * Filter shapes that stress the analysis: the diamonds of issue 11 (`LD; JSET; JA; JA` in front of one test,
 * 2^N paths, one decision), long chains of tests, and a parity filter whose exact explanation has 2^N cases.
 * Shared by the regression tests and the analysis benchmark.
 */
import { ins, type Instruction, type Program } from '../../src/bpf/instructions.js';
import { AUDIT_ARCH_X86_64 } from '../../src/syscalls/arch.js';

export const ALLOW = 0x7fff0000;
export const ERRNO_EPERM = 0x00050001;
export const KILL_PROCESS = 0x80000000;

/** Offset of the low half of argument `i`. */
const argLo = (i: number): number => 16 + 8 * i;

/**
 * `n` diamonds `LD word; JSET bit; JA +1; JA +0`, then `arg0.lo == 5 ? ERRNO(EPERM) : ALLOW`: 4n + 4
 * instructions (88 for n = 21), 2^n paths, and a verdict that depends on `arg0.lo` only. With `varied`, each
 * diamond loads another word (ip, arguments, nr, arch) and tests another bit.
 */
export function diamonds(n: number, varied = false): Program {
  const out: Instruction[] = [];
  for (let i = 0; i < n; i++) {
    const offset = varied ? 4 * (i % 16) : argLo(1);
    out.push(ins.loadWord(offset), ins.jump('jset', varied ? 1 << (i % 32) : 1, 0, 1), ins.ja(1), ins.ja(0));
  }
  out.push(ins.loadWord(argLo(0)), ins.jump('jeq', 5, 0, 1), ins.ret(ERRNO_EPERM), ins.ret(ALLOW));
  return out;
}

/**
 * An allow-list as a flat chain: arch check, then `nr == k ? ALLOW : next` for `n` numbers, else ERRNO: 2n + 5
 * instructions, n + 2 cases.
 */
export function nrChain(n: number): Program {
  const out: Instruction[] = [ins.loadWord(4), ins.jump('jeq', AUDIT_ARCH_X86_64, 1, 0), ins.ret(KILL_PROCESS), ins.loadWord(0)];
  for (let i = 0; i < n; i++) out.push(ins.jump('jeq', i, 0, 1), ins.ret(ALLOW));
  out.push(ins.ret(ERRNO_EPERM));
  return out;
}

/**
 * One syscall with `n` argument tests in a chain (`arg(i % 6).lo == i ? ERRNO(i) : next`), behind an arch and
 * nr check: 3n + 7 instructions, n + 3 cases.
 */
export function argChain(n: number): Program {
  const out: Instruction[] = [
    ins.loadWord(4), ins.jump('jeq', AUDIT_ARCH_X86_64, 1, 0), ins.ret(KILL_PROCESS),
    ins.loadWord(0), ins.jump('jeq', 41, 1, 0), ins.ret(ALLOW),
  ];
  for (let i = 0; i < n; i++) out.push(ins.loadWord(argLo(i % 6)), ins.jump('jeq', i, 0, 1), ins.ret(0x00050000 | (i & 0xfff)));
  out.push(ins.ret(ALLOW));
  return out;
}

/**
 * The parity of bit 0 of `n` words, kept in scratch slot 0: `ERRNO` when odd, else `ALLOW`. The diagram stays
 * small (two states per instruction) but any exact list of conjunctions has 2^n cases.
 */
export function parity(n: number): Program {
  const out: Instruction[] = [ins.loadConst(0), ins.store(0)];
  for (let i = 0; i < n; i++) {
    out.push(ins.loadWord(4 * (2 + (i % 14))), ins.jump('jset', 1 << Math.floor(i / 14), 0, 3),
      ins.loadMem(0), ins.alu('xor', 1), ins.store(0));
  }
  out.push(ins.loadMem(0), ins.jump('jeq', 1, 0, 1), ins.ret(ERRNO_EPERM), ins.ret(ALLOW));
  return out;
}
