/**
 * The emulator against the running kernel: random valid programs, random inputs on all three ABIs, and the
 * kernel's own verdict for each (read through the errno-rewriting oracle, no probed syscall ever runs).
 */
import fc from 'fast-check';
import { describe, expect } from 'vitest';
import { ins, toRaw, type Instruction, type Program } from '../src/bpf/instructions.js';
import { instructionText } from '../src/bpf/text.js';
import { bypassesFilters, prepareFilter, evaluateStack, interpret } from '../src/emulator/index.js';
import { filterSource } from '../src/emulator/executor.js';
import { decodeAction } from '../src/syscalls/actions.js';
import { kernelProbe, kernelStackProbe, stackPrefix, type StackOutcome } from './support/oracle.js';
import { kernelVerdicts, kernelVerdictsBatch, oracleMissing, probeData, type KernelCase, type Probe } from './support/kernel-verdicts.js';
import { randomProbe, validProgram } from './support/random-programs.js';
import { itWhen } from './support/require.js';

const missing = oracleMissing();
const seed = Number(process.env.SECCOMP_TS_SEED ?? Date.now() % 2 ** 31);

function listing(program: Program): string {
  return program.map((insn, i) => `  ${String(i).padStart(4, '0')}: ${instructionText(insn, i)}`).join('\n');
}

/** Every instruction form `seccomp_check_filter` admits, named as {@link shapeOf} names them. */
const ADMITTED_FORMS = new Set([
  'ld_abs', 'ld_len A', 'ld_len X', 'ld_imm A', 'ld_imm X', 'ld_mem A', 'ld_mem X', 'st A', 'st X', 'neg', 'tax', 'txa',
  'ja', 'ret K', 'ret A',
  ...['add', 'sub', 'mul', 'div', 'or', 'and', 'lsh', 'rsh', 'xor'].flatMap((o) => [`alu ${o} K`, `alu ${o} X`]),
  ...['jeq', 'jgt', 'jge', 'jset'].flatMap((c) => [`jmp ${c} K`, `jmp ${c} X`]),
]);

function shapeOf(insn: Instruction): string {
  switch (insn.kind) {
    case 'ld_len': case 'ld_imm': case 'ld_mem': return `${insn.kind} ${insn.dst}`;
    case 'st': return `st ${insn.src}`;
    case 'alu': return `alu ${insn.op} ${insn.src}`;
    case 'jmp': return `jmp ${insn.cond} ${insn.src}`;
    case 'ret': return `ret ${insn.src}`;
    default: return insn.kind;
  }
}

