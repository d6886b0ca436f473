import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ins, type Instruction, type Program } from '../src/bpf/instructions.js';
import { validate } from '../src/bpf/validator.js';
import { interpret } from '../src/emulator/interpreter.js';
import { optimizeProgram, NO_OPTIMIZATIONS, type OptimizeOptions } from '../src/compiler/optimize/index.js';
import { lowerCaseChains, MIN_CASE_CHAIN } from '../src/compiler/optimize/cases.js';

const ALLOW = 0x7fff0000;
const KILL = 0x80000000;
const ERRNO = (e: number) => (0x00050000 | e) >>> 0;

/** A small pool of constants so that tests, loads and comparisons often coincide. */
const VALUES = [0, 1, 2, 3, 5, 7, 0x40000000, 0xc000003e, 0x40000003, 0xffffffff];
const value = fc.oneof(fc.constantFrom(...VALUES), fc.nat({ max: 10 }), fc.integer({ min: 0, max: 0xffffffff }));
const offset = fc.constantFrom(0, 4, 16, 20, 24, 60);

/** One instruction at position `at` of a program of `length` (jumps stay inside, forward). */
function instructionAt(at: number, length: number): fc.Arbitrary<Instruction> {
  const room = length - at - 2; // largest offset that still lands inside the program
  const ret = fc.constantFrom(ALLOW, KILL, ERRNO(1), ERRNO(38), 0x00030000).map(ins.ret);
  if (room < 0) return ret;
  const jump = fc.nat({ max: room });
  return fc.oneof(
    { weight: 4, arbitrary: offset.map(ins.loadWord) },
    { weight: 6, arbitrary: fc.tuple(fc.constantFrom('jeq', 'jgt', 'jge', 'jset' as const), value, jump, jump)
      .map(([c, v, t, f]) => ins.jump(c, v, t, f)) },
    { weight: 1, arbitrary: jump.map(ins.ja) },
    { weight: 1, arbitrary: value.map((v) => ins.loadConst(v)) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom('and', 'or', 'add', 'rsh' as const), fc.nat({ max: 31 }))
      .map(([o, v]) => ins.alu(o, v)) },
    { weight: 1, arbitrary: fc.constantFrom(ins.tax(), ins.txa(), ins.loadMem(0), ins.loadConst(3, 'X')) },
    { weight: 1, arbitrary: fc.constantFrom(ins.jumpX('jeq', 0, 0), ins.jumpX('jgt', 0, 1)) },
    { weight: 3, arbitrary: ret },
  );
}

/** Valid seccomp programs (scratch word 0 is stored first, so loading it is always allowed). */
const programArb: fc.Arbitrary<Program> = fc.integer({ min: 2, max: 48 }).chain((length) =>
  fc.tuple(...Array.from({ length: length - 1 }, (_, i) => instructionAt(i + 1, length)))
    .map((body) => [ins.store(0), ...body.slice(0, -1), ins.ret(body.length % 2 ? ALLOW : KILL)] as Program)
    .map((p) => p.map((x, i) => (i === p.length - 1 && x.kind !== 'ret' ? ins.ret(ALLOW) : x))),
).filter((p) => validate(p).ok);

const wordsArb = fc.array(fc.oneof(fc.constantFrom(...VALUES), fc.nat({ max: 10 }), fc.integer({ min: 0, max: 0xffffffff })),
  { minLength: 16, maxLength: 16 }).map((w) => Uint32Array.from(w));

/** Every pass that never lengthens a path (case trees trade the first values' cost for the worst case's). */
const OPTION_SETS: OptimizeOptions[] = [
  { caseTrees: false },
  { ...NO_OPTIMIZATIONS, threadJumps: true },
  { ...NO_OPTIMIZATIONS, removeRedundantLoads: true },
  { ...NO_OPTIMIZATIONS, mergeTails: true },
  { ...NO_OPTIMIZATIONS, removeDeadCode: true },
  { threadJumps: false, caseTrees: false },
  { mergeTails: false, caseTrees: false },
];

