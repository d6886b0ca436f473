/** Syscall tables and resolver: against the machine's kernel headers, and by property. */
import { existsSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ARCHES, ARCH_NAMES, AUDIT_ARCH_I386, AUDIT_ARCH_X86_64, IPC_CALLS, SOCKETCALL_CALLS, SyscallError,
  UnknownSyscallError, X32_SYSCALL_BIT, lookupSyscall, maxSyscallNr, parseArch, resolveSyscall, suggestSyscalls,
  syscallByNr, syscallName, syscallTable, type ArchName,
} from '../src/index.js';
import { editDistance } from '../src/syscalls/resolve.js';
import { itWhen, type Missing } from './support/require.js';

const HEADER_DIR = '/usr/include/x86_64-linux-gnu/asm';
const HEADERS: Readonly<Record<ArchName, string>> = {
  x86_64: `${HEADER_DIR}/unistd_64.h`,
  i386: `${HEADER_DIR}/unistd_32.h`,
  x32: `${HEADER_DIR}/unistd_x32.h`,
};

const missingFile = (path: string): Missing =>
  existsSync(path) ? undefined : `${path} not found (install linux-libc-dev)`;

/** `#define __NR_name N` or `#define __NR_name (__X32_SYSCALL_BIT + N)`, as a filter sees the number. */
function headerNumbers(path: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const m = /^#define __NR_(\w+)\s+(?:\(__X32_SYSCALL_BIT \+ (\d+)\)|(\d+))\s*$/.exec(line);
    if (!m) continue;
    out.set(m[1]!, m[2] !== undefined ? (X32_SYSCALL_BIT + Number(m[2])) >>> 0 : Number(m[3]));
  }
  return out;
}

describe('tables against the installed kernel headers', () => {
  for (const arch of ARCH_NAMES) {
    itWhen(missingFile(HEADERS[arch]), `every __NR_* of ${HEADERS[arch]} resolves to the same number on ${arch}`, () => {
      const numbers = headerNumbers(HEADERS[arch]);
      expect(numbers.size).toBeGreaterThan(300);
      const wrong: string[] = [];
      for (const [name, nr] of numbers) {
        const entry = lookupSyscall(arch, name);
        if (entry?.nr !== nr || entry.name !== name) wrong.push(`${name}: header ${nr}, table ${entry ? `${entry.name} ${entry.nr}` : 'none'}`);
        if (syscallName(arch, nr) !== name) wrong.push(`${nr}: header ${name}, table ${syscallName(arch, nr)}`);
      }
      expect(wrong).toEqual([]);
    });
  }
});

describe('table shape', () => {
  it.each(ARCH_NAMES)('%s: sorted by number, unique names and numbers, frozen', (arch) => {
    const table = syscallTable(arch);
    for (let i = 1; i < table.length; i++) expect(table[i]!.nr).toBeGreaterThan(table[i - 1]!.nr);
    expect(new Set(table.map((e) => e.name)).size).toBe(table.length);
    expect(Object.isFrozen(table)).toBe(true);
    expect(Object.isFrozen(table[0])).toBe(true);
    expect(maxSyscallNr(arch)).toBe(table[table.length - 1]!.nr);
  });

  it('sizes and landmarks match the csv (v7.1.0-rc4)', () => {
    expect(syscallTable('x86_64')).toHaveLength(385);
    expect(syscallTable('i386')).toHaveLength(461);
    expect(syscallTable('x32')).toHaveLength(374);
    expect(resolveSyscall('x86_64', 'getcwd')).toBe(79);
    expect(resolveSyscall('i386', 'getcwd')).toBe(183);
    expect(resolveSyscall('x32', 'getcwd')).toBe(0x4000004f);
    expect(resolveSyscall('x32', 'rt_sigaction')).toBe(0x40000200);
    expect(resolveSyscall('x86_64', 'rt_sigaction')).toBe(13);
    expect(resolveSyscall('i386', 'socketcall')).toBe(102);
    expect(resolveSyscall('i386', 'ipc')).toBe(117);
    expect(resolveSyscall('x86_64', 'rseq_slice_yield')).toBe(471);
    expect(maxSyscallNr('x86_64')).toBe(471);
    expect(maxSyscallNr('i386')).toBe(471);
    expect(maxSyscallNr('x32')).toBe(0x40000223);
  });

  it('every x32 number carries the x32 bit and no other ABI has it set', () => {
    for (const e of syscallTable('x32')) expect(e.nr & X32_SYSCALL_BIT).toBe(X32_SYSCALL_BIT);
    for (const arch of ['x86_64', 'i386'] as const) {
      for (const e of syscallTable(arch)) expect(e.nr < X32_SYSCALL_BIT).toBe(true);
    }
  });

  it('minKernel is a dotted version or absent', () => {
    for (const arch of ARCH_NAMES) {
      for (const e of syscallTable(arch)) {
        if ('minKernel' in e) expect(e.minKernel).toMatch(/^\d+\.\d+$/);
      }
    }
  });
});