describe('emulator against the kernel', () => {
  itWhen(missing, 'agrees with the kernel on at least 20,000 random probes of random valid programs', () => {
    const short = fc.sample(validProgram({ minLength: 2, maxLength: 40 }), { numRuns: 200, seed });
    const long = fc.sample(validProgram({ minLength: 260, maxLength: 700, farJumps: true }), { numRuns: 30, seed: seed + 1 });
    // Near the 4096-instruction limit: the executor's flat dispatch for very many jump targets.
    const huge = fc.sample(validProgram({ minLength: 3000, maxLength: 4080, farJumps: true }), { numRuns: 4, seed: seed + 5 });
    // A ladder of 3000 distinct jump targets: too many labelled blocks to nest, so the executor dispatches flat.
    const ladder: Program = [
      ins.loadWord(0),
      ...Array.from({ length: 3000 }, (_, i) => ins.jump(i % 3 === 0 ? 'jset' : 'jgt', (i * 0x9e3779b9) >>> 0, 0, 1)),
      ins.loadWord(16),
      ins.retA(),
    ];
    // Every admitted form on one straight path, so that coverage of the forms never depends on the seed.
    const aluOps = ['add', 'sub', 'mul', 'div', 'or', 'and', 'lsh', 'rsh', 'xor'] as const;
    const everyForm: Program = [
      ins.loadWord(0), ins.store(0), ins.loadLen('A'), ins.loadLen('X'), ins.loadConst(3, 'X'), ins.loadConst(0x1234567, 'A'),
      ...aluOps.flatMap((op) => [ins.alu(op, 3), ins.aluX(op)]),
      ins.store(1, 'X'), ins.loadMem(1, 'X'), ins.loadMem(0, 'A'), ins.neg(), ins.tax(), ins.txa(), ins.ja(0),
      ...(['jeq', 'jgt', 'jge', 'jset'] as const).flatMap((c) => [ins.jump(c, 5, 0, 0), ins.jumpX(c, 0, 0)]),
      ins.retA(),
    ];
    // A division by zero and a jump past 255 instructions, also independent of the seed.
    const divideByZero: Program = [ins.loadWord(0), ins.loadConst(0, 'X'), ins.aluX('div'), ins.retA()];
    const farJump: Program = [
      ins.loadWord(0), ins.jump('jgt', 0x7fffffff, 0, 1), ins.ja(300),
      ...Array.from({ length: 300 }, (_, i) => ins.alu('add', i + 1)),
      ins.retA(),
    ];
    const all = [...short, ...long, ...huge, ladder, everyForm, divideByZero, farJump];
    const probes = fc.sample(randomProbe(), { numRuns: 100 * all.length, seed: seed + 2 });
    const cases: KernelCase[] = all.map((program, i) => ({
      program,
      probes: probes.slice(100 * i, 100 * (i + 1)),
    }));
    const run = kernelVerdictsBatch(cases);
    let compared = 0;
    let retA = 0;
    const perArch: Record<string, number> = { x86_64: 0, i386: 0, x32: 0 };
    const disagreements: string[] = [];
    const shapes = new Set<string>();
    const endings = { retK: 0, retA: 0, divisionByZero: 0 };
    let longestJump = 0;
    cases.forEach((c, ci) => {
      const filter = prepareFilter(c.program);
      if (c.program.some((i) => i.kind === 'ret' && i.src === 'A')) retA++;
      c.probes.forEach((probe, pi) => {
        const data = probeData(probe, run.instructionPointers);
        const kernel = (run.verdicts[ci] as number[])[pi] as number;
        const traced = interpret(c.program, data, { trace: c.program.length < 100 || pi < 5 });
        const emulated = traced.raw;
        for (const step of traced.trace ?? []) {
          shapes.add(shapeOf(step.instruction));
          const t = step.instruction;
          if (t.kind === 'ja') longestJump = Math.max(longestJump, t.offset);
          if (t.kind === 'jmp') longestJump = Math.max(longestJump, t.jt, t.jf);
        }
        const last = traced.trace?.[traced.trace.length - 1]?.instruction;
        if (last) {
          if (last.kind === 'ret') endings[last.src === 'A' ? 'retA' : 'retK']++;
          else endings.divisionByZero++;
        }
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
        `${disagreements.length} disagreements; traced endings ${JSON.stringify(endings)}, ` +
        `${shapes.size} instruction forms executed, longest jump taken ${longestJump}`,
    );
    expect([...ADMITTED_FORMS].filter((f) => !shapes.has(f))).toEqual([]);
    expect(longestJump).toBeGreaterThan(255);
    expect(endings.divisionByZero).toBeGreaterThan(0);
    expect(endings.retA).toBeGreaterThan(0);
    expect(filterSource(ladder, false)).toContain('switch (pc)');
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

  itWhen(missing, 'the kernel runs no filter for x86_64 uprobe (336), but does for its i386 and x32 numbers', () => {
    const errnoOne = [toRaw(ins.ret(0x00050001))];
    const args = [0n, 0n, 0n, 0n, 0n, 0n];
    const run = kernelProbe([{
      program: errnoOne,
      probes: [
        { entry: 'syscall', nr: 336, args },
        { entry: 'int80', nr: 336, args },
        { entry: 'syscall', nr: 336 | 0x40000000, args },
      ],
    }]);
    const answer = run.answers[0];
    expect(answer?.loaded).toBe(true);
    const returns = answer?.loaded ? answer.returns : [];
    expect(returns[0]).not.toBe(-1n); // the filter's ERRNO(1) never applied
    expect(returns.slice(1).map((r) => (typeof r === 'bigint' ? BigInt.asIntN(32, r) : r))).toEqual([-1n, -1n]);
    expect([
      bypassesFilters({ arch: 'x86_64', nr: 336 }),
      bypassesFilters({ arch: 'i386', nr: 336 }),
      bypassesFilters({ arch: 'x32', nr: 336 | 0x40000000 }),
    ]).toEqual([true, false, false]);
  });

  itWhen(missing, 'combines stacked filters as the kernel does, on random stacks of random programs', () => {
    // Only actions that skip the syscall, so that the kernel's choice is observable and nothing runs.
    const safeRet = fc.oneof(
      fc.constantFrom(0x80000000, 0x00000000, 0x00010000, 0x00040000, 0x7f000000, 0x7fc00000),
      fc.integer({ min: 0, max: 0xffff }).map((d) => (0x00030000 | d) >>> 0),
      fc.integer({ min: 0, max: 0xffff }).map((d) => (0x00050000 | d) >>> 0),
      fc.integer({ min: 0, max: 0xffff }).map((d) => (0x7ff00000 | d) >>> 0),
    );
    const safeProgram = fc.tuple(validProgram({ minLength: 2, maxLength: 24 }), fc.array(safeRet, { minLength: 24, maxLength: 24 }))
      .map(([p, rets]): Program => p.map((insn, i) => (insn.kind === 'ret' ? ins.ret(rets[i % rets.length] as number) : insn)));
    const stacks = fc.sample(fc.array(safeProgram, { minLength: 1, maxLength: 5 }), { numRuns: 120, seed: seed + 3 });
    const probes = fc.sample(randomProbe(), { numRuns: 50 * stacks.length, seed: seed + 4 });
    const jobs = stacks.map((programs, i) => ({
      programs: programs.map((p) => [...stackPrefix(), ...p.map(toRaw)]),
      probes: probes.slice(50 * i, 50 * (i + 1)).map((p) => {
        const d = probeData(p, { syscall: 0n, int80: 0n });
        // A probe carrying the marks of the loading calls would meet the prefix, not the filter: none does.
        if (d.nr === 317 && d.args[3] === 0x5ecc0ca7n) throw new Error('probe collides with the stack prefix');
        return { entry: p.arch === 'i386' ? 'int80' as const : 'syscall' as const, nr: d.nr, args: d.args };
      }),
    }));
    const run = kernelStackProbe(jobs);
    let compared = 0;
    const seen = new Set<string>();
    const disagreements: string[] = [];
    stacks.forEach((programs, si) => {
      probes.slice(50 * si, 50 * (si + 1)).forEach((probe, pi) => {
        const data = probeData(probe, run.instructionPointers);
        const combined = evaluateStack(programs, data);
        const expected = observation(combined.raw);
        const outcome = (run.outcomes[si] as StackOutcome[])[pi] as StackOutcome;
        const actual = 'killed' in outcome ? 'killed' : 'trapped' in outcome ? `trap:${outcome.trapped}`
          : `errno:${-Number(probe.arch === 'i386' ? BigInt.asIntN(32, outcome.returned) : outcome.returned)}`;
        seen.add(expected.replace(/:.*/, ''));
        compared++;
        if (actual !== expected) {
          disagreements.push(`stack ${si} probe ${pi}: kernel ${actual}, emulator ${expected} (raw 0x${combined.raw.toString(16)})\n` +
            programs.map((p, k) => `filter ${k}:\n${listing(p)}`).join('\n'));
        }
      });
    });
    console.log(`[emulator-kernel] stacked filters: ${compared} probes over ${stacks.length} stacks of 1-5 filters, ` +
      `outcomes ${[...seen].sort().join(', ')}: ${disagreements.length} disagreements`);
    expect(disagreements.slice(0, 2)).toEqual([]);
    expect([...seen].sort()).toEqual(['errno', 'killed', 'trap']);
  });
});

/** What a process observes for a combined verdict whose action skips the syscall. */
function observation(raw: number): string {
  const action = decodeAction(raw);
  switch (action.kind) {
    case 'KILL_PROCESS': case 'KILL_THREAD': return 'killed';
    case 'TRAP': return `trap:${action.data}`;
    case 'ERRNO': return `errno:${Math.min(action.data, 4095)}`;
    case 'TRACE': case 'USER_NOTIF': return 'errno:38'; // no tracer, no listener: ENOSYS
    default: throw new Error(`verdict 0x${raw.toString(16)} would run the syscall`);
  }
}
