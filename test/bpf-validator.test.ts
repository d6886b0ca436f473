import { describe, expect, it } from 'vitest';
import { ins, fromRaw, type Instruction, type RawInstruction } from '../src/bpf/instructions.js';
import { assertValid, InvalidProgramError, validate } from '../src/bpf/validator.js';

const ALLOW = ins.ret(0x7fff0000);
const r = (code: number, k = 0, jt = 0, jf = 0): Instruction => fromRaw({ code, jt, jf, k } as RawInstruction);
const rules = (p: Instruction[]): string[] => {
  const v = validate(p);
  return v.ok ? [] : v.errors.map((e) => e.rule);
};

describe('validate (hand-picked edges)', () => {
  it('accepts a minimal filter and the seccomp subset', () => {
    expect(validate([ALLOW])).toEqual({ ok: true });
    expect(validate([ins.loadWord(0), ins.loadWord(60), ins.loadLen(), ins.loadLen('X'), ins.alu('div', 1), ins.alu('lsh', 31), ins.store(15), ins.loadMem(15), ALLOW])).toEqual({ ok: true });
  });

  it('names index, instruction text and rule', () => {
    const v = validate([ins.loadWord(2), ALLOW]);
    expect(v.ok).toBe(false);
    if (v.ok) return;
    expect(v.errors[0]).toMatchObject({ index: 0, rule: 'seccomp-load' });
    expect(v.errors[0]?.message).toMatch(/^instruction 0000 \(A = data\[2\]\): .*\[seccomp-load\]$/);
    expect(() => assertValid([ins.alu('mod', 3), ALLOW])).toThrow(InvalidProgramError);
  });

  it('refuses each rule at its edge', () => {
    expect(rules([])).toEqual(['length']);
    expect(rules(Array.from({ length: 4097 }, () => ALLOW))).toEqual(['length']);
    expect(rules(Array.from({ length: 4096 }, () => ALLOW))).toEqual([]);
    expect(rules([ins.loadWord(0)])).toEqual(['last-not-return']);
    expect(rules([ins.alu('div', 0), ALLOW])).toEqual(['division-by-zero']);
    expect(rules([ins.alu('mod', 0), ALLOW])).toEqual(['division-by-zero', 'seccomp-opcode']);
    expect(rules([ins.alu('rsh', 32), ALLOW])).toEqual(['shift-out-of-range']);
    expect(rules([ins.store(16), ALLOW])).toEqual(['memory-index']);
    expect(rules([ins.loadMem(0), ALLOW])).toEqual(['memory-uninitialized']);
    expect(rules([ins.ja(0), ALLOW])).toEqual([]);
    expect(rules([ins.ja(1), ALLOW])).toEqual(['jump-out-of-range']);
    expect(rules([ins.ja(0xffffffff), ALLOW])).toEqual(['jump-out-of-range']);
    expect(rules([ins.jump('jeq', 0, 0, 1), ALLOW])).toEqual(['jump-out-of-range']);
    expect(rules([ins.loadWord(64), ALLOW])).toEqual(['seccomp-load']);
    expect(rules([r(0x28, 0), ALLOW])).toEqual(['seccomp-opcode']); // ldh
    expect(rules([r(0x20, 0xfffff000), ALLOW])).toEqual(['seccomp-load']); // known ancillary: only seccomp refuses it
    expect(rules([r(0x20, 0xfffff040), ALLOW])).toEqual(['ancillary-load', 'seccomp-load']);
    expect(rules([r(0xb1, 0), ALLOW])).toEqual(['seccomp-opcode']); // msh
    expect(rules([r(0x0e, 0), ALLOW])).toEqual(['unknown-opcode']); // RET|X
    expect(rules([ALLOW, r(0x0e, 0)])).toEqual(['unknown-opcode', 'last-not-return']);
  });

  it('follows check_load_and_stores: a store on one path only, and dead code after RET inheriting the mask', () => {
    // jeq → store on the true path only, then both join at the load.
    expect(rules([ins.jump('jeq', 1, 0, 1), ins.store(3), ins.loadMem(3), ALLOW])).toEqual(['memory-uninitialized']);
    // Code after a jump (reached by nobody) starts with every slot valid.
    expect(rules([ins.ja(1), ins.loadMem(3), ALLOW])).toEqual([]);
    // Code after a RET inherits the mask from before the RET.
    expect(rules([ALLOW, ins.loadMem(3), ALLOW])).toEqual(['memory-uninitialized']);
    expect(rules([ins.store(3), ALLOW, ins.loadMem(3), ALLOW])).toEqual([]);
  });
});