describe('optimizeProgram', () => {
  it('does not fall through into a branch that was threaded for other predecessors (found by the property below)', () => {
    // arch < 2 reaches the load at 7 with A = 0; threading moves that edge past the arch test at 8 to 13, and 8's
    // false edge (reached only with arch >= 2) to 14. Falling through from 7 into 8 would then skip the arch < 1 test.
    const program: Program = [
      ins.store(0), ins.loadWord(4), ins.jump('jge', 2, 4, 0), ins.tax(), ins.jumpX('jeq', 0, 0), ins.tax(), ins.loadConst(0),
      ins.loadWord(4), ins.jump('jeq', 0xc000003e, 0, 4), ins.loadWord(0), ins.ret(0x7fff0000), ins.tax(), ins.loadWord(0),
      ins.jump('jge', 1, 0, 2), ins.loadConst(0), ins.ret(0x00050001), ins.ret(0x7fff0000),
    ];
    for (const arch of [0, 1, 2, 0xc000003e]) {
      const words = new Uint32Array(16);
      words[1] = arch;
      expect(interpret(optimizeProgram(program), words).raw).toBe(interpret(program, words).raw);
    }
  });

  it('keeps a load whose value the source successor of a later node still reads (dead only on the threaded edge)', () => {
    // 5 (X = 3) is threaded past the arg0 == 6 test at 6, which 5's path has already decided; 3 also reaches 6,
    // with A = arg1. The load at 4 is dead only while 5 skips 6: layout may send 5 back into 6 to avoid a stub.
    const program: Program = [
      ins.loadWord(16), ins.jump('jeq', 6, 7, 0), ins.loadWord(24), ins.jump('jset', 1, 2, 0),
      ins.loadWord(16), ins.loadConst(3, 'X'), ins.jump('jeq', 6, 3, 0), ins.loadWord(0), ins.retA(),
      ins.ret(ERRNO(1)), ins.ret(KILL),
    ];
    expect(validate(program)).toEqual({ ok: true });
    const optimized = optimizeProgram(program);
    for (const [a0, a1] of [[0, 6], [0, 7], [6, 6], [1, 4], [3, 6]] as const) {
      const words = new Uint32Array(16);
      words[4] = a0;
      words[6] = a1;
      expect(interpret(optimized, words).raw).toBe(interpret(program, words).raw);
    }
  });

  it('keeps every verdict, never lengthens a path nor the program, and stays a valid filter', () => {
    fc.assert(fc.property(programArb, fc.array(wordsArb, { minLength: 1, maxLength: 12 }), fc.constantFrom(...OPTION_SETS),
      (program, inputs, options) => {
        const optimized = optimizeProgram(program, options);
        expect(validate(optimized)).toEqual({ ok: true });
        expect(optimized.length).toBeLessThanOrEqual(program.length);
        for (const words of inputs) {
          const before = interpret(program, words);
          const after = interpret(optimized, words);
          expect(after.raw).toBe(before.raw);
          expect(after.executed).toBeLessThanOrEqual(before.executed);
        }
      }), { numRuns: 3000 });
  });

  it('is idempotent in size: a second run finds nothing more to remove', () => {
    fc.assert(fc.property(programArb, (program) => {
      const once = optimizeProgram(program);
      expect(optimizeProgram(once).length).toBeLessThanOrEqual(once.length);
    }), { numRuns: 500 });
  });

  it('returns the program untouched with every pass off', () => {
    const p = [ins.loadWord(0), ins.ja(0), ins.ret(ALLOW)];
    expect(optimizeProgram(p, NO_OPTIMIZATIONS)).toBe(p);
  });

  it('leaves one return per verdict and shares identical argument checks', () => {
    const p: Program = [
      ins.loadWord(0),
      ins.jump('jeq', 1, 0, 3),
      ins.loadWord(16), ins.jump('jeq', 5, 5, 6),
      ins.ret(KILL),
      ins.jump('jeq', 2, 0, 3),
      ins.loadWord(16), ins.jump('jeq', 5, 1, 2),
      ins.ret(KILL),
      ins.ret(ALLOW),
      ins.ret(KILL),
    ];
    expect(validate(p)).toEqual({ ok: true });
    const o = optimizeProgram(p);
    expect(o.filter((x) => x.kind === 'ret').length).toBe(2);
    expect(o.filter((x) => x.kind === 'ld_abs' && x.offset === 16).length).toBe(1);
  });

  it('threads a jump past a test the path already decided and drops the repeated load', () => {
    const p: Program = [
      ins.loadWord(0),
      ins.jump('jgt', 100, 0, 3),   // nr > 100
      ins.loadWord(0),              // redundant
      ins.jump('jgt', 50, 0, 1),    // always true here
      ins.ret(ERRNO(1)),
      ins.ret(ALLOW),
    ];
    const o = optimizeProgram(p);
    expect(o).toEqual([ins.loadWord(0), ins.jump('jgt', 100, 0, 1), ins.ret(ERRNO(1)), ins.ret(ALLOW)]);
    for (const nr of [0, 50, 51, 100, 101, 0xffffffff]) {
      const w = new Uint32Array(16);
      w[0] = nr;
      expect(interpret(o, w).raw).toBe(interpret(p, w).raw);
    }
  });

  it('turns chains of jumps into one jump', () => {
    const p: Program = [ins.loadWord(0), ins.jump('jeq', 1, 0, 1), ins.ja(1), ins.ja(0), ins.ret(ALLOW)];
    expect(optimizeProgram(p)).toEqual([ins.ret(ALLOW)]);
    expect(optimizeProgram(p, { removeDeadCode: false })).toEqual([ins.loadWord(0), ins.ret(ALLOW)]);
  });

  it('reaches far targets through stubs only where needed, copying returns instead of jumping to them', () => {
    // A chain of 300 tests whose matches leave through `ja` to a shared block or a far return: once the
    // jumps are threaded, most conditional jumps are too long for 8 bits.
    const n = 300;
    const p: Instruction[] = [ins.loadWord(0)];
    for (let i = 0; i < n; i++) {
      const remaining = 2 * (n - i - 1);
      p.push(ins.jump('jeq', i, 0, 1), ins.ja(remaining + (i % 3 === 0 ? 0 : i % 3 === 1 ? 3 : 4)));
    }
    p.push(ins.loadWord(16), ins.jump('jeq', 9, 0, 1), ins.ret(ALLOW), ins.ret(ERRNO(1)), ins.ret(KILL));
    expect(validate(p)).toEqual({ ok: true });
    const o = optimizeProgram(p);
    expect(validate(o)).toEqual({ ok: true });
    expect(o.length).toBeLessThan(p.length);
    const w = new Uint32Array(16);
    for (const nr of [0, 1, 2, 3, 150, 298, 299, 300, 1000]) {
      for (const a0 of [0, 9]) {
        w[0] = nr;
        w[4] = a0;
        const before = interpret(p, w);
        const after = interpret(o, w);
        expect(after.raw).toBe(before.raw);
        expect(after.executed).toBeLessThanOrEqual(before.executed);
      }
    }
    // Far returns are copied next to the test, never reached through a `ja`.
    o.forEach((x, i) => {
      if (x.kind === 'ja') expect(o[i + 1 + x.offset]?.kind).not.toBe('ret');
    });
  });

  it('keeps every verdict with all passes on, case trees included, on random programs', () => {
    fc.assert(fc.property(programArb, fc.array(wordsArb, { minLength: 1, maxLength: 12 }), (program, inputs) => {
      const optimized = optimizeProgram(program);
      expect(validate(optimized)).toEqual({ ok: true });
      for (const words of inputs) expect(interpret(optimized, words).raw).toBe(interpret(program, words).raw);
    }), { numRuns: 1500 });
  });
});

