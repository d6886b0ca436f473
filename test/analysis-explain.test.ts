import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ins, type Program } from '../src/bpf/instructions.js';
import { compilePolicy } from '../src/compiler/compile.js';
import { interpret } from '../src/emulator/interpreter.js';
import { explain, explanationText, predictVerdict, explanationJson, type Explanation } from '../src/analysis/explain.js';
import { intersect, normalize, type IntervalSet } from '../src/analysis/intervals.js';
import { AnalysisError } from '../src/analysis/symbolic.js';
import { AUDIT_ARCH_I386, AUDIT_ARCH_X86_64 } from '../src/syscalls/arch.js';
import { dataWordsArb, policyArb, programArb, sampleWords, seccompDataArb } from '../src/testing/index.js';
import { boundaryInputs, crossInputs, replay, runs, selectorProgramArb } from './support/analysis.js';

const ALLOW = 0x7fff0000;
const ERRNO = (e: number) => 0x00050000 | e;

/** The syscall numbers a group covers, as an interval set. */
const numbersOf = (g: Explanation['groups'][number]): IntervalSet =>
  normalize([...g.syscalls.map((x) => [x.nr, x.nr] as const), ...g.unnamed]);

/**
 * No (ABI, arch, nr) belongs to two groups: a group of foreign arch values stands for exactly
 * `archValues × numbers`, so two such groups may share arch values or numbers, never both.
 */
function expectDisjointGroups(e: Explanation): void {
  e.groups.forEach((g, i) => {
    for (const h of e.groups.slice(i + 1)) {
      if (g.abi !== h.abi) continue;
      const sharedNumbers = intersect(numbersOf(g), numbersOf(h)).length > 0;
      const sharedArch = g.abi !== 'other' || intersect(g.archValues ?? [], h.archValues ?? []).length > 0;
      expect(sharedNumbers && sharedArch, `overlapping groups\n${explanationText(e)}`).toBe(false);
    }
  });
}

/** Every input the explanation predicts exactly gets the emulator's verdict. */
function checkAgainstEmulator(program: Program, inputs: Iterable<Uint32Array>, requireExact: boolean): number {
  const e = explain(program, { samples: 64 });
  if (requireExact) expect(e.exact, e.reasons.join('; ')).toBe(true);
  expectDisjointGroups(e);
  let checked = 0;
  for (const words of inputs) {
    const predicted = predictVerdict(e, words);
    if (predicted === undefined) {
      expect(requireExact).toBe(false);
      continue;
    }
    expect(predicted, `input ${[...words].map((w) => w.toString(16)).join(' ')}\n${explanationText(e)}`).toBe(interpret(program, words).raw);
    checked++;
  }
  return checked;
}

