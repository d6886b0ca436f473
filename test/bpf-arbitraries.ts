/**
 * fast-check generators for BPF programs used by the bpf tests: raw instructions with values biased towards
 * the edges the kernel checks, valid seccomp filters (with arch/nr checks so names get exercised), and any
 * program at all.
 */
import fc from 'fast-check';
import { fromRaw, ins, toRaw, type Instruction, type RawInstruction } from '../src/bpf/instructions.js';
import * as op from '../src/bpf/opcodes.js';
import { validate } from '../src/bpf/validator.js';

export const ALLOW = 0x7fff0000;

/** 32-bit constants biased to interesting values: small, syscall-like, arch ids, action values, edges. */
export const k32 = fc.oneof(
  fc.integer({ min: 0, max: 40 }),
  fc.integer({ min: 0, max: 460 }),
  fc.integer({ min: 0x40000000, max: 0x40000000 + 560 }),
  fc.constantFrom(0xc000003e, 0x40000003, 0x7fff0000, 0x80000000, 0x50001, 0x50026, 0x30000, 0x7ff00005, 0x7fc00000,
    0x7ffc0000, 0xffffffff, 0xfffff000, 0xfffff03c, 0xfffff040, 31, 32, 15, 16, 60, 61, 64),
  fc.nat({ max: 0xffffffff }),
);

/** Any raw instruction: every low opcode, sometimes a code past 0xff, any jt/jf/k. */
export const anyRaw: fc.Arbitrary<RawInstruction> = fc.record({
  code: fc.oneof({ weight: 9, arbitrary: fc.integer({ min: 0, max: 0xff }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff }) }),
  jt: fc.oneof(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 255 })),
  jf: fc.oneof(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 255 })),
  k: k32,
});

export const anyProgram = (maxLength = 40): fc.Arbitrary<Instruction[]> =>
  fc.array(anyRaw, { minLength: 0, maxLength }).map((rs) => rs.map(fromRaw));

const SECCOMP_ALU: ReadonlyArray<'add' | 'sub' | 'mul' | 'div' | 'or' | 'and' | 'lsh' | 'rsh' | 'xor'> =
  ['add', 'sub', 'mul', 'div', 'or', 'and', 'lsh', 'rsh', 'xor'];

/** One instruction of the seccomp subset; jumps stay within `room` instructions ahead. */
function seccompInstruction(room: number): fc.Arbitrary<Instruction> {
  const reach = Math.min(255, room - 1);
  const off = fc.oneof(fc.integer({ min: 0, max: Math.min(3, reach) }), fc.integer({ min: 0, max: reach }));
  const some: fc.Arbitrary<Instruction>[] = [
    fc.constantFrom(0, 4).map((o) => ins.loadWord(o)),
    fc.integer({ min: 0, max: 15 }).map((i) => ins.loadWord(i * 4)),
    fc.tuple(k32, fc.constantFrom<'A' | 'X'>('A', 'X')).map(([v, d]) => ins.loadConst(v, d)),
    fc.constantFrom<'A' | 'X'>('A', 'X').map((d) => ins.loadLen(d)),
    fc.tuple(fc.integer({ min: 0, max: 15 }), fc.constantFrom<'A' | 'X'>('A', 'X')).map(([s, r]) => ins.store(s, r)),
    fc.tuple(fc.constantFrom(...SECCOMP_ALU), k32).map(([o, v]) =>
      ins.alu(o, o === 'div' && v === 0 ? 1 : (o === 'lsh' || o === 'rsh') ? v % 32 : v)),
    fc.tuple(fc.constantFrom(...SECCOMP_ALU), k32).map(([o, v]) => ({ ...ins.aluX(o), value: v >>> 0 })),
    fc.constant(ins.neg()), fc.constant(ins.tax()), fc.constant(ins.txa()),
    k32.map((v) => ins.ret(v)), fc.constant(ins.retA()),
  ];
  if (room > 0) {
    some.push(
      fc.tuple(fc.constantFrom<'jeq' | 'jgt' | 'jge' | 'jset'>('jeq', 'jgt', 'jge', 'jset'), k32, off, off)
        .map(([c, v, t, f]) => ins.jump(c, v, t, f)),
      fc.tuple(fc.constantFrom<'jeq' | 'jgt' | 'jge' | 'jset'>('jeq', 'jgt', 'jge', 'jset'), off, off, fc.constantFrom(0, 0, 7))
        .map(([c, t, f, k]) => ({ ...ins.jumpX(c, t, f), value: k })),
      fc.constantFrom(0xc000003e, 0x40000003).chain((arch) => off.map((f) => ins.jump('jeq', arch, 0, f))),
      fc.integer({ min: 0, max: room - 1 }).map((o) => ins.ja(o)),
    );
  }
  return fc.oneof(...some);
}

/** Replaces each load of an uninitialised slot by a store to it until the program validates. */
export function repair(program: Instruction[]): Instruction[] {
  const p = [...program];
  for (let round = 0; round < p.length + 1; round++) {
    const v = validate(p);
    if (v.ok) return p;
    for (const e of v.errors) {
      if (e.rule !== 'memory-uninitialized') throw new Error(`generator made an invalid program: ${e.message}`);
      const bad = p[e.index] as Instruction;
      if (bad.kind === 'ld_mem') p[e.index] = ins.store(bad.slot, bad.dst);
    }
  }
  throw new Error('could not repair program');
}

/**
 * A valid seccomp filter: an optional arch check and nr load, then instructions of the seccomp subset with
 * in-range jumps, ending in RET. Sometimes ignored raw fields are set, to exercise byte-exact round trips.
 */
export const validProgram = (maxBody = 30): fc.Arbitrary<Instruction[]> =>
  fc.tuple(fc.integer({ min: 0, max: maxBody }), fc.boolean(), fc.boolean()).chain(([n, prologue, noise]) => {
    const body = Array.from({ length: n }, (_, i) => seccompInstruction(n - i));
    const ret = fc.oneof(k32.map((v) => ins.ret(v)), fc.constant(ins.retA()));
    const head: Instruction[] = prologue
      ? [ins.loadWord(4), ins.jump('jeq', 0xc000003e, 0, n + 2), ins.loadWord(0)]
      : [];
    return fc.tuple(fc.tuple(...body), ret, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { maxLength: noise ? 4 : 0 }))
      .map(([b, r, ignored]) => {
        let p = [...head, ...b, r];
        if (prologue) p = [...head.slice(0, 3), ...b, r, ins.ret(0x80000000)];
        for (const [at, v] of ignored) p = withIgnoredField(p, at % p.length, v);
        return repair(p);
      });
  });

/** Sets a field the instruction ignores (jt/jf of a non-jump, k of TAX/TXA/RET A/LEN/NEG), if it has one. */
function withIgnoredField(p: Instruction[], at: number, v: number): Instruction[] {
  const i = p[at] as Instruction;
  const r = toRaw(i);
  let changed: RawInstruction | undefined;
  if (op.bpfClass(r.code) !== op.BPF_JMP) changed = { ...r, jt: v };
  else if (r.code === (op.BPF_JMP | op.BPF_JA)) changed = { ...r, jf: v };
  if (i.kind === 'tax' || i.kind === 'txa' || i.kind === 'ld_len' || i.kind === 'neg' || (i.kind === 'ret' && i.src === 'A')) {
    changed = { ...(changed ?? r), k: v * 0x01010101 };
  }
  if (!changed) return p;
  const q = [...p];
  q[at] = fromRaw(changed);
  return q;
}
