/**
 * One filter for a stack (`stackPrograms`, the kernel's combination) and for the loosest of several
 * (`loosestOf`): equal, on every input tried, to running the programs and combining their verdicts; and, for
 * the stack, to the running kernel with the programs installed one after another.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loosestOf, stackPrograms, StackError } from '../src/bpf/stack.js';
import { validate } from '../src/bpf/validator.js';
import { ins, type Program } from '../src/bpf/instructions.js';
import { combineVerdicts } from '../src/emulator/stack.js';
import { interpret } from '../src/emulator/interpreter.js';
import { SECCOMP_RET_ACTION_FULL } from '../src/syscalls/actions.js';
import { programArb, dataWordsArb } from '../src/testing/index.js';

const seed = Number(process.env.SECCOMP_TS_SEED ?? Date.now() % 2 ** 31);
const key = (raw: number): number => raw & SECCOMP_RET_ACTION_FULL; // signed, as the kernel compares

/** The loosest verdict: highest action as a signed number; among equal actions the first program's value. */
function loosest(raws: readonly number[]): number {
  let kept = raws[0]! >>> 0;
  for (const r of raws.slice(1)) if (key(r) > key(kept)) kept = r >>> 0;
  return kept;
}

describe('stackPrograms and loosestOf', () => {
  it('equal the combination of the programs’ verdicts on random programs and inputs', () => {
    const stacks = fc.array(programArb({ maxLength: 16 }), { minLength: 1, maxLength: 4 });
    fc.assert(fc.property(stacks, fc.array(dataWordsArb(), { minLength: 8, maxLength: 8 }), (programs, inputs) => {
      const stacked = stackPrograms(programs);
      const loose = loosestOf(programs);
      expect(validate(stacked).ok).toBe(true);
      expect(validate(loose).ok).toBe(true);
      for (const words of inputs) {
        const raws = programs.map((p) => interpret(p, words).raw >>> 0);
        expect(interpret(stacked, words).raw >>> 0).toBe(combineVerdicts(raws));
        expect(interpret(loose, words).raw >>> 0).toBe(loosest(raws));
      }
    }), { seed, numRuns: 600 });
  });

  it('a division by a zero X counts as the 0 (KILL_THREAD) the kernel returns for it', () => {
    const divides: Program = [ins.loadConst(0, 'X'), ins.aluX('div'), ins.ret(0x7fff0000)];
    const kill: Program = [ins.ret(0x80000000)];
    const words = new Uint32Array(16);
    expect(interpret(stackPrograms([divides, kill]), words).raw >>> 0).toBe(0x80000000);
    expect(interpret(loosestOf([divides, [ins.ret(0x00050001)]]), words).raw >>> 0).toBe(0x00050001);
  });

  it('refuses programs that leave too few scratch slots', () => {
    const all: Program = [...Array.from({ length: 15 }, (_, i) => ins.store(i)), ins.ret(0x7fff0000)];
    expect(() => stackPrograms([all, [ins.ret(0)]])).toThrow(StackError);
  });
});

describe('seccomp-ts intersect and merge', () => {
  it('write one filter; intersect is within each input, merge of two tunings gives back the base', async () => {
    const { cli } = await import('./support/cli.js');
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'seccomp-ts-combine-'));
    try {
      const a = join(dir, 'a.json');
      const b = join(dir, 'b.json');
      expect((await cli(['compile', '--profile', 'docker-default', '--tune', 'deny:mkdir', '--format', 'policy', '-o', a])).code).toBe(0);
      expect((await cli(['compile', '--profile', 'docker-default', '--tune', 'deny:ptrace', '--format', 'policy', '-o', b])).code).toBe(0);
      const both = join(dir, 'both.bpf');
      expect((await cli(['intersect', a, b, '-o', both])).code).toBe(0);
      expect((await cli(['subset', both, a])).code).toBe(0);
      expect((await cli(['subset', both, b])).code).toBe(0);
      expect((await cli(['emu', both, 'ptrace'])).stdout).toBe('ERRNO(EPERM)\n');
      const either = join(dir, 'either.bpf');
      expect((await cli(['merge', a, b, '-o', either])).code).toBe(0);
      expect(await cli(['diff', either, 'profile:docker-default'])).toMatchObject({ code: 0, stdout: 'equivalent: the filters return the same value for every input\n' });
      expect(await cli(['intersect', a])).toMatchObject({ code: 2, stderr: 'seccomp-ts: intersect: name at least two filters or policies\n' });
      expect((await cli(['merge', a, b], '', true)).code).toBe(2); // raw bytes refused on a terminal
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
