/** Inputs on the boundaries of a filter's own constants, and programs, for checking analyses against the emulator. */
import fc from 'fast-check';
import { ins, type Instruction, type Program } from '../../src/bpf/instructions.js';
import { validate } from '../../src/bpf/validator.js';
import { boundaryValues, programConstants } from '../../src/analysis/constants.js';
import { AUDIT_ARCH_I386, AUDIT_ARCH_X86_64 } from '../../src/syscalls/arch.js';

const ALLOW = 0x7fff0000;
const ERRNO_EPERM = 0x00050001;
const TRACE = 0x7ff00000;

/** The environment in Node; none in a browser, where these tests also run (vitest.config.ts, project chromium). */
const env: Readonly<Record<string, string | undefined>> = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};
/** Property runs: `SECCOMP_TS_RUNS` overrides every count (a long soak: SECCOMP_TS_RUNS=20000). */
export const runs = (normal: number): number => Number(env.SECCOMP_TS_RUNS ?? normal);
/** fast-check parameters: `SECCOMP_TS_SEED` replays a reported failure. */
export const replay = (): { seed?: number } =>
  (env.SECCOMP_TS_SEED === undefined ? {} : { seed: Number(env.SECCOMP_TS_SEED) });

/** For each word a filter could load and each boundary value c-1, c, c+1: an input with that word set. */
export function boundaryInputs(program: Program, arches: readonly number[] = [AUDIT_ARCH_X86_64, AUDIT_ARCH_I386, 0x1234]): Uint32Array[] {
  const values = boundaryValues(programConstants(program));
  const out: Uint32Array[] = [];
  for (const arch of arches) {
    for (const v of values) {
      for (const word of [0, 2, 3, 4, 5, 6, 7, 14, 15]) {
        const w = new Uint32Array(16);
        w[1] = arch;
        w[word] = v;
        out.push(w);
      }
      const all = new Uint32Array(16).fill(v);
      all[1] = arch;
      out.push(all);
    }
  }
  return out;
}

/**
 * Inputs pairing every interesting arch value with every interesting syscall number: the program's own
 * boundary values (c-1, c, c+1 of each constant), the two x86 arch values and a foreign one, the x32 bit.
 * The other words are 0, or the boundary values in turn, so that argument tests meet both sides too.
 */
export function crossInputs(program: Program, limit = 600): Uint32Array[] {
  const values = boundaryValues(programConstants(program));
  const arches = [...new Set([AUDIT_ARCH_X86_64, AUDIT_ARCH_I386, 0x1234, ...values])];
  const nrs = [...new Set([0, 1, 59, 0x40000000, 0x40000001, ...values])];
  const out: Uint32Array[] = [];
  let turn = 0;
  for (const arch of arches) {
    for (const nr of nrs) {
      for (const fill of [0, values[turn++ % values.length] as number]) {
        const w = new Uint32Array(16).fill(fill);
        w[0] = nr;
        w[1] = arch;
        out.push(w);
      }
    }
  }
  if (out.length <= limit) return out;
  const step = out.length / limit;
  return Array.from({ length: limit }, (_, i) => out[Math.floor(i * step)] as Uint32Array);
}

/**
 * Decision trees over `arch`, `nr` and one argument, with few shared constants, passing values through scratch
 * memory and X, dividing and shifting by X: the programs where lines for different arch ranges or numbers can be
 * confused, and where the kernel's arithmetic has corner cases. Each test is `load; step; jump` and jumps only to
 * the start of a later test or to one of the final RETs.
 */
export function selectorProgramArb(): fc.Arbitrary<Program> {
  const values = [0, 1, 2, 59, 0x1234, 0x40000000, 0x40000003, AUDIT_ARCH_X86_64, AUDIT_ARCH_I386, 0xffffffff];
  const value = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...values) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffffffff }) });
  const verdict = fc.constantFrom(ALLOW, ERRNO_EPERM, TRACE, 0x80000000, 0);
  const load = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(0, 4, 16).map((o) => ins.loadWord(o)) },
    { weight: 1, arbitrary: fc.constantFrom(ins.loadMem(0), ins.loadConst(0x1234)) },
  );
  const step = fc.constantFrom<Instruction>(
    ins.alu('add', 0), ins.alu('add', 0), ins.store(0), ins.store(0), ins.tax(), ins.alu('and', 0xffff), ins.alu('rsh', 0),
    ins.alu('or', 0x40000000), ins.txa(), ins.loadMem(0),
    // The kernel's arithmetic: A / X ends the program with 0 when X is 0; shift amounts are taken modulo 32.
    ins.aluX('div'), ins.aluX('lsh'), ins.aluX('rsh'), ins.loadConst(0, 'X'), ins.loadConst(33, 'X'),
  );
  const cond = fc.constantFrom('jeq', 'jeq', 'jgt', 'jge', 'jset' as const);
  return fc.tuple(fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 4 })).chain(([tests, rets]) => {
    const target = (i: number) => fc.integer({ min: i + 1, max: tests + rets - 1 });
    const blocks = Array.from({ length: tests }, (_, i) => fc.tuple(load, step, cond, value, fc.boolean(), target(i), target(i)));
    return fc.tuple(fc.tuple(...blocks), fc.array(verdict, { minLength: rets, maxLength: rets })).map(([bs, vs]) => {
      // Block i starts at 2 + 3i (after the two stores); RET r sits at 2 + 3 * tests + r.
      const startOf = (t: number) => (t < tests ? 2 + 3 * t : 2 + 3 * tests + (t - tests));
      const body = (bs as [Instruction, Instruction, 'jeq', number, boolean, number, number][]).flatMap(([ld, st, c, v, useX, t, f], i) => {
        const jumpAt = 2 + 3 * i + 2;
        const jt = startOf(t) - jumpAt - 1;
        const jf = startOf(f) - jumpAt - 1;
        return [ld, st, useX ? ins.jumpX(c, jt, jf) : ins.jump(c, v, jt, jf)];
      });
      return [ins.store(0), ins.store(1), ...body, ...vs.map((v) => ins.ret(v))] as Program;
    });
  }).filter((p) => validate(p).ok);
}
