/**
 * The optimized compile against the plain one and the reference evaluator, on random policies and calls;
 * and the kernel's own verdicts for a sample.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compilePolicy } from '../src/compiler/compile.js';
import { NO_OPTIMIZATIONS, optimizerPass, type OptimizeOptions } from '../src/compiler/optimize/index.js';
import { diffPrograms, diffText } from '../src/analysis/diff.js';
import { performanceCompileOptions } from '../src/compiler/performance.js';
import type { RangeDispatchOptions } from '../src/compiler/dispatch/index.js';
import { seccompData } from '../src/emulator/data.js';
import { prepareFilter } from '../src/emulator/executor.js';
import { evaluatePolicy } from '../src/policy/evaluate.js';
import type { Policy } from '../src/policy/types.js';
import { encodeAction } from '../src/syscalls/actions.js';
import { policyArb, seccompDataArb } from '../src/testing/arbitraries.js';
import { isProbeable, kernelVerdictsBatch, oracleMissing, type KernelCase } from './support/kernel-verdicts.js';
import { itWhen } from './support/require.js';

const VARIANTS: { name: string; dispatch?: RangeDispatchOptions; optimize?: OptimizeOptions }[] = [
  { name: 'everything' },
  { name: 'range dispatch only', optimize: NO_OPTIMIZATIONS },
  { name: 'balanced tree, hot list', dispatch: { shape: 'balanced', hot: [0, 1, 3, 5, 0x40000000] } },
  { name: 'threading only', optimize: { ...NO_OPTIMIZATIONS, threadJumps: true } },
  { name: 'tails only', optimize: { ...NO_OPTIMIZATIONS, mergeTails: true } },
  { name: 'loads only', optimize: { ...NO_OPTIMIZATIONS, removeRedundantLoads: true, removeDeadCode: true } },
  { name: 'case trees only', optimize: { ...NO_OPTIMIZATIONS, caseTrees: true } },
];

const compiled = (policy: Policy, v: (typeof VARIANTS)[number]) =>
  compilePolicy(policy, performanceCompileOptions({ ...(v.dispatch && { dispatch: v.dispatch }), ...(v.optimize && { optimize: v.optimize }) })).program;

describe('optimized compile', () => {
  for (const variant of VARIANTS) {
    it(`${variant.name}: same verdict as the plain filter and the reference evaluator`, () => {
      fc.assert(fc.property(policyArb({ maxRules: 10 }), fc.array(seccompDataArb(), { minLength: 1, maxLength: 25 }), (policy, calls) => {
        const plain = prepareFilter(compilePolicy(policy).program);
        const fast = prepareFilter(compiled(policy, variant));
        for (const call of calls) {
          const data = seccompData(call);
          const expected = encodeAction(evaluatePolicy(policy, { arch: call.arch, nr: call.nr, args: call.args }));
          expect(plain.run(data)).toBe(expected);
          expect(fast.run(data)).toBe(expected);
        }
      }), { numRuns: variant.name === 'everything' ? 300 : 80 });
    });
  }
});

describe('optimizer on the linear dispatch', () => {
  it('keeps read apart from ptrace where their checks differ in one test', () => {
    // ptrace's block tests a3 == 2 (KILL_THREAD) where read's does not; both blocks load a3 the same way.
    const policy: Policy = {
      defaultAction: { kind: 'TRACE', data: 0 },
      badArchAction: { kind: 'ERRNO', data: 1 },
      arches: ['i386', 'x86_64'],
      rules: [
        { syscalls: ['ptrace', 'read'], action: { kind: 'KILL_PROCESS' }, conditions: [{ arg: 3, op: 'lt', value: 2n }, { arg: 0, op: 'eq', value: 0n }] },
        { syscalls: ['read', 'ptrace'], action: { kind: 'ALLOW' }, conditions: [{ arg: 3, op: 'eq', value: 0n }] },
        { syscalls: ['ptrace', 'socket'], action: { kind: 'KILL_THREAD' }, conditions: [{ arg: 3, op: 'eq', value: 2n }] },
      ],
    };
    const plain = compilePolicy(policy).program;
    const optimized = compilePolicy(policy, { passes: [optimizerPass()] }).program;
    const read = { arch: 'x86_64' as const, nr: 0, args: [0n, 0n, 0n, 2n, 0n, 0n] };
    expect(prepareFilter(optimized).run(seccompData(read))).toBe(encodeAction({ kind: 'TRACE', data: 0 }));
    const d = diffPrograms(plain, optimized);
    expect(d.equivalent, diffText(d)).toBe(true);
    expect(d.exhaustive).toBe(true);
  });

  it('is equivalent to the plain filter on random policies (exhaustive check)', () => {
    fc.assert(fc.property(policyArb({ maxRules: 8 }), (policy) => {
      const d = diffPrograms(compilePolicy(policy).program, compilePolicy(policy, { passes: [optimizerPass()] }).program);
      expect(d.equivalent, diffText(d)).toBe(true);
    }), { numRuns: 150 });
  });
});

describe('optimized compile on the kernel', () => {
  itWhen(oracleMissing(), 'the kernel returns what the emulator predicts for optimized random policies', () => {
    const samples = fc.sample(fc.tuple(policyArb({ maxRules: 10 }), fc.array(seccompDataArb().filter((c) => isProbeable({ arch: c.arch, nr: c.nr, args: c.args })), { minLength: 20, maxLength: 20 })),
      { numRuns: 12, seed: 7 });
    const cases: KernelCase[] = samples.map(([policy, calls]) => ({
      program: compiled(policy, VARIANTS[0]!),
      probes: calls.map((c) => ({ arch: c.arch, nr: c.nr, args: c.args })),
    }));
    const run = kernelVerdictsBatch(cases);
    cases.forEach((c, i) => {
      const filter = prepareFilter(c.program);
      c.probes.forEach((probe, j) => {
        const data = seccompData({ ...probe, instructionPointer: run.instructionPointers[probe.arch === 'i386' ? 'int80' : 'syscall'] });
        expect(run.verdicts[i]?.[j]).toBe(filter.run(data));
      });
    });
  }, 300_000);
});
