/**
 * The emulator against the running kernel: random valid programs, random inputs on all three ABIs, and the
 * kernel's own verdict for each (read through the errno-rewriting oracle, no probed syscall ever runs).
 */
import fc from 'fast-check';
import { describe, expect } from 'vitest';
import { ins, type Program } from '../src/bpf/instructions.js';
import { instructionText } from '../src/bpf/text.js';
import { compileFilter, interpret } from '../src/emulator/index.js';
import { kernelVerdicts, kernelVerdictsBatch, oracleMissing, probeData, type KernelCase, type Probe } from './support/kernel-verdicts.js';
import { randomProbe, validProgram } from './support/random-programs.js';
import { itWhen } from './support/require.js';

const missing = oracleMissing();
const seed = Number(process.env.SECCOMP_TS_SEED ?? Date.now() % 2 ** 31);

function listing(program: Program): string {
  return program.map((insn, i) => `  ${String(i).padStart(4, '0')}: ${instructionText(insn, i)}`).join('\n');
}

describe('emulator against the kernel', () => {
  itWhen(missing, 'agrees with the kernel on at least 20,000 random probes of random valid programs', () => {
    const short = fc.sample(validProgram({ minLength: 2, maxLength: 40 }), { numRuns: 200, seed });
    const long = fc.sample(validProgram({ minLength: 260, maxLength: 700 }), { numRuns: 30, seed: seed + 1 });
    const probes = fc.sample(randomProbe(), { numRuns: 100 * (short.length + long.length), seed: seed + 2 });
    const cases: KernelCase[] = [...short, ...long].map((program, i) => ({
      program,
      probes: probes.slice(100 * i, 100 * (i + 1)),
    }));
    const run = kernelVerdictsBatch(cases);
    let compared = 0;
    let retA = 0;
    const perArch: Record<string, number> = { x86_64: 0, i386: 0, x32: 0 };
    const disagreements: string[] = [];
    cases.forEach((c, ci) => {
      const filter = compileFilter(c.program);
      if (c.program.some((i) => i.kind === 'ret' && i.src === 'a')) retA++;
      c.probes.forEach((probe, pi) => {
        const data = probeData(probe, run.instructionPointers);
        const kernel = (run.verdicts[ci] as number[])[pi] as number;
        const emulated = interpret(c.program, data).raw;
        const executed = filter.run(data);
        compared++;
        perArch[probe.arch] = (perArch[probe.arch] ?? 0) + 1;
        if (emulated !== kernel || executed !== kernel) {
          disagreements.push(
            `case ${ci} probe ${pi} (${probe.arch} nr=0x${probe.nr.toString(16)} args=${probe.args?.map((a) => `0x${a.toString(16)}`).join(',')}): ` +
              `kernel 0x${kernel.toString(16)}, interpreter 0x${emulated.toString(16)}, executor 0x${executed.toString(16)}\n${listing(c.program)}`,
          );
        }
      });
    });
    console.log(
      `[emulator-kernel] seed ${seed}: ${compared} probes compared with the kernel over ${cases.length} programs ` +
        `(${retA} ending in RET A somewhere; x86_64 ${perArch.x86_64}, i386 ${perArch.i386}, x32 ${perArch.x32}): ` +
        `${disagreements.length} disagreements`,
    );
    expect(disagreements.slice(0, 3)).toEqual([]);
    expect(compared).toBeGreaterThanOrEqual(20_000);
  });

  itWhen(missing, 'an i386 filter sees the full 64-bit registers of int $0x80, and -1 as 0xffffffff', () => {
    // Returns the high half of args[i] (as ERRNO data) so the kernel reports what it laid out there.
    const probes: Probe[] = [
      { arch: 'i386', nr: 1, args: [0x1234567800000001n, 0xffffffffn, -1, 0, 0x100000000n, 0xfedcba9876543210n] },
    ];
    for (let i = 0; i < 6; i++) {
      const program = [ins.loadWord(20 + 8 * i), ins.retA()];
      const kernel = kernelVerdicts(program, probes);
      const data = probeData(probes[0] as Probe, { syscall: 0n, int80: 0n });
      expect(kernel).toEqual([interpret(program, data).raw]);
      expect(kernel[0]).toBe([0x12345678, 0, 0, 0, 1, 0xfedcba98][i]);
    }
  });

  itWhen(missing, 'division by a zero X makes the kernel return 0 (KILL_THREAD), as the emulator says', () => {
    const program = [ins.loadWord(16), ins.tax(), ins.loadConst(7), ins.aluX('div'), ins.ret(0x7fff0000)];
    const probes: Probe[] = [{ arch: 'x86_64', nr: 0, args: [0] }, { arch: 'x86_64', nr: 0, args: [3] }];
    expect(kernelVerdicts(program, probes)).toEqual([0, 0x7fff0000]);
    expect(probes.map((p) => interpret(program, probeData(p, { syscall: 0n, int80: 0n })).raw)).toEqual([0, 0x7fff0000]);
  });
});
