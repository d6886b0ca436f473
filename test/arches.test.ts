/**
 * Every ABI libseccomp knows: descriptors (audit arch, byte order, names), syscall numbers per ABI, and
 * `seccomp_data` laid out in the ABI's byte order.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ins } from '../src/bpf/instructions.js';
import { argOffset, fieldAt } from '../src/bpf/seccomp-data.js';
import { callData, interpret, seccompData, seccompDataFromBytes } from '../src/emulator/index.js';
import {
  LINUX_ARCHES, LINUX_ARCH_NAMES, archesOfAuditArch, parseLinuxArch, resolveSyscall, syscallByNr, syscallName,
  syscallTable, type LinuxArchName,
} from '../src/index.js';
import { cli } from './support/cli.js';

/** `seccomp.Arch` of libseccomp's Python bindings, and the AUDIT_ARCH_* of Linux for the ones they lack. */
const AUDIT: Readonly<Record<LinuxArchName, number>> = {
  x86_64: 0xc000003e, i386: 0x40000003, x32: 0xc000003e, arm: 0x40000028, aarch64: 0xc00000b7,
  loongarch64: 0xc0000102, m68k: 0x4, mips: 0x8, mipsel: 0x40000008, mips64: 0x80000008, mipsel64: 0xc0000008,
  mips64n32: 0xa0000008, mipsel64n32: 0xe0000008, parisc: 0xf, parisc64: 0x8000000f, ppc: 0x14, ppc64: 0x80000015,
  ppc64le: 0xc0000015, riscv64: 0xc00000f3, s390: 0x16, s390x: 0x80000016, sh: 0x4000002a, sheb: 0x2a,
};

describe('architecture descriptors', () => {
  it('covers every ABI with its audit arch and byte order', () => {
    expect([...LINUX_ARCH_NAMES].sort()).toEqual(Object.keys(AUDIT).sort());
    for (const arch of LINUX_ARCH_NAMES) {
      const d = LINUX_ARCHES[arch];
      expect(d.auditArch, arch).toBe(AUDIT[arch]);
      expect(d.endian, arch).toBe((AUDIT[arch] & 0x40000000) !== 0 ? 'little' : 'big');
      expect(parseLinuxArch(d.scmpName)).toBe(arch);
      for (const alias of d.aliases) expect(parseLinuxArch(alias.toUpperCase()), alias).toBe(arch);
    }
    expect(archesOfAuditArch(0xc000003e)).toEqual(['x86_64', 'x32']);
    expect(archesOfAuditArch(0x80000016)).toEqual(['s390x']);
  });

  it('reads Go, Debian and libseccomp spellings, and refuses others in one line', () => {
    expect(parseLinuxArch('arm64')).toBe('aarch64');
    expect(parseLinuxArch('SCMP_ARCH_AARCH64')).toBe('aarch64');
    expect(parseLinuxArch('386')).toBe('i386');
    expect(parseLinuxArch('amd64')).toBe('x86_64');
    expect(parseLinuxArch('loong64')).toBe('loongarch64');
    expect(parseLinuxArch('mips64le')).toBe('mipsel64');
    expect(parseLinuxArch('mipsle')).toBe('mipsel');
    expect(parseLinuxArch('ppc64el')).toBe('ppc64le');
    expect(parseLinuxArch(' s390x ')).toBe('s390x');
    expect(() => parseLinuxArch('vax')).toThrow(/^unknown architecture "vax"; expected one of: x86_64, i386, x32, arm/);
    expect(() => parseLinuxArch('constructor')).toThrow(/unknown architecture/);
  });

  it('knows which ABIs multiplex socket and IPC calls, and their numbers', () => {
    const muxed = LINUX_ARCH_NAMES.filter((a) => LINUX_ARCHES[a].socketcall !== undefined);
    expect(muxed).toEqual(['i386', 'm68k', 'mips', 'mipsel', 'ppc', 'ppc64', 'ppc64le', 's390', 's390x', 'sh', 'sheb']);
    expect(LINUX_ARCH_NAMES.filter((a) => LINUX_ARCHES[a].ipc !== undefined)).toEqual(muxed);
    expect(LINUX_ARCHES.mips.socketcall?.nr).toBe(4102);
    expect(LINUX_ARCHES.s390x.ipc?.nr).toBe(117);
    expect(LINUX_ARCHES.ppc64le.socketcall?.calls.socket).toBe(1);
  });
});

