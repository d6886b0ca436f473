import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ins, type Program } from '../src/bpf/instructions.js';
import { compilePolicy } from '../src/compiler/compile.js';
import { optimizeProgram } from '../src/compiler/optimize/index.js';
import { performanceCompileOptions } from '../src/compiler/performance.js';
import { interpret } from '../src/emulator/interpreter.js';
import { diffPrograms, diffText, inDifference } from '../src/analysis/diff.js';
import { conjunctionText } from '../src/analysis/explain.js';
import { dockerDefaultPolicy } from '../src/policy/oci/docker-default.js';
import type { Action } from '../src/syscalls/actions.js';
import { encodeAction } from '../src/syscalls/actions.js';
import { resolveSyscall } from '../src/syscalls/resolve.js';
import type { ArchName } from '../src/syscalls/arch.js';
import type { CompareOp, Policy } from '../src/policy/types.js';
import { COMMON_SYSCALLS, actionArb, dataWordsArb, policyArb, programArb } from '../src/testing/index.js';
import { crossInputs, replay, runs, selectorProgramArb } from './support/analysis.js';

const ALLOW = 0x7fff0000;

/** Every witness really separates the filters, with the verdicts the diff reports. */
function checkWitnesses(a: Program, b: Program, d: ReturnType<typeof diffPrograms>): void {
  for (const x of d.differences) {
    expect(interpret(a, x.witness.words).raw).toBe(x.verdictA);
    expect(interpret(b, x.witness.words).raw).toBe(x.verdictB);
  }
}

const sameAction = (x: Action, y: Action) => encodeAction(x) === encodeAction(y);

/**
 * The classes are exact: an input in an exact class gets that class's two verdicts, no input is in two classes,
 * and when the comparison is exhaustive every input on which the filters disagree is in a class.
 */
function checkClasses(a: Program, b: Program, d: ReturnType<typeof diffPrograms>, inputs: Iterable<Uint32Array>): number {
  let disagreeing = 0;
  for (const words of inputs) {
    const ra = interpret(a, words).raw;
    const rb = interpret(b, words).raw;
    const hits = d.differences.filter((x) => x.exact && inDifference(x, words));
    const context = `input ${[...words].map((w) => w.toString(16)).join(' ')}\n${diffText(d)}`;
    expect(hits.length, context).toBeLessThanOrEqual(1);
    for (const x of hits) expect([ra, rb], context).toEqual([x.verdictA, x.verdictB]);
    if (ra !== rb) {
      disagreeing++;
      expect(d.equivalent, context).toBe(false);
      if (d.exhaustive) expect(hits.length, context).toBe(1);
    }
  }
  return disagreeing;
}