describe('round trips (property)', () => {
  for (const arch of ARCH_NAMES) {
    it(`${arch}: name → number → name and number → name → number`, () => {
      const table = syscallTable(arch);
      fc.assert(fc.property(fc.constantFrom(...table), (entry) => {
        const nr = resolveSyscall(arch, entry.name);
        expect(nr).toBe(entry.nr);
        expect(syscallName(arch, nr)).toBe(entry.name);
        expect(syscallByNr(arch, nr)).toBe(entry);
        expect(lookupSyscall(arch, entry.name.toUpperCase())).toBe(entry);
      }), { numRuns: table.length * 2 });
    });
    it(`${arch}: syscallName is defined exactly for table numbers`, () => {
      const numbers = new Set<number>(syscallTable(arch).map((e) => e.nr));
      const base = ARCHES[arch].nrBase;
      fc.assert(fc.property(
        fc.oneof(fc.integer({ min: base, max: maxSyscallNr(arch) + 10 }), fc.integer({ min: -10, max: 0xffffffff }), fc.double()),
        (n) => {
          const name = syscallName(arch, n);
          expect(name !== undefined).toBe(numbers.has(n));
          if (name === undefined) expect(() => syscallByNr(arch, n)).toThrow(SyscallError);
        },
      ));
    });
  }
});

