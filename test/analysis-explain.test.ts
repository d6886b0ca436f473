import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ins, type Program } from '../src/bpf/instructions.js';
import { compilePolicy } from '../src/compiler/compile.js';
import { interpret } from '../src/emulator/interpreter.js';
import { explain, explanationText, predictVerdict, explanationJson } from '../src/analysis/explain.js';
import { AnalysisError } from '../src/analysis/symbolic.js';
import { AUDIT_ARCH_I386, AUDIT_ARCH_X86_64 } from '../src/syscalls/arch.js';
import { dataWordsArb, policyArb, programArb, sampleWords, seccompDataArb } from '../src/testing/index.js';
import { boundaryInputs } from './support/analysis.js';

const ALLOW = 0x7fff0000;
const ERRNO = (e: number) => 0x00050000 | e;

/** Every input the explanation predicts exactly gets the emulator's verdict. */
function checkAgainstEmulator(program: Program, inputs: Iterable<Uint32Array>, requireExact: boolean): number {
  const e = explain(program, { samples: 64 });
  if (requireExact) expect(e.exact, e.reasons.join('; ')).toBe(true);
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
    expect(text).toMatch(/other arch \{0\.\.0x40000002, 0x40000004\.\.0xc000003d, 0xc000003f\.\.0xffffffff\}: KILL_PROCESS/);
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

  it('agrees with the emulator on random programs (exact ones: every input)', () => {
    let checked = 0;
    fc.assert(fc.property(programArb({ opaque: false }), fc.array(dataWordsArb(), { minLength: 20, maxLength: 20 }), (program, inputs) => {
      checked += checkAgainstEmulator(program, [...inputs, ...boundaryInputs(program)], true);
    }), { numRuns: 100 });
    expect(checked).toBeGreaterThan(100 * 20);
    console.log(`[analysis] explain: 100 exact random programs, ${checked} predicted verdicts checked against the emulator`);
  });

  it('agrees with the emulator on random programs with arithmetic, scratch memory and RET A', () => {
    let checked = 0;
    fc.assert(fc.property(programArb(), fc.array(dataWordsArb(), { minLength: 20, maxLength: 20 }), (program, inputs) => {
      checked += checkAgainstEmulator(program, [...inputs, ...boundaryInputs(program)], false);
    }), { numRuns: 100 });
    console.log(`[analysis] explain: 100 random programs with opaque parts, ${checked} exactly predicted verdicts checked`);
  });

  it('agrees with the emulator on compiled random policies, exactly', () => {
    let checked = 0;
    fc.assert(fc.property(policyArb(), fc.array(seccompDataArb(), { minLength: 30, maxLength: 30 }), (policy, calls) => {
      const { program } = compilePolicy(policy);
      checked += checkAgainstEmulator(program, [...calls.map(sampleWords), ...boundaryInputs(program)], true);
    }), { numRuns: 60 });
    console.log(`[analysis] explain: 60 compiled random policies, ${checked} predicted verdicts checked against the emulator`);
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