describe('case trees', () => {
  /** A load of arg0, a chain of JEQ tests to a few returns, a default return. */
  const chainArb = fc.record({
    values: fc.array(fc.oneof(fc.nat({ max: 40 }), fc.integer({ min: 0, max: 0xffffffff })), { minLength: 1, maxLength: 40 }),
    targets: fc.array(fc.nat({ max: 2 }), { minLength: 40, maxLength: 40 }),
    fallback: fc.nat({ max: 2 }),
  }).map(({ values, targets, fallback }) => {
    const rets = [ins.ret(ALLOW), ins.ret(ERRNO(1)), ins.ret(KILL)];
    const k = values.length;
    const p: Instruction[] = [ins.loadWord(16)];
    values.forEach((v, i) => p.push(ins.jump('jeq', v, k - 1 - i + 1 + targets[i]!, i === k - 1 ? fallback + 1 : 0)));
    p.push(ins.ja(3), ...rets, ins.ret(0x00030000));
    // The last test's false edge: fallback + 1 skips the ja; make it land on a return.
    return { program: p as Program, values };
  });

  it('turn long chains into trees that decide every value the same and bound the worst case', () => {
    fc.assert(fc.property(chainArb, fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 8 }), ({ program, values }, extra) => {
      expect(validate(program)).toEqual({ ok: true });
      const lowered = lowerCaseChains(program);
      const optimized = optimizeProgram(program);
      expect(validate(lowered)).toEqual({ ok: true });
      expect(validate(optimized)).toEqual({ ok: true });
      if (values.length >= MIN_CASE_CHAIN) expect(lowered).not.toBe(program);
      let worstBefore = 0;
      let worstAfter = 0;
      for (const v of [...values, ...values.map((x) => (x + 1) >>> 0), ...values.map((x) => (x - 1) >>> 0), ...extra, 0, 0xffffffff]) {
        const w = new Uint32Array(16);
        w[4] = v;
        const before = interpret(program, w);
        expect(interpret(lowered, w).raw).toBe(before.raw);
        const after = interpret(optimized, w);
        expect(after.raw).toBe(before.raw);
        worstBefore = Math.max(worstBefore, before.executed);
        worstAfter = Math.max(worstAfter, after.executed);
      }
      if (values.length >= 16) expect(worstAfter).toBeLessThan(worstBefore);
    }), { numRuns: 400 });
  });

  it('are off with caseTrees: false', () => {
    const p: Instruction[] = [ins.loadWord(16)];
    for (let i = 0; i < 10; i++) p.push(ins.jump('jeq', i * 7, 10 - i, 0));
    p.push(ins.ret(ERRNO(1)), ins.ret(ALLOW));
    expect(validate(p)).toEqual({ ok: true });
    expect(optimizeProgram(p, { caseTrees: false }).filter((x) => x.kind === 'jmp' && x.cond === 'jeq').length).toBe(10);
    expect(optimizeProgram(p).filter((x) => x.kind === 'jmp' && x.cond === 'jge').length).toBeGreaterThan(0);
  });
});
