/**
 * Golden files: hand-made filters (test/golden/bpf/*.s) and what the tools print for them. Regenerate with
 * SECCOMP_TS_UPDATE_GOLDEN=1 after an intended change, and review the diff.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assemble } from '../src/bpf/asm.js';
import { ProgramBuilder } from '../src/bpf/builder.js';
import { disassemble } from '../src/bpf/disasm.js';
import { encodeProgram } from '../src/bpf/encode.js';
import { formatC } from '../src/bpf/format-c.js';
import { ins, type Instruction } from '../src/bpf/instructions.js';
import { validate } from '../src/bpf/validator.js';
import { goldenDir } from './support/golden.js';

const { dir, expectGolden: golden } = goldenDir('bpf');

const bytes = (p: readonly Instruction[]): number[] => Array.from(encodeProgram(p));

/** A filter whose jumps span thousands of instructions: the builder routes them through JA trampolines. */
function farJumps(): Instruction[] {
  const b = new ProgramBuilder();
  const kill = b.newLabel('kill');
  const deny = b.newLabel('deny');
  const allow = b.newLabel('allow');
  const body = b.newLabel('body');
  b.emit(ins.loadWord(4));
  b.jumpIf('jeq', 0xc000003e, body, kill);
  b.bind(body);
  b.emit(ins.loadWord(0));
  b.jumpIf('jeq', 0, allow, deny); // read
  b.bind(deny);
  for (let i = 0; i < 3000; i++) b.emit(ins.loadConst(i));
  b.emit(ins.ret(0x00050001));
  b.bind(allow); // not a RET: reached through a JA trampoline
  b.emit(ins.loadConst(0x7fff0000));
  b.emit(ins.retA());
  b.bind(kill); // a RET: its trampoline is a copy of it
  b.emit(ins.ret(0x80000000));
  return b.build();
}

describe('golden disassembly', () => {
  const sources = readdirSync(dir).filter((f) => f.endsWith('.s')).sort();
  it('has hand-made filters to compare', () => {
    expect(sources.length).toBeGreaterThanOrEqual(4);
  });
  for (const source of sources) {
    const name = source.slice(0, -2);
    it(`${name}: disassembly matches, and reads back to the same bytes`, () => {
      const program = assemble(readFileSync(join(dir, source), 'utf8'));
      const text = disassemble(program);
      golden(`${name}.disasm`, text);
      expect(bytes(assemble(text))).toEqual(bytes(program));
      const v = validate(program);
      golden(`${name}.check`, v.ok ? `valid: ${program.length} instructions\n` : v.errors.map((e) => `${e.message}\n`).join(''));
      expect(v.ok).toBe(name !== 'invalid');
    });
  }
  it('x86_64-allowlist: C source matches', () => {
    golden('x86_64-allowlist.c', formatC(assemble(readFileSync(join(dir, 'x86_64-allowlist.s'), 'utf8'))));
  });
  it('far jumps: builder trampolines (a JA, or a copy of a far RET), shown in the disassembly', () => {
    const p = farJumps();
    expect(validate(p)).toEqual({ ok: true });
    const text = disassemble(p);
    const lines = text.split('\n');
    golden('far-jumps.disasm', [...lines.slice(0, 10), '...', ...lines.slice(-5)].join('\n'));
    expect(bytes(assemble(text))).toEqual(bytes(p));
  });
});
