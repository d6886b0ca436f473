/**
 * The decision-diagram analysis: filters with exponentially many paths (issue 11's diamonds) are explained and
 * compared exactly; the cases it lists partition the inputs and agree with the emulator on random filters,
 * with and without diamonds in front; the time limit and progress reports work on a fake clock.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ins, toRaw, type Instruction, type Program } from '../src/bpf/instructions.js';
import { prepareFilter } from '../src/emulator/executor.js';
import { AnalysisTimeout, type AnalysisProgress } from '../src/analysis/budget.js';
import { admits, type WordConstraint } from '../src/analysis/constraints.js';
import { diffPrograms } from '../src/analysis/diff.js';
import { explain, predictVerdict } from '../src/analysis/explain.js';
import { symbolicExecute } from '../src/analysis/symbolic.js';
import { programArb, dataWordsArb } from '../src/testing/arbitraries.js';
import { AUDIT_ARCH_X86_64 } from '../src/syscalls/arch.js';
import { cli } from './support/cli.js';
import { ALLOW, ERRNO_EPERM, diamonds, nrChain, parity } from './support/filter-shapes.js';

const x86 = (nr: number, arg0: number, arg1 = 0): Uint32Array => {
  const w = new Uint32Array(16);
  w[0] = nr;
  w[1] = AUDIT_ARCH_X86_64;
  w[4] = arg0;
  w[6] = arg1;
  return w;
};

describe('diamonds (LD; JSET; JA; JA) in front of one test', () => {
  for (const [n, varied] of [[21, false], [101, false], [1023, false], [1023, true]] as const) {
    it(`explains ${4 * n + 4} instructions${varied ? ' (varied words and bits)' : ''} exactly: arg0.lo == 5 decides`, () => {
      const program = diamonds(n, varied);
      const e = explain(program);
      expect(e.exact).toBe(true);
      expect(e.paths).toBe(2);
      expect(e.groups.filter((g) => g.abi !== 'other').map((g) => g.text)).toEqual(
        expect.arrayContaining(['ERRNO(EPERM) if arg0.lo == 5; else ALLOW']));
      // Offset 16 is arg0's low half for calls of little-endian arch values, its high half for big-endian ones.
      const big = (g: (typeof e.groups)[number]) => (g.archValues ?? []).every(([lo]) => (lo & 0x40000000) === 0);
      for (const g of e.groups) {
        expect(g.text, g.abi).toBe(g.abi === 'other' && big(g)
          ? 'ERRNO(EPERM) if arg0 in {0x500000000..0x5ffffffff}; else ALLOW' : 'ERRNO(EPERM) if arg0.lo == 5; else ALLOW');
      }
      const run = prepareFilter(program);
      for (const w of [x86(0, 5), x86(59, 5, 0xffffffff), x86(1, 6), x86(0x40000001, 5, 1)]) {
        expect(predictVerdict(e, w)).toBe(run.runWords(w) >>> 0);
      }
    });
  }

  it('compares two diamond filters exactly: equivalent, and a changed constant found with a witness', () => {
    const a = diamonds(101);
    const b = diamonds(101, true);
    const same = diffPrograms(a, b);
    expect(same).toMatchObject({ equivalent: true, exhaustive: true });
    const changed: Program = [...b.slice(0, -3), ins.jump('jeq', 6, 0, 1), ...b.slice(-2)];
    const d = diffPrograms(a, changed);
    expect(d.exhaustive).toBe(true);
    expect(d.equivalent).toBe(false);
    const run = [prepareFilter(a), prepareFilter(changed)];
    for (const x of d.differences) {
      expect(x.exact).toBe(true);
      expect(run[0]?.runWords(x.witness.words)).not.toBe(run[1]?.runWords(x.witness.words));
    }
  });

  it('explains the command-line diamonds exactly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'seccomp-ts-diagram-'));
    const file = join(dir, 'diamonds.bpf');
    const bytes = Buffer.alloc(8 * 408);
    diamonds(101).map(toRaw).forEach((r, i) => {
      bytes.writeUInt16LE(r.code, 8 * i);
      bytes.writeUInt8(r.jt, 8 * i + 2);
      bytes.writeUInt8(r.jf, 8 * i + 3);
      bytes.writeUInt32LE(r.k >>> 0, 8 * i + 4);
    });
    writeFileSync(file, bytes);
    const r = await cli(['explain', file, '--syscall', 'read', '--arch', 'x86_64']);
    expect(r).toMatchObject({ code: 0, stdout: 'x86_64 read: ERRNO(EPERM) if arg0.lo == 5; else ALLOW\n' });
    const d = await cli(['diff', file, file, '--timeout', '60']);
    expect(d.code).toBe(0);
    const bad = await cli(['explain', file, '--timeout', 'soon']);
    expect(bad).toMatchObject({ code: 2, stderr: "seccomp-ts: explain: --timeout: expected a positive number of seconds, got 'soon'\n" });
    // A parity filter with 2^16 cases runs far longer than a millisecond.
    const slow = join(dir, 'parity.bpf');
    const p = parity(16);
    const pb = Buffer.alloc(8 * p.length);
    p.map(toRaw).forEach((r, i) => {
      pb.writeUInt16LE(r.code, 8 * i);
      pb.writeUInt8(r.jt, 8 * i + 2);
      pb.writeUInt8(r.jf, 8 * i + 3);
      pb.writeUInt32LE(r.k >>> 0, 8 * i + 4);
    });
    writeFileSync(slow, pb);
    const late = await cli(['explain', slow, '--timeout', '0.001']);
    expect(late.code).toBe(3);
    expect(late.stderr).toMatch(/^seccomp-ts: explain: .*parity\.bpf: analysis gave up after 0\.001 s \(time limit reached during the \w+ phase, \d+ \w+ done\); give a larger --timeout/m);
  });
});

/** For each input, the exact cases admitting it: exactly one, returning what the emulator returns. */
function checkPartition(program: Program, inputs: readonly Uint32Array[]): void {
  const s = symbolicExecute(program);
  const run = prepareFilter(program);
  for (const w of inputs) {
    const admitting = s.leaves.filter((l) => l.words.every((c, i) => admits(c as WordConstraint, w[i] as number)));
    const expected = run.runWords(w) >>> 0;
    if (s.exact) {
      expect(admitting.length).toBe(1);
      expect(admitting[0]?.verdict).toBe(expected);
    } else if (!s.truncated) {
      // Inexact parts overlap, but the case the program takes is always among them.
      expect(admitting.some((l) => l.verdict === undefined || l.verdict === expected)).toBe(true);
    }
  }
}

