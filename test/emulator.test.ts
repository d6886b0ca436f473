import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { ins, type Program } from '../src/bpf/instructions.js';
import { InvalidProgramError } from '../src/bpf/validator.js';
import {
  callData,
  combineVerdicts,
  prepareFilter,
  evaluateStack,
  formatVerdict,
  interpret,
  seccompData,
  seccompDataFromBytes,
} from '../src/emulator/index.js';
import { filterSource } from '../src/emulator/executor.js';
import { AUDIT_ARCH_I386, AUDIT_ARCH_X86_64 } from '../src/syscalls/arch.js';
import { randomProbe, validProgram } from './support/random-programs.js';

const ALLOW = 0x7fff0000;
const errno = (e: number): number => 0x00050000 | e;

describe('seccompData', () => {
  it('lays out nr, arch, instruction pointer and args little-endian', () => {
    const d = seccompData({
      arch: 'x86_64', nr: 59, args: [0x1122334455667788n, 1, -1], instructionPointer: 0xdeadbeefcafef00dn,
    });
    expect(d.bytes.length).toBe(64);
    expect(Array.from(d.bytes.slice(0, 24))).toEqual([
      59, 0, 0, 0, 0x3e, 0x00, 0x00, 0xc0,
      0x0d, 0xf0, 0xfe, 0xca, 0xef, 0xbe, 0xad, 0xde,
      0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11,
    ]);
    expect(Array.from(d.words)).toEqual([
      59, AUDIT_ARCH_X86_64, 0xcafef00d, 0xdeadbeef, 0x55667788, 0x11223344, 1, 0, 0xffffffff, 0xffffffff,
      0, 0, 0, 0, 0, 0,
    ]);
    expect(d.args).toEqual([0x1122334455667788n, 1n, 0xffffffffffffffffn, 0n, 0n, 0n]);
  });

  it('wraps negative i386 arguments to 32 bits and keeps explicit 64-bit values in full', () => {
    const d = seccompData({ arch: 'i386', nr: 5, args: [-1, 0x100000002n] });
    expect(d.words[1]).toBe(AUDIT_ARCH_I386);
    expect(Array.from(d.words.slice(4, 8))).toEqual([0xffffffff, 0, 2, 1]);
  });

  it('takes x32 numbers as given and reports arch x86_64', () => {
    const d = seccompData({ arch: 'x32', nr: 0x40000000 | 59 });
    expect([d.words[0], d.words[1]]).toEqual([0x4000003b, AUDIT_ARCH_X86_64]);
  });

  it('refuses values that do not fit', () => {
    expect(() => seccompData({ arch: 'x86_64', nr: 2 ** 32 })).toThrow(/nr/);
    expect(() => seccompData({ arch: 'x86_64', nr: 0, args: [1n << 64n] })).toThrow(/args\[0\]/);
    expect(() => seccompData({ arch: 'x86_64', nr: 0, args: [0.5] })).toThrow(/args\[0\]/);
    expect(() => seccompData({ arch: 'x86_64', nr: 0, args: [0, 0, 0, 0, 0, 0, 0] })).toThrow(/at most 6/);
  });

  it('refuses bytes that are not a seccomp_data of any ABI', () => {
    expect(() => seccompDataFromBytes(new Uint8Array(63))).toThrow(/64 bytes/);
    const arm = seccompData({ arch: 'x86_64', nr: 1 }).bytes.slice();
    arm[7] = 0x40; // arch 0x4000003e: no ABI's
    expect(() => seccompDataFromBytes(arm)).toThrow(/0x4000003e \(little-endian\) is no ABI's audit arch/);
  });

  it('reads its own bytes back', () => {
    fc.assert(fc.property(randomProbe(), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (p, ip) => {
      const d = seccompData({ ...p, instructionPointer: ip });
      const back = seccompDataFromBytes(d.bytes);
      expect(back.words).toEqual(d.words);
      const x32Bit = (d.nr & 0x40000000) !== 0;
      expect(back.arch).toBe(p.arch === 'i386' ? 'i386' : x32Bit ? 'x32' : 'x86_64');
    }));
  });
});

describe('callData', () => {
  it('resolves names per ABI and adds the x32 bit', () => {
    expect(callData({ arch: 'x86_64', syscall: 'execve' }).nr).toBe(59);
    expect(callData({ arch: 'i386', syscall: 'execve' }).nr).toBe(11);
    expect(callData({ arch: 'x32', syscall: 'execve' }).nr).toBe(0x40000000 | 520);
    expect(callData({ arch: 'x32', syscall: 1 }).nr).toBe(0x40000001);
    expect(() => callData({ arch: 'x86_64', syscall: 'exceve' })).toThrow(/execve/);
  });
});

describe('interpret', () => {
  const nr = (n: number, args: (number | bigint)[] = []) => seccompData({ arch: 'x86_64', nr: n, args });

  it('returns the verdict, the executed count and, on request, every step', () => {
    const p: Program = [ins.loadWord(0), ins.jump('jeq', 59, 0, 1), ins.ret(errno(1)), ins.ret(ALLOW)];
    expect(interpret(p, nr(59))).toEqual({ raw: errno(1), action: { kind: 'ERRNO', data: 1 }, executed: 3 });
    const r = interpret(p, nr(60), { trace: true });
    expect(r).toMatchObject({ raw: ALLOW, action: { kind: 'ALLOW' }, executed: 3 });
    expect(r.trace?.map((s) => [s.pc, s.a, s.x])).toEqual([[0, 60, 0], [1, 60, 0], [3, 60, 0]]);
    expect(r.trace?.[0]?.mem).toHaveLength(16);
  });

  it('computes unsigned 32-bit arithmetic at the edges', () => {
    const run = (a: number, op: Parameters<typeof ins.alu>[0], v: number): number =>
      interpret([ins.loadConst(a), ins.alu(op, v), ins.retA()], nr(0)).raw;
    expect(run(0xffffffff, 'add', 1)).toBe(0);
    expect(run(0, 'sub', 1)).toBe(0xffffffff);
    expect(run(0x7fffffff, 'mul', 0x7fffffff)).toBe(1);
    expect(run(0xffffffff, 'div', 2)).toBe(0x7fffffff);
    expect(run(0x80000000, 'rsh', 31)).toBe(1);
    expect(run(1, 'lsh', 31)).toBe(0x80000000);
    expect(run(0xf0f0f0f0, 'xor', 0xffffffff)).toBe(0x0f0f0f0f);
    expect(interpret([ins.loadConst(1), ins.neg(), ins.retA()], nr(0)).raw).toBe(0xffffffff);
  });

  it('takes shift amounts from X modulo 32, and a division by a zero X returns 0', () => {
    const shift = [ins.loadWord(16), ins.tax(), ins.loadConst(1), ins.aluX('lsh'), ins.retA()];
    expect(interpret(shift, nr(0, [33])).raw).toBe(2);
    const div = [ins.loadWord(16), ins.tax(), ins.loadConst(9), ins.aluX('div'), ins.ret(ALLOW)];
    expect(interpret(div, nr(0, [0]))).toMatchObject({ raw: 0, action: { kind: 'KILL_THREAD' }, executed: 4 });
    expect(interpret(div, nr(0, [2])).raw).toBe(ALLOW);
  });

  it('loads len, scratch memory, and compares unsigned', () => {
    const p = [ins.loadLen('X'), ins.store(3, 'X'), ins.loadConst(0xffffffff), ins.loadMem(3), ins.retA()];
    expect(interpret(p, nr(0)).raw).toBe(64);
    const cmp = [ins.loadWord(16), ins.jump('jgt', 0x7fffffff, 0, 1), ins.ret(1), ins.ret(2)];
    expect(interpret(cmp, nr(0, [0x80000000])).raw).toBe(1);
    const set = [ins.loadWord(16), ins.jump('jset', 0x10, 0, 1), ins.ret(1), ins.ret(2)];
    expect(interpret(set, nr(0, [0x30])).raw).toBe(1);
    expect(interpret(set, nr(0, [0x20])).raw).toBe(2);
  });

  it('runs what the kernel would receive: every field as its raw encoding holds it', () => {
    const p: Program = [{ kind: 'ld_imm', dst: 'A', value: 2 ** 32 + 5 }, { kind: 'alu', op: 'add', src: 'K', value: -1 }, ins.retA()];
    expect(interpret(p, nr(0)).raw).toBe(4);
    expect(prepareFilter(p).run(nr(0))).toBe(4);
    expect(interpret([{ kind: 'ret', src: 'K', value: -1 }], nr(0)).raw).toBe(0xffffffff);
  });

  it('refuses programs the kernel refuses, naming the instruction', () => {
    expect(() => interpret([ins.loadWord(2), ins.ret(ALLOW)], nr(0))).toThrow(InvalidProgramError);
    expect(() => interpret([ins.loadWord(0)], nr(0))).toThrow(/instruction 0000/);
    expect(() => interpret([ins.loadMem(0), ins.ret(ALLOW)], nr(0))).toThrow(/memory-uninitialized/);
    expect(() => prepareFilter([ins.alu('mod', 3), ins.ret(ALLOW)])).toThrow(InvalidProgramError);
  });
});

describe('prepareFilter', () => {
  it('gives the interpreter\'s raw value and executed count on random programs and inputs', () => {
    fc.assert(
      fc.property(validProgram({ maxLength: 60 }), fc.array(randomProbe(), { minLength: 1, maxLength: 8 }), (p, probes) => {
        const f = prepareFilter(p);
        expect(f.mode).toBe('generated');
        for (const probe of probes) {
          const d = seccompData(probe);
          const r = interpret(p, d);
          expect(f.run(d)).toBe(r.raw);
          expect(f.runWords(d.words)).toBe(r.raw);
          expect(f.runCounting(d)).toEqual({ raw: r.raw, executed: r.executed });
          expect(f.verdict(d)).toEqual({ raw: r.raw, action: r.action });
        }
      }),
      { numRuns: 300 },
    );
  });

  it('agrees with the interpreter on long programs with far jumps', () => {
    fc.assert(
      fc.property(validProgram({ minLength: 300, maxLength: 900, farJumps: true }), fc.array(randomProbe(), { minLength: 1, maxLength: 5 }), (p, probes) => {
        const f = prepareFilter(p);
        for (const probe of probes) {
          const d = seccompData(probe);
          const r = interpret(p, d);
          expect(f.runCounting(d)).toEqual({ raw: r.raw, executed: r.executed });
        }
      }),
      { numRuns: 30 },
    );
  });

  it('runs batches of records as the interpreter runs each one, generated or not', () => {
    fc.assert(
      fc.property(validProgram({ maxLength: 60 }), fc.array(randomProbe(), { minLength: 0, maxLength: 12 }), fc.boolean(), (p, probes, generated) => {
        const f = prepareFilter(p, { codeGeneration: generated });
        expect(f.mode).toBe(generated ? 'generated' : 'interpreter');
        const records = new Uint32Array(16 * probes.length);
        probes.forEach((probe, i) => records.set(seccompData(probe).words, 16 * i));
        const expected = probes.map((probe) => interpret(p, seccompData(probe)));
        const out = new Uint32Array(probes.length).fill(0xdeadbeef);
        expect(f.runBatch(records, out)).toBe(out);
        expect([...out]).toEqual(expected.map((r) => r.raw));
        const raws = new Uint32Array(probes.length);
        const executed = new Uint32Array(probes.length);
        f.runBatchCounting(records, raws, executed);
        expect([...raws]).toEqual(expected.map((r) => r.raw));
        expect([...executed]).toEqual(expected.map((r) => r.executed));
        // Each record starts afresh (registers, scratch memory): the same records in reverse give the reverse.
        const reversed = new Uint32Array(records.length);
        probes.forEach((probe, i) => reversed.set(seccompData(probe).words, 16 * (probes.length - 1 - i)));
        expect([...f.runBatch(reversed, new Uint32Array(probes.length))]).toEqual([...out].reverse());
      }),
      { numRuns: 300 },
    );
  });

  it('runs batches of long programs with far jumps, record after record', () => {
    fc.assert(
      fc.property(validProgram({ minLength: 300, maxLength: 900, farJumps: true }), fc.array(randomProbe(), { minLength: 1, maxLength: 6 }), (p, probes) => {
        const f = prepareFilter(p);
        const records = new Uint32Array(16 * probes.length);
        probes.forEach((probe, i) => records.set(seccompData(probe).words, 16 * i));
        const out = new Uint32Array(probes.length);
        const executed = new Uint32Array(probes.length);
        f.runBatchCounting(records, out, executed);
        probes.forEach((probe, i) => {
          const r = interpret(p, seccompData(probe));
          expect([out[i], executed[i]]).toEqual([r.raw, r.executed]);
        });
      }),
      { numRuns: 30 },
    );
  });

  it('refuses batches whose lengths do not match, naming the array', () => {
    const f = prepareFilter([ins.ret(ALLOW)]);
    expect(() => f.runBatch(new Uint32Array(17), new Uint32Array(1))).toThrow(/^records: .*16 words each, got 17/);
    expect(() => f.runBatch(new Uint32Array(32), new Uint32Array(1))).toThrow(/^out: 2 records need 2 results, got 1/);
    expect(() => f.runBatchCounting(new Uint32Array(16), new Uint32Array(1), new Uint32Array(2))).toThrow(/^executed: /);
    expect(() => f.runWords(new Uint32Array(15))).toThrow('seccomp_data is 16 words, got 15');
    expect([...f.runBatch(new Uint32Array(0), new Uint32Array(0))]).toEqual([]);
  });

  it('switches to a flat dispatch when labelled blocks would nest too deeply', () => {
    const p: Program = [
      ins.loadWord(0),
      ...Array.from({ length: 3999 }, (_, i) => ins.jump('jgt', i, 0, 1)),
      ins.ret(errno(5)),
      ins.retA(),
    ];
    expect(filterSource(p, false)).toContain('switch (pc)');
    expect(filterSource(p, false, 'batch')).toContain('switch (pc)');
    const f = prepareFilter(p);
    expect(f.mode).toBe('generated');
    const numbers = [0, 1, 1999, 2000, 3999, 4000, 123456];
    const records = new Uint32Array(16 * numbers.length);
    numbers.forEach((n, i) => {
      const d = seccompData({ arch: 'x86_64', nr: n });
      const r = interpret(p, d);
      expect(f.runCounting(d)).toEqual({ raw: r.raw, executed: r.executed });
      records.set(d.words, 16 * i);
    });
    const out = new Uint32Array(numbers.length);
    const executed = new Uint32Array(numbers.length);
    f.runBatchCounting(records, out, executed);
    numbers.forEach((n, i) => {
      const r = interpret(p, seccompData({ arch: 'x86_64', nr: n }));
      expect([out[i], executed[i]]).toEqual([r.raw, r.executed]);
    });
  });

  describe('where code generation is forbidden', () => {
    const original = globalThis.Function;
    afterEach(() => {
      globalThis.Function = original;
    });

    it('falls back to the interpreter and says so', () => {
      globalThis.Function = function refuse() {
        throw new EvalError('Refused to evaluate a string as JavaScript (Content Security Policy)');
      } as unknown as FunctionConstructor;
      const p: Program = [ins.loadWord(0), ins.jump('jeq', 2, 0, 1), ins.ret(errno(13)), ins.ret(ALLOW)];
      const f = prepareFilter(p);
      expect(f.mode).toBe('interpreter');
      expect(f.fallbackReason).toMatch(/EvalError/);
      expect(f.run({ arch: 'x86_64', nr: 2 })).toBe(errno(13));
      expect(f.runCounting({ arch: 'x86_64', nr: 3 })).toEqual({ raw: ALLOW, executed: 3 });
      const records = new Uint32Array(32);
      records.set(seccompData({ arch: 'x86_64', nr: 2 }).words, 0);
      records.set(seccompData({ arch: 'x86_64', nr: 3 }).words, 16);
      const executed = new Uint32Array(2);
      expect([...f.runBatchCounting(records, new Uint32Array(2), executed)]).toEqual([errno(13), ALLOW]);
      expect([...executed]).toEqual([3, 3]);
    });

    it('can be asked not to generate code', () => {
      expect(prepareFilter([ins.ret(ALLOW)], { codeGeneration: false }).mode).toBe('interpreter');
    });
  });
});

describe('stacked filters', () => {
  it('let the lowest action win, KILL_PROCESS first, the newest filter on a tie', () => {
    expect(combineVerdicts([])).toBe(ALLOW);
    expect(combineVerdicts([ALLOW, errno(1)])).toBe(errno(1));
    expect(combineVerdicts([errno(1), 0x00030002])).toBe(0x00030002);
    expect(combineVerdicts([0x00000000, 0x80000000, errno(1)])).toBe(0x80000000);
    expect(combineVerdicts([errno(1), errno(2)])).toBe(errno(2));
    expect(combineVerdicts([0x7fff1234])).toBe(ALLOW); // an equal action never replaces the initial ALLOW
    expect(combineVerdicts([0x7ffc0000, ALLOW])).toBe(0x7ffc0000);
    // An unknown action is below ALLOW, and KILL_PROCESS to the kernel, but compared as its raw value.
    expect(combineVerdicts([0x7ffe0000, 0x7ffc0000])).toBe(0x7ffc0000);
  });

  it('formats verdicts through the action names', () => {
    expect(formatVerdict(errno(1))).toBe('ERRNO(EPERM)');
    expect(formatVerdict(interpret([ins.ret(0x00030005)], { arch: 'x86_64', nr: 0 }))).toBe('TRAP(5)');
    expect(formatVerdict(0x80000000)).toBe('KILL_PROCESS');
  });

  it('evaluateStack runs every filter', () => {
    const denyExecve: Program = [ins.loadWord(0), ins.jump('jeq', 59, 0, 1), ins.ret(errno(1)), ins.ret(ALLOW)];
    const trapAll: Program = [ins.ret(0x00030000)];
    const logAll: Program = [ins.ret(0x7ffc0000)];
    expect(evaluateStack([denyExecve, logAll], { arch: 'x86_64', nr: 59 }).raw).toBe(errno(1));
    expect(evaluateStack([denyExecve, logAll], { arch: 'x86_64', nr: 60 }).action).toEqual({ kind: 'LOG' });
    expect(evaluateStack([trapAll, denyExecve], { arch: 'x86_64', nr: 59 }).action).toEqual({ kind: 'TRAP', data: 0 });
    expect(evaluateStack([prepareFilter(denyExecve)], { arch: 'x86_64', nr: 59 }).raw).toBe(errno(1));
  });
});