describe('diff', () => {
  it('reports a filter equivalent to itself, exhaustively', () => {
    const { program } = compilePolicy(dockerDefaultPolicy());
    const d = diffPrograms(program, program);
    expect(d).toMatchObject({ equivalent: true, exhaustive: true, differences: [] });
    expect(diffText(d)).toMatch(/^equivalent/);
  });

  it('finds the single syscall planted in one of two random policies, with a witness for every class', () => {
    let found = 0;
    fc.assert(fc.property(policyArb({ syscalls: COMMON_SYSCALLS.slice(0, 8) }), fc.constantFrom(...COMMON_SYSCALLS.slice(8)), actionArb(),
      (base, planted, action) => {
        fc.pre(!sameAction(action, base.defaultAction));
        const changed: Policy = { ...base, rules: [...base.rules, { syscalls: [planted], action }] };
        const a = compilePolicy(base).program;
        const b = compilePolicy(changed).program;
        const d = diffPrograms(a, b);
        expect(d.exhaustive).toBe(true);
        expect(d.equivalent).toBe(false);
        checkWitnesses(a, b, d);
        for (const arch of base.arches) {
          const nr = resolveSyscall(arch, planted);
          const hit = d.differences.find((x) => x.abi === arch && x.numbers.some(([lo, hi]) => nr >= lo && nr <= hi));
          expect(hit, `${arch} ${planted}\n${diffText(d)}`).toBeDefined();
          expect(hit?.verdictB).toBe(encodeAction(action));
        }
        // Nothing outside the planted syscall (and i386 socketcall, which follows socket) differs.
        for (const x of d.differences) {
          expect(x.syscalls.every((s) => s.name === planted || s.name === 'socketcall'), diffText(d)).toBe(true);
        }
        found++;
      }), { numRuns: runs(80), ...replay() });
    expect(found).toBeGreaterThan(40);
  });

  it('finds a single changed constant, with a witness on the changed syscall', () => {
    const ops: CompareOp[] = ['eq', 'ne', 'lt', 'le', 'gt', 'ge'];
    fc.assert(fc.property(
      policyArb({ syscalls: COMMON_SYSCALLS.slice(0, 8), arches: ['x86_64', 'i386'] }),
      fc.constantFrom(...ops), fc.bigInt({ min: 0n, max: 0xfffffffen }), fc.bigInt({ min: 0n, max: 0xfffffffen }),
      fc.integer({ min: 0, max: 5 }), actionArb(),
      (base, op, v1, v2, arg, action) => {
        fc.pre(v1 !== v2 && !sameAction(action, base.defaultAction));
        const target = 'kill';
        const make = (value: bigint): Policy => ({
          ...base, rules: [...base.rules, { syscalls: [target], action, conditions: [{ arg: arg as 0, op, value }] }],
        });
        const a = compilePolicy(make(v1)).program;
        const b = compilePolicy(make(v2)).program;
        const d = diffPrograms(a, b);
        expect(d.equivalent).toBe(false);
        checkWitnesses(a, b, d);
        for (const arch of ['x86_64', 'i386'] as ArchName[]) {
          const nr = resolveSyscall(arch, target);
          expect(d.differences.some((x) => x.abi === arch && x.numbers.some(([lo, hi]) => nr >= lo && nr <= hi)), diffText(d)).toBe(true);
        }
        expect(d.differences.every((x) => x.syscalls.every((s) => s.name === target)), diffText(d)).toBe(true);
      }), { numRuns: runs(80), ...replay() });
  });

  it('reports a policy compiled with and without optimizations as equivalent', () => {
    fc.assert(fc.property(policyArb(), (policy) => {
      const plain = compilePolicy(policy).program;
      const optimized = compilePolicy(policy, performanceCompileOptions()).program;
      const d = diffPrograms(plain, optimized);
      expect(d.equivalent, diffText(d)).toBe(true);
      expect(d.exhaustive).toBe(true);
    }), { numRuns: runs(100), ...replay() });
    const docker = dockerDefaultPolicy();
    const d = diffPrograms(compilePolicy(docker).program, compilePolicy(docker, performanceCompileOptions()).program);
    expect(d.equivalent).toBe(true);
  });

  it('gives witnesses that separate random programs, and never claims equivalence it has not shown', () => {
    fc.assert(fc.property(programArb(), programArb(), (a, b) => {
      const d = diffPrograms(a, b, { samples: 64 });
      checkWitnesses(a, b, d);
      if (d.equivalent) expect(d.exhaustive).toBe(true);
    }), { numRuns: runs(200), ...replay() });
  });

  it('calls a random program and its optimized form equivalent, and is right when it calls mutants equivalent', () => {
    let equivalentMutants = 0;
    fc.assert(fc.property(programArb({ opaque: false }), fc.nat(), fc.integer({ min: -2, max: 2 }), fc.array(dataWordsArb(), { minLength: 30, maxLength: 30 }),
      (p, at, delta, inputs) => {
        const optimized = optimizeProgram(p);
        const d = diffPrograms(p, optimized);
        expect(d.equivalent, diffText(d)).toBe(true);
        // Nudge one constant of a jump: sometimes harmless, usually not.
        const jumps = p.map((x, i) => [x, i] as const).filter(([x]) => x.kind === 'jmp');
        const pick = jumps[at % Math.max(1, jumps.length)];
        if (!pick || delta === 0) return;
        const [j, index] = pick;
        if (j.kind !== 'jmp') return;
        const mutant = p.map((x, i) => (i === index ? { ...j, value: (j.value + delta) >>> 0 } : x));
        const m = diffPrograms(p, mutant);
        checkWitnesses(p, mutant, m);
        if (m.equivalent) {
          equivalentMutants++;
          for (const w of inputs) expect(interpret(mutant, w).raw).toBe(interpret(p, w).raw);
        }
      }), { numRuns: runs(200), ...replay() });
    expect(equivalentMutants).toBeGreaterThan(0);
  });

  it('describes every disagreement exactly, on every pairing of boundary arch values and syscall numbers', () => {
    // Two decision trees over arch, nr and an argument (or a tree and a mutant of it): each input of the
    // cross product of their boundary values lands in the class the diff says, with the verdicts it says.
    let disagreeing = 0;
    const pair = fc.oneof(
      fc.tuple(selectorProgramArb(), selectorProgramArb()),
      fc.tuple(selectorProgramArb(), fc.nat(), fc.integer({ min: -1, max: 1 })).map(([p, at, delta]): [Program, Program] => {
        const jumps = p.flatMap((x, i) => (x.kind === 'jmp' && x.src === 'K' ? [i] : []));
        const index = jumps[at % Math.max(1, jumps.length)];
        return [p, p.map((x, i) => (i === index && x.kind === 'jmp' ? { ...x, value: (x.value + delta) >>> 0 } : x))];
      }),
    );
    fc.assert(fc.property(pair, ([a, b]) => {
      const d = diffPrograms(a, b, { samples: 32 });
      checkWitnesses(a, b, d);
      disagreeing += checkClasses(a, b, d, crossInputs([...a, ...b], 300));
    }), { numRuns: runs(200), ...replay() });
    expect(disagreeing).toBeGreaterThan(0);
    console.log(`[analysis] diff: ${runs(200)} program pairs, ${disagreeing} disagreeing boundary inputs each found in its class`);
  });

  it('names the arch values of a difference on foreign arches', () => {
    // Arch 0x1234 is allowed everything; other arches only nr 1: the difference is not on 0x1234. With only
    // `other` listed, it stands for every arch value, the x86 ones included.
    const a: Program = [
      ins.loadWord(4), ins.jump('jeq', 0x1234, 0, 1), ins.ret(ALLOW), ins.loadWord(0), ins.jump('jeq', 1, 0, 1), ins.ret(ALLOW), ins.ret(0),
    ];
    const d = diffPrograms(a, [ins.ret(ALLOW)], { abis: ['other'] });
    expect(d.differences).toHaveLength(1);
    expect(d.differences[0]?.archValues).toEqual([[0, 0x1233], [0x1235, 0xffffffff]]);
    expect(diffText(d).split('\n')[0]).toBe('other arch {0..4659, 4661..0xffffffff} numbers {0, 2..0xffffffff}: A KILL_THREAD, B ALLOW');
    const only = d.differences[0] as (typeof d.differences)[number];
    const w = new Uint32Array(16);
    w[1] = 0x1234;
    w[0] = 5;
    expect(inDifference(only, w)).toBe(false);
    w[1] = 0x1235;
    expect(inDifference(only, w)).toBe(true);
  });

  it('does not call a division by a zero X equivalent to going on (the kernel returns 0 there)', () => {
    const a: Program = [ins.loadWord(16), ins.tax(), ins.loadConst(1), ins.aluX('div'), ins.ret(ALLOW)];
    const d = diffPrograms(a, [ins.ret(ALLOW)], { abis: ['x86_64'] });
    expect(d.equivalent).toBe(false);
    expect(d.exhaustive).toBe(true);
    checkWitnesses(a, [ins.ret(ALLOW)], d);
    expect(d.differences.map((x) => conjunctionText(x.when, false))).toEqual(['arg0.lo == 0']);
  });

  it('does not call filters equivalent when it had to sample', () => {
    const a: Program = [ins.loadWord(16), ins.alu('add', 1), ins.jump('jeq', 0, 0, 1), ins.ret(0x50001), ins.ret(ALLOW)];
    const b: Program = [ins.loadWord(16), ins.alu('add', 1), ins.jump('jeq', 0, 0, 1), ins.ret(0x50001), ins.ret(ALLOW)];
    const d = diffPrograms(a, b, { abis: ['x86_64'] });
    expect(d).toMatchObject({ equivalent: false, exhaustive: false, differences: [] });
    expect(diffText(d)).toMatch(/not exhaustive.*equivalence is not shown/);
  });

  it('describes a difference with the condition and a witness', () => {
    const a: Program = [ins.loadWord(0), ins.jump('jeq', 41, 0, 3), ins.loadWord(16), ins.jump('jeq', 9, 0, 1), ins.ret(0x50061), ins.ret(ALLOW)];
    const b: Program = [ins.ret(ALLOW)];
    const d = diffPrograms(a, b, { abis: ['x86_64'] });
    expect(diffText(d, ['old', 'new'])).toBe([
      'x86_64 socket: old ERRNO(EAFNOSUPPORT), new ALLOW when arg0.lo == 9',
      '    witness: x86_64 nr=0x29 args=[9, 0, 0, 0, 0, 0] ip=0',
      '',
    ].join('\n'));
  });
});