describe('explain', () => {
  it('summarises a hand-written filter as conditions per syscall', () => {
    // x86_64 only: socket(AF_X25=9 .. ) denied except AF_UNIX(1), AF_INET(2), AF_INET6(10), AF_NETLINK(16).
    const program: Program = [
      ins.loadWord(4), ins.jump('jeq', AUDIT_ARCH_X86_64, 1, 0), ins.ret(0x80000000),
      ins.loadWord(0), ins.jump('jeq', 41, 0, 7),
      ins.loadWord(16),
      ins.jump('jeq', 1, 4, 0), ins.jump('jeq', 2, 3, 0), ins.jump('jeq', 10, 2, 0), ins.jump('jeq', 16, 1, 0),
      ins.ret(ERRNO(97)), ins.ret(ALLOW),
      ins.jump('jeq', 101, 0, 1), ins.ret(ERRNO(1)), ins.ret(ALLOW),
    ];
    const e = explain(program, { abis: ['x86_64', 'other'] });
    expect(e.exact).toBe(true);
    const text = explanationText(e);
    expect(text).toContain('x86_64 socket: ERRNO(EAFNOSUPPORT) if arg0.lo in {0, 3..9, 11..15, 17..0xffffffff}; else ALLOW');
    expect(text).toContain('x86_64 ptrace: ERRNO(EPERM)');
    // `other` is every arch value of no listed ABI: i386's too, since only x86_64 is listed.
    expect(text).toMatch(/other arch \{0\.\.0xc000003d, 0xc000003f\.\.0xffffffff\}: KILL_PROCESS/);
    const json = explanationJson(e) as { groups: { abi: string; syscalls: { name: string }[] }[] };
    expect(json.groups.some((g) => g.syscalls.some((s) => s.name === 'socket'))).toBe(true);
  });

  it('merges 64-bit halves into whole-argument ranges', () => {
    // arg0 > 5 as a 64-bit compare: hi > 0, or hi == 0 and lo > 5.
    const program: Program = [
      ins.loadWord(20), ins.jump('jgt', 0, 3, 0), ins.jump('jeq', 0, 0, 3),
      ins.loadWord(16), ins.jump('jgt', 5, 0, 1),
      ins.ret(ERRNO(1)), ins.ret(ALLOW),
    ];
    const e = explain(program, { abis: ['x86_64'] });
    expect(e.groups).toHaveLength(1);
    expect(e.groups[0]?.text).toBe('ERRNO(EPERM) if arg0 in {6..0xffffffffffffffff}; else ALLOW');
  });

  it('says when a filter cannot be summarised exactly, and samples instead', () => {
    const program: Program = [ins.loadWord(16), ins.alu('add', 1), ins.jump('jeq', 0, 0, 1), ins.ret(ERRNO(1)), ins.ret(ALLOW)];
    const e = explain(program, { abis: ['x86_64'], samples: 200 });
    expect(e.exact).toBe(false);
    expect(e.reasons.join()).toMatch(/arithmetic on input data/);
    const g = e.groups[0];
    expect(g?.behaviour.sampled?.samples).toBe(200);
    expect(g?.text).toMatch(/^sampled \(not exact\): /);
    expect(explanationText(e)).toMatch(/note: not every verdict could be derived exactly/);
  });

  it('refuses a program the kernel would not load, naming the instruction', () => {
    expect(() => explain([ins.loadWord(2), ins.ret(ALLOW)])).toThrow(AnalysisError);
    expect(() => explain([ins.loadWord(0)])).toThrow(/return/);
  });

  it('tracks scratch memory and the X register exactly', () => {
    const program: Program = [
      ins.loadWord(0), ins.store(3), ins.loadConst(59), ins.tax(), ins.loadMem(3), ins.jumpX('jeq', 0, 1),
      ins.ret(0), ins.ret(ALLOW),
    ];
    const e = explain(program, { abis: ['x86_64'] });
    expect(e.exact).toBe(true);
    expect(explanationText(e)).toContain('x86_64 execve: KILL_THREAD');
  });

  it('keeps foreign arch values apart when their syscall numbers behave differently (seed 820865667)', () => {
    // Arch 0 is killed whatever nr; any other foreign arch is killed for nr 0 only and traced otherwise. Joining
    // the two arch ranges into one line once claimed KILL_PROCESS for every nr of every foreign arch.
    const TRACE = 0x7ff00000;
    const program: Program = [
      ins.store(0), ins.store(1), ins.store(2), ins.store(3),
      ins.loadWord(16), ins.jumpX('jeq', 0, 0), ins.loadWord(16), ins.alu('rsh', 0), ins.loadWord(16),
      ins.loadWord(4), ins.jump('jgt', 0, 0, 5), ins.alu('rsh', 0), ins.loadWord(16), ins.loadMem(0), ins.alu('rsh', 0),
      ins.loadWord(0), ins.jump('jeq', 0, 0, 0), ins.jump('jeq', 0, 0, 0), ins.jump('jeq', 0, 0, 1),
      ins.ret(0x80000000), ins.ret(TRACE), ins.alu('add', 0), ins.store(0), ins.ret(0x30000), ins.ret(TRACE),
    ];
    const e = explain(program);
    expect(e.exact).toBe(true);
    expectDisjointGroups(e);
    const w = new Uint32Array(16);
    for (const [arch, nr] of [[0x1234, 1], [0x1234, 0], [0, 1], [0, 0], [0xffffffff, 0x40000000], [1, 0xffffffff]] as const) {
      w[0] = nr;
      w[1] = arch;
      expect(predictVerdict(e, w), `arch ${arch} nr ${nr}`).toBe(interpret(program, w).raw);
    }
    const text = explanationText(e);
    expect(text).toContain('other arch {0}: KILL_PROCESS\n');
    expect(text).toMatch(/other arch \{1\.\.0x40000002, [^}]*\} nr \{0\}: KILL_PROCESS\n/);
    expect(text).toMatch(/other arch \{1\.\.0x40000002, [^}]*\} nr \{1\.\.0xffffffff\}: TRACE\n/);
  });

  it('follows the arithmetic of the kernel: A / X with X = 0 returns 0, shift amounts are taken modulo 32', () => {
    const divideByArg: Program = [ins.loadWord(16), ins.tax(), ins.loadConst(1), ins.aluX('div'), ins.ret(ALLOW)];
    const divideByZero: Program = [ins.loadConst(0, 'X'), ins.loadConst(5), ins.aluX('div'), ins.jump('jeq', 0, 0, 1), ins.ret(ALLOW), ins.ret(ERRNO(1))];
    const shiftBy40: Program = [ins.loadConst(40, 'X'), ins.loadConst(1), ins.aluX('lsh'), ins.jump('jeq', 0x100, 0, 1), ins.ret(ALLOW), ins.ret(ERRNO(1))];
    const texts = [divideByArg, divideByZero, shiftBy40].map((p) => {
      const e = explain(p, { abis: ['x86_64'] });
      expect(e.exact).toBe(true);
      for (const words of boundaryInputs(p)) {
        const predicted = predictVerdict(e, words);
        if (predicted !== undefined) expect(predicted).toBe(interpret(p, words).raw);
      }
      return e.groups[0]?.text;
    });
    expect(texts).toEqual(['KILL_THREAD if arg0.lo == 0; else ALLOW', 'KILL_THREAD', 'ALLOW']);
  });

  it('agrees with the emulator on every pairing of boundary arch values and syscall numbers', () => {
    // Filters that test arch and nr both, with the inputs that combine their boundaries: the class of bug where
    // a line joins arch ranges or numbers that behave differently.
    let checked = 0;
    fc.assert(fc.property(fc.oneof({ weight: 5, arbitrary: selectorProgramArb() }, { weight: 1, arbitrary: programArb() }), (program) => {
      checked += checkAgainstEmulator(program, crossInputs(program, 300), false);
    }), { numRuns: runs(400), ...replay() });
    expect(checked).toBeGreaterThan(runs(400) * 20);
    console.log(`[analysis] explain: ${runs(400)} random programs on arch x nr boundary pairs, ${checked} predicted verdicts checked`);
  });

  it('agrees with the emulator on random programs (exact ones: every input)', () => {
    let checked = 0;
    fc.assert(fc.property(programArb({ opaque: false }), fc.array(dataWordsArb(), { minLength: 20, maxLength: 20 }), (program, inputs) => {
      checked += checkAgainstEmulator(program, [...inputs, ...boundaryInputs(program)], true);
    }), { numRuns: runs(100), ...replay() });
    expect(checked).toBeGreaterThan(runs(100) * 20);
    console.log(`[analysis] explain: ${runs(100)} exact random programs, ${checked} predicted verdicts checked against the emulator`);
  });

  it('agrees with the emulator on random programs with arithmetic, scratch memory and RET A', () => {
    let checked = 0;
    fc.assert(fc.property(programArb(), fc.array(dataWordsArb(), { minLength: 20, maxLength: 20 }), (program, inputs) => {
      checked += checkAgainstEmulator(program, [...inputs, ...boundaryInputs(program), ...crossInputs(program, 150)], false);
    }), { numRuns: runs(100), ...replay() });
    console.log(`[analysis] explain: ${runs(100)} random programs with opaque parts, ${checked} exactly predicted verdicts checked`);
  });

  it('agrees with the emulator on compiled random policies, exactly', () => {
    let checked = 0;
    fc.assert(fc.property(policyArb(), fc.array(seccompDataArb(), { minLength: 30, maxLength: 30 }), (policy, calls) => {
      const { program } = compilePolicy(policy);
      checked += checkAgainstEmulator(program, [...calls.map(sampleWords), ...boundaryInputs(program)], true);
    }), { numRuns: runs(60), ...replay() });
    console.log(`[analysis] explain: ${runs(60)} compiled random policies, ${checked} predicted verdicts checked against the emulator`);
  });

  it('predicts an i386 verdict from the i386 group only', () => {
    const program: Program = [ins.loadWord(4), ins.jump('jeq', AUDIT_ARCH_I386, 0, 1), ins.ret(ERRNO(38)), ins.ret(ALLOW)];
    const e = explain(program);
    const w = new Uint32Array(16);
    w[1] = AUDIT_ARCH_I386;
    expect(predictVerdict(e, w)).toBe(ERRNO(38));
    w[1] = AUDIT_ARCH_X86_64;
    expect(predictVerdict(e, w)).toBe(ALLOW);
  });
});

describe('explain on filters with too many paths', () => {
  it('falls back to sampling everywhere when the path limit cuts the search short', () => {
    // Two independent argument tests that rejoin: 4 paths; a limit of 2 truncates.
    const program: Program = [
      ins.loadWord(16), ins.jump('jeq', 1, 0, 0), ins.loadWord(24), ins.jump('jeq', 2, 0, 1), ins.ret(0x50001), ins.ret(ALLOW),
    ];
    const e = explain(program, { abis: ['x86_64'], maxPaths: 1 });
    expect(e.exact).toBe(false);
    expect(e.reasons.join()).toMatch(/more than 1 paths/);
    expect(e.groups.every((g) => !g.behaviour.exact && g.behaviour.sampled !== undefined)).toBe(true);
  });
});
