import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { assemble } from '../src/bpf/asm.js';
import { disassemble } from '../src/bpf/disasm.js';
import { decodeProgram, decodeRaw, encodeProgram, encodeRaw } from '../src/bpf/encode.js';
import { formatC, parseC } from '../src/bpf/format-c.js';
import { formatHex, parseHex } from '../src/bpf/format-hex.js';
import { formatJson, parseJson } from '../src/bpf/format-json.js';
import { detectFormat, readProgram, writeProgram, type ProgramFormat } from '../src/bpf/formats.js';
import { toRaw, type Instruction } from '../src/bpf/instructions.js';
import { validate } from '../src/bpf/validator.js';
import { anyProgram, anyRaw, validProgram } from './bpf-arbitraries.js';

const bytesOf = (p: readonly Instruction[]): number[] => Array.from(encodeProgram(p));

describe('encode/decode', () => {
  it('property: raw bytes round-trip for any instruction sequence', () => {
    fc.assert(fc.property(fc.array(anyRaw, { maxLength: 50 }), (raws) => {
      const bytes = encodeRaw(raws);
      expect(bytes.length).toBe(8 * raws.length);
      expect(decodeRaw(bytes)).toEqual(raws);
      const program = decodeProgram(bytes);
      expect(program.map(toRaw)).toEqual(raws);
      expect(Array.from(encodeProgram(program))).toEqual(Array.from(bytes));
    }), { numRuns: 1000 });
  });

  it('property: any byte string of a multiple of 8 decodes and re-encodes to itself', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (data) => {
      const whole = data.subarray(0, data.length - (data.length % 8));
      expect(Array.from(encodeProgram(decodeProgram(whole)))).toEqual(Array.from(whole));
    }), { numRuns: 500 });
  });

  it('lays out struct sock_filter little-endian and names the byte offset of a partial instruction', () => {
    expect(Array.from(encodeRaw([{ code: 0x0015, jt: 1, jf: 2, k: 0xc000003e }]))).toEqual([0x15, 0, 1, 2, 0x3e, 0, 0, 0xc0]);
    expect(() => decodeProgram(new Uint8Array(13))).toThrow(/5 stray bytes at byte offset 8/);
    expect(() => decodeProgram(new Uint8Array(1))).toThrow(/1 stray byte at byte offset 0/);
  });
});

describe('disassembler → assembler', () => {
  it('property: disasm | asm gives back identical bytes for random valid programs', () => {
    let named = 0;
    fc.assert(fc.property(validProgram(40), (p) => {
      expect(validate(p)).toEqual({ ok: true });
      const text = disassemble(p);
      if (/if \(A [!=]= [a-z_]/.test(text)) named++;
      expect(bytesOf(assemble(text))).toEqual(bytesOf(p));
      // Without the index/raw columns too: numeric targets are then absolute indices.
      expect(bytesOf(assemble(disassemble(p, { columns: false })))).toEqual(bytesOf(p));
    }), { numRuns: 1500 });
    // Syscall names were actually printed and read back through the flow analysis.
    expect(named).toBeGreaterThan(15);
  });

  it('property: the round trip also holds for arbitrary (invalid) programs, unknown opcodes and wild jumps included', () => {
    fc.assert(fc.property(anyProgram(30), (p) => {
      expect(bytesOf(assemble(disassemble(p)))).toEqual(bytesOf(p));
    }), { numRuns: 1500 });
  });
});

describe('text formats', () => {
  const formats: ProgramFormat[] = ['raw', 'c', 'hex', 'json', 'asm'];
  it('property: every format writes and reads back the same bytes, and detection finds the format', () => {
    fc.assert(fc.property(fc.oneof(validProgram(20), anyProgram(20).filter((p) => p.length > 0)), (p) => {
      for (const f of formats) {
        const out = writeProgram(p, f);
        const bytes = typeof out === 'string' ? new TextEncoder().encode(out) : out;
        expect(bytesOf(readProgram(bytes, f))).toEqual(bytesOf(p));
        if (f === 'raw' && !bytes.includes(0)) continue; // a raw program without a NUL byte looks like text
        expect(detectFormat(bytes)).toBe(f);
        expect(bytesOf(readProgram(bytes))).toEqual(bytesOf(p));
      }
    }), { numRuns: 400 });
  });

  it('reads C written by hand: symbolic names, offsetof, __NR_*, negative k, tcpdump -dd arrays', () => {
    const c = `
      #include <linux/seccomp.h>
      static struct sock_filter f[] = {
        BPF_STMT(BPF_LD+BPF_W+BPF_ABS, (offsetof(struct seccomp_data, arch))),
        BPF_JUMP(BPF_JMP+BPF_JEQ+BPF_K, AUDIT_ARCH_X86_64, 1, 0), // x86_64 only
        BPF_STMT(BPF_RET+BPF_K, SECCOMP_RET_KILL),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[1]) + 4),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_getcwd, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
        BPF_STMT(BPF_RET | BPF_K, -1),
      };
      struct sock_fprog prog = { .len = (unsigned short)(sizeof(f) / sizeof(f[0])), .filter = f };`;
    expect(parseC(c).map(toRaw)).toEqual([
      { code: 0x20, jt: 0, jf: 0, k: 4 }, { code: 0x15, jt: 1, jf: 0, k: 0xc000003e }, { code: 0x06, jt: 0, jf: 0, k: 0 },
      { code: 0x20, jt: 0, jf: 0, k: 28 }, { code: 0x15, jt: 0, jf: 1, k: 79 }, { code: 0x06, jt: 0, jf: 0, k: 0x50001 },
      { code: 0x06, jt: 0, jf: 0, k: 0xffffffff },
    ]);
    expect(parseC('{ 0x28, 0, 0, 0x0000000c },\n{ 0x15, 0, 8, 0x000086dd },').map(toRaw)).toEqual([
      { code: 0x28, jt: 0, jf: 0, k: 12 }, { code: 0x15, jt: 0, jf: 8, k: 0x86dd }]);
    expect(() => parseC('BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_NOPE)')).toThrow(/line 1, column 27: unknown name "SECCOMP_RET_NOPE"/);
    expect(() => parseC('{ 0x06, 0, 0, BOGUS }')).toThrow(/unknown name "BOGUS"/);
    expect(() => parseC('BPF_JUMP(BPF_JMP, 0, 256, 0)')).toThrow(/jt 256 does not fit/);
  });

  it('names the place of bad hex and JSON input', () => {
    expect(() => parseHex('06 00 00 00 00 00 ff 7\n')).toThrow(/line 1, column 22: odd number of hex digits/);
    expect(() => parseHex('06 00 00 00 00 00 ff\n')).toThrow(/7 bytes .*byte offset 0/);
    expect(() => parseJson('[{"code":6,"k":2147418112},{"code":6,"jt":300}]')).toThrow(/\$\[1\]\.jt: expected an integer 0..255, got 300/);
    expect(() => parseJson('[{"code":6,"kk":1}]')).toThrow(/\$\[0\]\.kk: unknown field/);
    expect(() => parseJson('{"code":6}')).toThrow(/expected an array/);
    expect(formatJson([])).toBe('[]\n');
    expect(formatHex(parseHex('0x06,0x00,0x00,0x00,0x00,0x00,0xff,0x7f'))).toBe('06 00 00 00 00 00 ff 7f\n');
  });
});
