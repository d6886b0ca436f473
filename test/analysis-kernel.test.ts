/**
 * Explain against the real kernel: the verdict an explanation predicts for a probe equals what the running
 * kernel's seccomp returns for that probe (filters loaded in forked children, see support/kernel-verdicts.ts).
 */
import fc from 'fast-check';
import { describe, expect } from 'vitest';
import type { Program } from '../src/bpf/instructions.js';
import { compilePolicy } from '../src/compiler/compile.js';
import { explain, predictVerdict } from '../src/analysis/explain.js';
import { policyArb, programArb, seccompDataArb } from '../src/testing/index.js';
import { isProbeable, kernelVerdictsBatch, oracleMissing, probeData, type KernelCase, type Probe } from './support/kernel-verdicts.js';
import { itWhen } from './support/require.js';

const missing = oracleMissing();

function probesFor(program: Program, seed: number): Probe[] {
  return fc.sample(seccompDataArb({ program }), { numRuns: 60, seed })
    .map((d): Probe => ({ arch: d.arch, nr: d.nr, args: d.args }))
    .filter(isProbeable);
}

describe('explain against the kernel', () => {
  itWhen(missing, 'predicts the kernel’s verdicts for compiled random policies and random programs', () => {
    const programs: Program[] = [
      ...fc.sample(policyArb(), { numRuns: 25, seed: 11 }).map((p) => compilePolicy(p).program),
      ...fc.sample(programArb({ opaque: false }), { numRuns: 25, seed: 12 }),
    ];
    const cases: KernelCase[] = programs.map((program, i) => ({ program, probes: probesFor(program, 100 + i) }));
    const run = kernelVerdictsBatch(cases);
    let checked = 0;
    cases.forEach((c, ci) => {
      const e = explain(c.program, { samples: 16 });
      expect(e.exact).toBe(true);
      c.probes.forEach((probe, pi) => {
        const words = probeData(probe, run.instructionPointers).words;
        expect(predictVerdict(e, words), `case ${ci} probe ${pi}`).toBe(run.verdicts[ci]?.[pi]);
        checked++;
      });
    });
    expect(checked).toBeGreaterThan(2000);
    console.log(`[analysis] kernel: ${checked} explained verdicts checked against the running kernel`);
  }, 300_000);
});