describe('architectures', () => {
  it('aliases agree (case-insensitive) and name the right descriptor', () => {
    const cases: Array<[string, ArchName]> = [
      ['x86_64', 'x86_64'], ['amd64', 'x86_64'], ['SCMP_ARCH_X86_64', 'x86_64'], ['X86_64', 'x86_64'],
      ['i386', 'i386'], ['x86', 'i386'], ['i686', 'i386'], ['SCMP_ARCH_X86', 'i386'], ['scmp_arch_x86', 'i386'],
      ['x32', 'x32'], ['SCMP_ARCH_X32', 'x32'], ['X32', 'x32'],
    ];
    for (const [text, arch] of cases) expect(parseArch(text)).toBe(arch);
    fc.assert(fc.property(fc.constantFrom(...ARCH_NAMES).chain((arch) =>
      fc.tuple(fc.constant(arch), fc.constantFrom(...ARCHES[arch].aliases), fc.boolean())), ([arch, alias, upper]) => {
      const parsed = parseArch(upper ? alias.toUpperCase() : alias.toLowerCase());
      expect(parsed).toBe(arch);
      expect(syscallTable(parsed)).toBe(syscallTable(arch));
    }));
  });

  it('rejects unknown names, listing the valid ones', () => {
    expect(() => parseArch('arm')).toThrow(/unknown architecture "arm".*x86_64.*i386.*x32/);
    expect(() => parseArch('')).toThrow(/unknown architecture/);
  });

  it('descriptors carry audit arch, word size and the x32 bit', () => {
    expect(ARCHES.x86_64).toMatchObject({ auditArch: AUDIT_ARCH_X86_64, wordSize: 64, x32Bit: false, nrBase: 0 });
    expect(ARCHES.i386).toMatchObject({ auditArch: AUDIT_ARCH_I386, wordSize: 32, x32Bit: false, nrBase: 0 });
    expect(ARCHES.x32).toMatchObject({ auditArch: AUDIT_ARCH_X86_64, wordSize: 64, x32Bit: true, nrBase: 0x40000000 });
    for (const arch of ARCH_NAMES) expect(ARCHES[arch].name).toBe(arch);
    expect(ARCHES.i386.socketcall?.nr).toBe(resolveSyscall('i386', 'socketcall'));
    expect(ARCHES.i386.ipc?.nr).toBe(resolveSyscall('i386', 'ipc'));
    expect(ARCHES.x86_64.socketcall).toBeUndefined();
  });

  it('i386 has a direct syscall for every multiplexed call except the few reachable only through it', () => {
    const onlyMultiplexed = [...Object.keys(SOCKETCALL_CALLS), ...Object.keys(IPC_CALLS)]
      .filter((name) => lookupSyscall('i386', name) === undefined);
    expect(onlyMultiplexed).toEqual(['accept', 'send', 'recv', 'semop', 'semtimedop']);
  });

  itWhen(missingFile('/usr/include/linux/net.h'), 'socketcall sub-calls match linux/net.h', () => {
    const defs = defines('/usr/include/linux/net.h', /^#define SYS_(\w+)\s+(\d+)/);
    expect(defs.size).toBe(20);
    for (const [name, n] of defs) expect(SOCKETCALL_CALLS[name.toLowerCase()], name).toBe(n);
    expect(Object.keys(SOCKETCALL_CALLS)).toHaveLength(20);
  });

  itWhen(missingFile('/usr/include/linux/ipc.h'), 'ipc sub-calls match linux/ipc.h', () => {
    const defs = defines('/usr/include/linux/ipc.h', /^#define (SEM\w+|MSG\w+|SHM\w+)\s+(\d+)/);
    expect(defs.size).toBe(12);
    for (const [name, n] of defs) expect(IPC_CALLS[name.toLowerCase()], name).toBe(n);
    expect(Object.keys(IPC_CALLS)).toHaveLength(12);
  });
});

function defines(path: string, pattern: RegExp): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const m = pattern.exec(line);
    if (m) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

describe('resolver errors', () => {
  it('suggests the nearest name', () => {
    expect(() => resolveSyscall('x86_64', 'getcdw')).toThrow('unknown syscall "getcdw" on x86_64; did you mean getcwd?');
    try {
      resolveSyscall('x86_64', 'opn');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(UnknownSyscallError);
      expect((err as UnknownSyscallError).suggestions).toEqual(['open']);
      expect((err as UnknownSyscallError).arch).toBe('x86_64');
    }
  });

  it('names the ABIs that do have the syscall', () => {
    expect(() => resolveSyscall('x86_64', 'socketcall')).toThrow(/unknown syscall "socketcall" on x86_64 \(it exists on i386\)/);
    expect(() => resolveSyscall('x32', '_sysctl')).toThrow(/on x32 \(it exists on x86_64 and i386\)/);
    expect(() => resolveSyscall('x86_64', 'uselib')).not.toThrow();
    expect(() => resolveSyscall('x32', 'uselib')).toThrow(/it exists on x86_64 and i386/);
  });

  it('gives no suggestion when nothing is close', () => {
    expect(() => resolveSyscall('x86_64', 'frobnicate')).toThrow(/^unknown syscall "frobnicate" on x86_64$/);
    expect(suggestSyscalls('x86_64', 'frobnicate')).toEqual([]);
  });

  it('any single-edit typo of a name suggests that name (property)', () => {
    const table = syscallTable('x86_64').filter((e) => e.name.length >= 4);
    fc.assert(fc.property(fc.constantFrom(...table), fc.nat(), fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz'), (entry, at, ch) => {
      const i = at % entry.name.length;
      const typo = entry.name.slice(0, i) + ch + entry.name.slice(i + 1);
      if (lookupSyscall('x86_64', typo) !== undefined) return;
      const suggestions = suggestSyscalls('x86_64', typo);
      expect(suggestions.length).toBeGreaterThan(0);
      expect(suggestions.length).toBeLessThanOrEqual(3);
      // A name with a leading underscore (_sysctl) is also matched without it, as users write it.
      for (const s of suggestions) expect(Math.min(editDistance(typo, s), editDistance(typo, s.replace(/^_/, '')))).toBeLessThanOrEqual(1);
      if (suggestions.length < 3) expect(suggestions).toContain(entry.name);
    }));
  });

  it('removed calls resolve under the name users write', () => {
    expect(resolveSyscall('x86_64', 'sysctl')).toBe(156);
    expect(resolveSyscall('i386', 'sysctl')).toBe(149);
    expect(lookupSyscall('x86_64', 'sysctl')?.name).toBe('_sysctl');
    expect(resolveSyscall('x86_64', '_sysctl')).toBe(156);
    expect(resolveSyscall('i386', 'llseek')).toBe(140);
    expect(resolveSyscall('i386', 'newselect')).toBe(142);
  });

  it('rejects empty names and bad numbers clearly', () => {
    expect(() => resolveSyscall('x86_64', '')).toThrow('empty syscall name');
    expect(() => resolveSyscall('x86_64', '  ')).toThrow(SyscallError);
    expect(() => syscallByNr('x86_64', -1)).toThrow('syscall number -1 is negative');
    expect(() => syscallByNr('x86_64', 1.5)).toThrow('syscall number 1.5 is not an integer');
    expect(() => syscallByNr('x86_64', Number.NaN)).toThrow(/not an integer/);
    expect(() => syscallByNr('x86_64', 472)).toThrow('syscall number 472 is past the x86_64 table (0-471)');
    expect(() => syscallByNr('x86_64', 340)).toThrow(/no syscall has number 340 on x86_64/);
    expect(() => syscallByNr('x32', 79)).toThrow(/x32 bit 0x40000000: 79 is not one \(0x4000004f is getcwd\)/);
    expect(() => syscallByNr('x32', 0x40000300)).toThrow(/past the x32 table \(0x40000000-0x40000223\)/);
    expect(syscallName('x86_64', -1)).toBeUndefined();
    expect(syscallName('x32', 79)).toBeUndefined();
    expect(syscallName('x32', 0x4000004f)).toBe('getcwd');
  });
});

describe('editDistance', () => {
  it('is a metric with transpositions costing one (property)', () => {
    const word = fc.string({ unit: fc.constantFrom('a', 'b', 'c', '_'), maxLength: 8 });
    fc.assert(fc.property(word, word, (a, b) => {
      const d = editDistance(a, b);
      expect(d).toBe(editDistance(b, a));
      expect(d === 0).toBe(a === b);
      expect(d).toBeLessThanOrEqual(Math.max(a.length, b.length));
      expect(d).toBeGreaterThanOrEqual(Math.abs(a.length - b.length));
    }));
    expect(editDistance('getcdw', 'getcwd')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
  });
});
