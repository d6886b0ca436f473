/** scripts/gen-syscalls.ts: reproduces the committed tables, and refuses inputs that disagree. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ARCH_COLUMNS, REPO_ROOT, defaultDataDir, generateSyscallTables, parseAuditArches, parseCsv, parseKernelVersion,
  readSources, type SyscallSources,
} from '../scripts/gen-syscalls.js';
import { itWhen, type Missing } from './support/require.js';

const dataDir = defaultDataDir();
const missingData: Missing = existsSync(join(dataDir, 'libseccomp/syscalls.csv'))
  ? undefined
  : `generator input not found in ${dataDir} (set SECCOMP_TS_SHARED_DATA)`;
const sources = (): SyscallSources => readSources(dataDir);

describe('gen-syscalls', () => {
  itWhen(missingData, 'regenerating the tables gives no diff', () => {
    const files = generateSyscallTables(sources());
    expect([...files.keys()].sort()).toEqual([
      'src/syscalls/tables/arches.ts', 'src/syscalls/tables/i386.ts', 'src/syscalls/tables/source.ts',
      'src/syscalls/tables/x32.ts', 'src/syscalls/tables/x86_64.ts',
    ]);
    for (const [path, text] of files) {
      expect(readFileSync(join(REPO_ROOT, path), 'utf8') === text, `${path} differs from the generator's output`).toBe(true);
    }
  });

  itWhen(missingData, 'fails when a kernel table entry disagrees with the csv', () => {
    const good = sources();
    const tbl64 = good.tbl64.replace(/^79\tcommon\tgetcwd/m, '79\tcommon\tgetcwdx');
    expect(tbl64).not.toBe(good.tbl64);
    expect(() => generateSyscallTables({ ...good, tbl64 })).toThrow(/syscall_64\.tbl line \d+: x86_64 79 is getcwdx, csv has getcwd there/);
    const tbl32 = good.tbl32.replace(/^183\ti386\tgetcwd/m, '184\ti386\tgetcwd');
    expect(tbl32).not.toBe(good.tbl32);
    expect(() => generateSyscallTables({ ...good, tbl32 })).toThrow(/i386 184 is getcwd, csv has .* there \(and getcwd at 183\)/);
    const x32 = good.tbl64.replace(/^512\tx32\trt_sigaction/m, '513\tx32\trt_sigaction');
    expect(() => generateSyscallTables({ ...good, tbl64: x32 })).toThrow(/x32 513 is rt_sigaction/);
  });

  itWhen(missingData, 'fails on malformed csv rows', () => {
    const good = sources();
    const [header, ...rows] = good.csv.split('\n');
    expect(() => generateSyscallTables({ ...good, csv: [header, rows[0]!.replace(/,43,/, ',4x3,'), ...rows.slice(1)].join('\n') }))
      .toThrow(/not a syscall number: "4x3"/);
    expect(() => generateSyscallTables({ ...good, csv: [header, rows[0]!, rows[0]!, ...rows.slice(1)].join('\n') }))
      .toThrow(/duplicate syscall "accept"/);
    expect(() => generateSyscallTables({ ...good, csv: rows.join('\n') })).toThrow(/missing "#syscall" header/);
  });

  it('carries introducing kernel versions when the csv gives them', () => {
    expect(parseKernelVersion('SCMP_KV_5_3', 'x')).toBe('5.3');
    expect(parseKernelVersion('SCMP_KV_UNDEF', 'x')).toBeUndefined();
    expect(() => parseKernelVersion('5.3', 'here')).toThrow(/here: unrecognised kernel version "5.3"/);
    const others = ARCH_COLUMNS.map((c) => `,${c},${c}_kver`).join('');
    const absent = ARCH_COLUMNS.map(() => ',PNR,SCMP_KV_UNDEF').join('');
    const csv = [
      `#syscall (test),x86,x86_kver,x86_64,x86_64_kver,x32,x32_kver${others}`,
      `pidfd_open,434,SCMP_KV_5_3,434,SCMP_KV_5_3,434,SCMP_KV_5_3${absent.replace(',PNR,SCMP_KV_UNDEF', ',434,SCMP_KV_5_3')}`,
      `read,3,SCMP_KV_UNDEF,0,SCMP_KV_UNDEF,0,SCMP_KV_UNDEF${absent}`,
    ].join('\n');
    const parsed = parseCsv(csv);
    expect(parsed.version).toBe('test');
    expect(parsed.tables.x86_64).toEqual([
      { nr: 0, name: 'read', minKernel: undefined },
      { nr: 434, name: 'pidfd_open', minKernel: '5.3' },
    ]);
    const { auditArch } = sources();
    const files = generateSyscallTables({ csv, tbl64: '0\tcommon\tread\tsys_read\n', tbl32: '3\ti386\tread\tsys_read\n', auditArch });
    expect(files.get('src/syscalls/tables/arches.ts')).toContain("  arm: '434@5.3,',\n");
    expect(files.get('src/syscalls/tables/x86_64.ts')).toContain("  [434, 'pidfd_open', '5.3'],\n");
    expect(files.get('src/syscalls/tables/x86_64.ts')).toContain("  [0, 'read'],\n");
  });

  itWhen(missingData, 'evaluates AUDIT_ARCH_* from audit.h and elf-em.h, and refuses what it cannot read', () => {
    const values = parseAuditArches(sources().auditArch);
    expect(values).toMatchObject({
      I386: 0x40000003, X86_64: 0xc000003e, AARCH64: 0xc00000b7, ARM: 0x40000028, RISCV64: 0xc00000f3,
      PPC64LE: 0xc0000015, S390X: 0x80000016, MIPSEL: 0x40000008, MIPSEL64: 0xc0000008, MIPSEL64N32: 0xe0000008,
      MIPS64N32: 0xa0000008, LOONGARCH64: 0xc0000102, SH: 0x2a, SHEL: 0x4000002a, M68K: 4,
    });
    expect(() => parseAuditArches('#define AUDIT_ARCH_I386 (EM_386|__AUDIT_ARCH_LE)\n')).toThrow(/EM_386 is not defined/);
    expect(() => generateSyscallTables({ ...sources(), csv: sources().csv.replace(/,sh,sh_kver/, ',sx,sx_kver') }))
      .toThrow(/no "sh" \/ "sh_kver" column/);
  });
});