describe('syscall numbers on every ABI', () => {
  it('matches the kernel on a sample of well-known numbers', () => {
    const known: Array<[LinuxArchName, string, number]> = [
      ['aarch64', 'openat', 56], ['aarch64', 'read', 63], ['riscv64', 'clone3', 435], ['loongarch64', 'read', 63],
      ['arm', 'cacheflush', 0xf0002], ['arm', 'set_tls', 0xf0005], ['arm', 'socket', 281],
      ['mips', 'read', 4003], ['mipsel', 'socketcall', 4102], ['mips64', 'read', 5000], ['mipsel64n32', 'read', 6000],
      ['s390x', 'socket', 359], ['s390', '_llseek', 140], ['ppc64le', 'socket', 326], ['parisc', 'socket', 17],
      ['m68k', 'read', 3], ['sh', 'socket', 340], ['sheb', 'socket', 340], ['x32', 'read', 0x40000000],
    ];
    for (const [arch, name, nr] of known) {
      expect(resolveSyscall(arch, name), `${name} on ${arch}`).toBe(nr);
      expect(syscallName(arch, nr)).toBe(name);
    }
  });

  it('gives every ABI a table with unique numbers and names, sorted, above its base', () => {
    for (const arch of LINUX_ARCH_NAMES) {
      const table = syscallTable(arch);
      expect(table.length, arch).toBeGreaterThan(250);
      expect(new Set(table.map((e) => e.name)).size).toBe(table.length);
      for (let i = 1; i < table.length; i++) expect(table[i]!.nr > table[i - 1]!.nr, arch).toBe(true);
      expect(table[0]!.nr >= LINUX_ARCHES[arch].nrBase).toBe(true);
    }
  });

  it('explains a MIPS number given without its base, and names the ABI of an unknown name', () => {
    expect(() => syscallByNr('mips', 3)).toThrow(/^mips syscall numbers start at 4000: 3 is not one \(4003 is read\)$/);
    expect(() => resolveSyscall('aarch64', 'open')).toThrow(/unknown syscall "open" on aarch64 \(it exists on x86_64, /);
  });
});

describe('seccomp_data on big-endian ABIs', () => {
  it('puts the high half of a 64-bit argument first, in big-endian bytes', () => {
    const d = seccompData({ arch: 's390x', nr: 359, args: [0x1122334455667788n, 0, 0, 0, 0, 0xfffffffffn] });
    expect(d.words[4]).toBe(0x11223344);
    expect(d.words[5]).toBe(0x55667788);
    expect(d.words[14]).toBe(0xf);
    expect(d.words[15]).toBe(0xffffffff);
    expect(Array.from(d.bytes.slice(0, 8))).toEqual([0, 0, 1, 0x67, 0x80, 0, 0, 0x16]);
    expect(Array.from(d.bytes.slice(16, 24))).toEqual([0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88]);
    const le = seccompData({ arch: 'ppc64le', nr: 326, args: [0x1122334455667788n] });
    expect([le.words[4], le.words[5]]).toEqual([0x55667788, 0x11223344]);
  });

  it('names the halves by offset and byte order', () => {
    expect(argOffset(0, 'hi', 'big')).toBe(16);
    expect(argOffset(0, 'lo', 'big')).toBe(20);
    expect(argOffset(5, 'lo', 'big')).toBe(60);
    expect(argOffset(2, 'lo')).toBe(32);
    expect(fieldAt(16, 'big')).toEqual({ field: 'arg', index: 0, half: 'hi' });
    expect(fieldAt(20, 'big')).toEqual({ field: 'arg', index: 0, half: 'lo' });
    expect(fieldAt(8, 'big')).toEqual({ field: 'instruction_pointer', half: 'hi' });
    expect(fieldAt(16)).toEqual({ field: 'arg', index: 0, half: 'lo' });
  });

  it('a filter loading [20] reads the low half of args[0] on s390x, the high half on x86_64', () => {
    const program = [ins.loadWord(20), ins.jump('jeq', 7, 0, 1), ins.ret(0x7fff0000), ins.ret(0x00050001)];
    const call = (arch: LinuxArchName) => callData({ arch, syscall: 'read', args: [7n] });
    expect(interpret(program, call('s390x')).raw).toBe(0x7fff0000);
    expect(interpret(program, call('x86_64')).raw).toBe(0x00050001);
    expect(interpret(program, call('mips')).raw).toBe(0x7fff0000);
    expect(interpret(program, call('aarch64')).raw).toBe(0x00050001);
  });

  it('reads raw bytes back on every ABI (property)', () => {
    const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
    fc.assert(fc.property(
      fc.constantFrom(...LINUX_ARCH_NAMES), fc.nat({ max: 0x3fffffff }), fc.array(u64, { minLength: 6, maxLength: 6 }), u64,
      (arch, n, args, ip) => {
        const nr = arch === 'x32' ? (n | 0x40000000) >>> 0 : n;
        const d = seccompData({ arch, nr, args, instructionPointer: ip });
        const back = seccompDataFromBytes(d.bytes);
        // mips and mipsel differ only in byte order, as do ppc64/ppc64le; the audit arch tells them apart.
        expect(back.arch).toBe(arch === 'x32' || arch === 'x86_64' ? arch : LINUX_ARCHES[arch].name);
        expect(back.args).toEqual(args);
        expect(back.instructionPointer).toBe(ip);
        expect(Array.from(back.words)).toEqual(Array.from(d.words));
      },
    ), { numRuns: 300 });
  });

  it('refuses bytes whose arch word is no ABI in either byte order', () => {
    const bytes = new Uint8Array(64);
    bytes.set([0x78, 0x56, 0x34, 0x12], 4);
    expect(() => seccompDataFromBytes(bytes)).toThrow(/seccomp_data\.arch 0x12345678 \(little-endian\) is no ABI's audit arch/);
  });
});

describe('seccomp-ts resolve / syscalls --arch on every ABI', () => {
  it('resolves names and numbers per ABI', async () => {
    const r = await cli(['resolve', 'openat', '--arch', 'arm64']);
    expect([r.code, r.stdout, r.stderr]).toEqual([0, '56\n', '']);
    const m = await cli(['resolve', 'read', '3', '--arch', 'SCMP_ARCH_MIPSEL']);
    expect([m.code, m.stdout]).toEqual([0, '4003 (mipsel base 4000 + 3)\nread\n']);
    const s = await cli(['syscalls', '--arch', 's390x', '--json']);
    const parsed = JSON.parse(s.stdout) as { arch: string; auditArch: string; endian: string; syscalls: unknown[] };
    expect([parsed.arch, parsed.auditArch, parsed.endian]).toEqual(['s390x', '0x80000016', 'big']);
    expect(parsed.syscalls.length).toBe(syscallTable('s390x').length);
    const bad = await cli(['resolve', 'read', '--arch', 'vax']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^seccomp-ts: resolve: unknown architecture "vax"; expected one of: x86_64, /);
  });

  it('compile --target s390x and emu --arch s390x/s390: verdicts in the machine\'s byte order', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'seccomp-ts-arch-'));
    try {
      const file = join(dir, 's390x.bpf');
      const c = await cli(['compile', '--profile', 'docker-default', '--target', 's390x', '-o', file]);
      expect(c.code).toBe(0);
      const emu = async (...argv: string[]): Promise<string> => (await cli(['emu', file, ...argv])).stdout.trim();
      expect(await emu('read', '--arch', 's390x')).toBe('ALLOW');
      expect(await emu('socketcall', '1', '--arch', 's390')).toBe('ALLOW');
      expect(await emu('read', '--arch', 'x86_64')).toBe('KILL_THREAD');
      expect(await emu('read', '--arch', 'SCMP_ARCH_AARCH64')).toBe('KILL_THREAD');
      const dis = await cli(['disasm', file]);
      expect(dis.stdout).toMatch(/if \(A == ARCH_S390X\)/);
      expect(dis.stdout).toMatch(/if \(A == ARCH_S390\)/);
      // Syscall numbers print as names of the ABI established on every path, and read back to the same program.
      expect(dis.stdout).toMatch(/if \(A == personality\)/);
      const asmFile = join(dir, 's390x.asm');
      writeFileSync(asmFile, (await cli(['disasm', file, '--no-columns'])).stdout);
      const back = await cli(['asm', asmFile, '-o', join(dir, 'back.bpf')]);
      expect([back.code, back.stderr]).toEqual([0, '']);
      expect(readFileSync(join(dir, 'back.bpf'))).toEqual(readFileSync(file));
      const stats = await cli(['stats', file, '--arch', 's390x', '--arch', 'SCMP_ARCH_S390', '--json']);
      const parsed = JSON.parse(stats.stdout) as { abis: Array<{ abi: string; syscalls: number; verdicts: Record<string, number> }> };
      expect(parsed.abis.map((a) => [a.abi, a.syscalls])).toEqual([['s390x', syscallTable('s390x').length], ['s390', syscallTable('s390').length]]);
      expect(parsed.abis[0]!.verdicts.ALLOW).toBeGreaterThan(300);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
