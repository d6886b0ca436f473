import { describe, expect, it } from 'vitest';
import { assemble } from '../src/bpf/asm.js';
import { disassemble } from '../src/bpf/disasm.js';
import { ins, toRaw, type Instruction } from '../src/bpf/instructions.js';

const raws = (p: Instruction[]) => p.map(toRaw);

describe('assembler', () => {
  it('reads labels, comments, both jump forms and every statement', () => {
    const p = assemble(`
      # comment line
      A = arch                       // trailing comment
      if (A == ARCH_I386) goto i386 else goto kill
    i386:
      A = sys_number
      if (A != execve) goto next     # execve is 11 on i386
      return TRAP(3)
    next: if (A <= 10) goto kill
      if (!(A & 0x40000000)) goto ok
      if (A > X) goto kill
      if (A == x86_64:read) goto kill
    ok: X = 4
      A = X
      A <<= 2
      mem[15] = X
      X = mem[15]
      A = len
      return A
    kill:
      return KILL_PROCESS
    `);
    expect(raws(p)).toEqual(raws([
      ins.loadWord(4), ins.jump('jeq', 0x40000003, 0, 14), ins.loadWord(0), ins.jump('jeq', 11, 0, 1), ins.ret(0x30003),
      ins.jump('jgt', 10, 0, 10), ins.jump('jset', 0x40000000, 0, 2), ins.jumpX('jgt', 8, 0), ins.jump('jeq', 0, 7, 0),
      ins.loadConst(4, 'X'), ins.txa(), ins.alu('lsh', 2), ins.store(15, 'X'), ins.loadMem(15, 'X'), ins.loadLen(), ins.retA(),
      ins.ret(0x80000000),
    ]));
  });

  it('reads numeric targets as index labels when the text has them, else as absolute indices', () => {
    // The disassembler's rows, with one row deleted: targets still find the row carrying their label.
    const text = ' 0000: 0x20 0x00 0x00 0x00000000  A = sys_number\n 0001: 0x15 0x01 0x00 0x00000000  if (A == 0) goto 0003\n 0003: 0x06 0x00 0x00 0x7fff0000  return ALLOW\n';
    expect(raws(assemble(text))).toEqual(raws([ins.loadWord(0), ins.jump('jeq', 0, 0, 0), ins.ret(0x7fff0000)]));
    expect(raws(assemble('if (A == 0) goto 2\nreturn 0\nreturn 1'))).toEqual(raws([ins.jump('jeq', 0, 1, 0), ins.ret(0), ins.ret(1)]));
  });

  it('names line and column in every error', () => {
    const cases: Array<[string, RegExp]> = [
      ['goto nowhere\nreturn ALLOW', /^line 1, column 6: unknown label "nowhere"$/],
      ['a: return ALLOW\ngoto a', /^line 2, column 6: jump to a goes backwards/],
      ['a: A = 0\na: return ALLOW', /^line 2, column 1: label "a" is already defined on line 1$/],
      ['A = arch\nif (A == ARCH_X86_64) goto ok\nreturn 0\nok: A = sys_number\nif (A == getcdw) goto ok2\nok2: return 0',
        /^line 5, column 10: unknown syscall "getcdw" on x86_64$/],
      ['A = sys_number\nif (A == read) goto x\nx: return 0', /^line 2, column 10: syscall name "read" needs a known architecture/],
      ['A = arch {k=4}\nreturn 0', /^line 1, column 11: k is not an ignored field of this instruction/],
      ['A = args[6]\nreturn 0', /^line 1, column 10: an argument index 6 is out of range \(0..5\)$/],
      ['A = args[1] >> 31\nreturn 0', /^line 1, column 16: only ">> 32"/],
      ['return ERRNO(EWHAT)', /^line 1, column 8: unknown errno "EWHAT"/],
      ['A += 0x1ffffffff', /^line 1, column 6: a constant 0x1ffffffff is out of range/],
      ['A = 5 extra', /^line 1, column 7: unexpected "extra" after the instruction$/],
      ['launch missiles', /^line 1, column 1: unknown instruction "launch"$/],
      ['A = 12ab', /^line 1, column 5: malformed number "12ab"$/],
      ['end:', /^line 1, column 1: label "end" marks no instruction$/],
    ];
    for (const [text, message] of cases) expect(() => assemble(text), text).toThrow(message);
  });

  it('resolves plain names through the arch checked on the path, like the disassembler prints them', () => {
    const text = 'A = arch\nif (A != ARCH_I386) goto other\nA = sys_number\nif (A == read) goto allow\nreturn 0\nother: return 1\nallow: return ALLOW\n';
    const p = assemble(text);
    expect(toRaw(p[3] as Instruction).k).toBe(3);
    expect(disassemble(p)).toContain('if (A == read) goto 0006');
  });
});
