/**
 * fast-check arbitraries for the emulator's property tests: random programs the kernel accepts (every admitted
 * opcode, long jumps, scratch memory, ALU edge values, division by a zero X) and random syscall inputs on the
 * three x86 ABIs.
 */
import fc from 'fast-check';
import { ins, type AluOp, type Instruction, type JumpCond, type Program } from '../../src/bpf/instructions.js';
import { BPF_MEMWORDS } from '../../src/bpf/opcodes.js';
import { encodeAction } from '../../src/syscalls/actions.js';
import { X32_SYSCALL_BIT, type ArchName } from '../../src/syscalls/arch.js';
import { UNFILTERED_X86_64_SYSCALLS } from '../../src/emulator/exemptions.js';
import type { Probe } from './kernel-verdicts.js';

/** 32-bit values where arithmetic and comparisons change behaviour. */
export const EDGE_U32: readonly number[] = [
  0, 1, 2, 3, 31, 32, 33, 63, 64, 0xff, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0x80000001,
  0xfffffffe, 0xffffffff, 0x40000000, 0xc000003e, 0x40000003, 0x7fff0000, 0x00050000,
];

const u32 = (): fc.Arbitrary<number> =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...EDGE_U32) },
    { weight: 2, arbitrary: fc.integer({ min: 0, max: 0xffffffff }) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 64 }) },
  );

const retValue = (): fc.Arbitrary<number> =>
  fc.oneof(
    fc.constantFrom(
      encodeAction({ kind: 'ALLOW' }), encodeAction({ kind: 'KILL_PROCESS' }), encodeAction({ kind: 'KILL_THREAD' }),
      encodeAction({ kind: 'LOG' }), encodeAction({ kind: 'USER_NOTIF' }),
    ),
    fc.record({ kind: fc.constantFrom('ERRNO', 'TRAP', 'TRACE' as const), data: fc.integer({ min: 0, max: 0xffff }) })
      .map((a) => encodeAction(a as { kind: 'ERRNO' | 'TRAP' | 'TRACE'; data: number })),
    fc.integer({ min: 0, max: 0xffffffff }),
  );

const ALU_OPS: readonly AluOp[] = ['add', 'sub', 'mul', 'div', 'or', 'and', 'lsh', 'rsh', 'xor'];
const CONDS: readonly JumpCond[] = ['jeq', 'jgt', 'jge', 'jset'];

export interface ProgramShape {
  /** Body length range (the prologue that fills scratch memory comes on top). */
  readonly minLength?: number;
  readonly maxLength?: number;
  /** Make most returns far forward jumps instead, so that long programs run long and take jumps over 255. */
  readonly farJumps?: boolean;
}

/**
 * Programs the kernel accepts. A prologue stores to some scratch slots first, so that every later load of
 * those slots is initialised on every path; jumps land anywhere ahead, some further than 255 instructions.
 */
export function validProgram(shape: ProgramShape = {}): fc.Arbitrary<Program> {
  const minLength = shape.minLength ?? 2;
  const maxLength = shape.maxLength ?? 48;
  return fc.gen().map((g) => {
    const out: Instruction[] = [];
    const slots = g(fc.subarray, Array.from({ length: BPF_MEMWORDS }, (_, i) => i), { maxLength: 5 });
    for (const slot of slots) {
      out.push(g(fc.boolean) ? ins.loadWord(4 * g(fc.integer, { min: 0, max: 15 })) : ins.loadConst(g(u32)));
      if (g(fc.boolean)) {
        out.push(ins.tax(), ins.store(slot, 'X'));
      } else {
        out.push(ins.store(slot, 'A'));
      }
    }
    const n = g(fc.integer, { min: minLength, max: maxLength });
    for (let i = 0; i < n - 1; i++) {
      const left = n - i - 2; // instructions between this one and the last
      out.push(bodyInstruction(g, slots, left, shape.farJumps ?? false));
    }
    out.push(g(fc.boolean) ? ins.ret(g(retValue)) : ins.retA());
    return out;
  });
}

type Gen = fc.GeneratorValue;

function bodyInstruction(g: Gen, slots: readonly number[], left: number, farJumps: boolean): Instruction {
  const reg = (): 'A' | 'X' => (g(fc.boolean) ? 'A' : 'X');
  const jumpLength = (max: number): number =>
    (g(fc.boolean) ? g(fc.integer, { min: 0, max: Math.min(max, 4) }) : g(fc.integer, { min: 0, max }));
  const kind = g(fc.integer, { min: 0, max: 99 });
  if (kind < 14) return ins.loadWord(4 * g(fc.integer, { min: 0, max: 15 }));
  if (kind < 18) return ins.loadLen(reg());
  if (kind < 26) return ins.loadConst(g(u32), reg());
  if (kind < 31 && slots.length > 0) return ins.loadMem(g(fc.constantFrom, ...slots), reg());
  if (kind < 35) return ins.store(g(fc.integer, { min: 0, max: BPF_MEMWORDS - 1 }), reg());
  if (kind < 48) {
    const op = g(fc.constantFrom, ...ALU_OPS);
    let value = g(u32);
    if (op === 'div' && value === 0) value = 1;
    if (op === 'lsh' || op === 'rsh') value &= 31;
    return ins.alu(op, value);
  }
  if (kind < 56) return ins.aluX(g(fc.constantFrom, ...ALU_OPS));
  if (kind < 58) return ins.neg();
  if (kind < 62) return ins.tax();
  if (kind < 65) return ins.txa();
  if (kind < 70) return ins.ja(jumpLength(left));
  if (kind < 88) {
    const cond = g(fc.constantFrom, ...CONDS);
    const max = Math.min(255, left);
    const jt = jumpLength(max);
    const jf = jumpLength(max);
    return g(fc.integer, { min: 0, max: 3 }) === 0 ? ins.jumpX(cond, jt, jf) : ins.jump(cond, g(u32), jt, jf);
  }
  if (farJumps && kind < 97) return ins.ja(g(fc.integer, { min: Math.min(256, left), max: left }));
  if (kind < 94) return ins.ret(g(retValue));
  return ins.retA();
}

const u64 = (): fc.Arbitrary<bigint> =>
  fc.oneof(
    fc.tuple(u32(), u32()).map(([hi, lo]) => (BigInt(hi) << 32n) | BigInt(lo)),
    u32().map(BigInt),
    fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  );

/** Random syscall inputs on one of the three ABIs; x32 numbers carry the x32 bit. */
export function randomProbe(): fc.Arbitrary<Probe> {
  return fc.record({
    arch: fc.constantFrom<ArchName>('x86_64', 'i386', 'x32'),
    nr: fc.oneof(fc.integer({ min: 0, max: 460 }), u32()),
    args: fc.array(u64(), { minLength: 6, maxLength: 6 }),
  }).map((p) => {
    if (p.arch === 'x32') return { ...p, nr: (p.nr | X32_SYSCALL_BIT) >>> 0 };
    // The kernel runs no filter for these two (see bypassesFilters): probing them would run them.
    if (p.arch === 'x86_64' && UNFILTERED_X86_64_SYSCALLS.has(p.nr)) return { ...p, nr: p.nr + 2 };
    return p;
  });
}