/**
 * Diamonds on the given words and bits, to put in front of any program (its jumps are relative); A is reset to
 * 0 after them, as the program expects it.
 */
const diamondPrefix = (spec: readonly (readonly [number, number])[]): Instruction[] => [
  ...spec.flatMap(([word, bit]) => [ins.loadWord(4 * word), ins.jump('jset', 1 << bit, 0, 1), ins.ja(1), ins.ja(0)]),
  ins.loadConst(0),
];

describe('the cases of the decision diagram', () => {
  const inputs = fc.array(dataWordsArb(), { minLength: 20, maxLength: 20 });
  it('partition the inputs and agree with the emulator on random filters', () => {
    fc.assert(fc.property(programArb({ maxLength: 30 }), inputs, (program, words) => checkPartition(program, words)),
      { numRuns: 300, seed: 1101 });
  });

  it('do the same with diamonds in front of random filters', () => {
    const spec = fc.array(fc.tuple(fc.integer({ min: 0, max: 15 }), fc.integer({ min: 0, max: 31 })), { minLength: 1, maxLength: 40 });
    fc.assert(fc.property(spec, programArb({ maxLength: 24 }), inputs, (s, program, words) => {
      const full = [...diamondPrefix(s), ...program];
      checkPartition(full, words);
      // The diamonds change nothing: the explanation is the one of the program alone.
      const alone = explain(program, { abis: ['x86_64'] });
      const withDiamonds = explain(full, { abis: ['x86_64'] });
      expect(withDiamonds.exact).toBe(alone.exact);
      if (alone.exact) expect(withDiamonds.groups.map((g) => g.text)).toEqual(alone.groups.map((g) => g.text));
    }), { numRuns: 150, seed: 1102 });
  });

  it('let diff compare filters with a thousand cases on each side exactly (cases of B listed under each of A)', () => {
    const a = parity(10);
    const b: Program = [...a.slice(0, -2), ins.ret(0x00050002), ...a.slice(-1)];
    expect(diffPrograms(a, parity(10), { abis: ['x86_64'], pairLimit: 1000 })).toMatchObject({ equivalent: true, exhaustive: true });
    const d = diffPrograms(a, b, { abis: ['x86_64'], pairLimit: 1000 });
    expect(d).toMatchObject({ equivalent: false, exhaustive: true });
    expect(d.differences.length).toBe(512);
    // Every pair tried gives the same answer.
    expect(diffPrograms(a, b, { abis: ['x86_64'] }).differences).toEqual(d.differences);
    const run = [prepareFilter(a), prepareFilter(b)];
    for (const x of d.differences) {
      expect([x.verdictA, x.verdictB]).toEqual([ERRNO_EPERM, 0x00050002]);
      expect(run[0]?.runWords(x.witness.words)).toBe(ERRNO_EPERM);
      expect(run[1]?.runWords(x.witness.words)).toBe(0x00050002);
    }
  });

  it('stay linear on a long allow-list chain', () => {
    const s = symbolicExecute(nrChain(2000));
    expect(s.exact).toBe(true);
    expect(s.leaves.length).toBe(2002);
    expect(s.leaves.filter((l) => l.verdict === ALLOW).length).toBe(2000);
  });
});

describe('time limit and progress', () => {
  /** A clock that advances by `step` milliseconds each time it is read. */
  const fakeClock = (step: number) => {
    let t = 0;
    return () => (t += step);
  };

  it('throws AnalysisTimeout once the limit has passed, whatever the machine speed', () => {
    expect(() => explain(parity(14), { timeoutMs: 5000, now: fakeClock(1000) })).toThrow(AnalysisTimeout);
    expect(() => diffPrograms(parity(14), parity(13), { timeoutMs: 5000, now: fakeClock(1000) })).toThrow(/analysis gave up after 5 s/);
  });

  it('reports progress about once a second and still finishes', () => {
    const seen: AnalysisProgress[] = [];
    const e = explain(parity(10), { now: fakeClock(400), onProgress: (p) => seen.push(p) });
    expect(e.exact).toBe(true);
    expect(e.groups.find((g) => g.abi === 'x86_64')?.behaviour.outcomes[0]?.verdict).toBe(ERRNO_EPERM);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((p, i) => i === 0 || p.elapsedMs >= (seen[i - 1] as AnalysisProgress).elapsedMs + 1000)).toBe(true);
  });

  it('falls back to sampling, quickly, when the exact answer has too many cases', () => {
    const e = explain(parity(16), { abis: ['x86_64'] });
    expect(e.exact).toBe(false);
    expect(e.reasons.join()).toMatch(/more than 20000 paths/);
  });
});
