/** scripts/gen-syscalls.ts: reproduces the committed tables, and refuses inputs that disagree. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  REPO_ROOT, defaultDataDir, generateSyscallTables, parseCsv, parseKernelVersion, readSources, type SyscallSources,
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
      'src/syscalls/tables/i386.ts', 'src/syscalls/tables/source.ts',
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
    const csv = [
      '#syscall (test),x86,x86_kver,x86_64,x86_64_kver,x32,x32_kver',
      'pidfd_open,434,SCMP_KV_5_3,434,SCMP_KV_5_3,434,SCMP_KV_5_3',
      'read,3,SCMP_KV_UNDEF,0,SCMP_KV_UNDEF,0,SCMP_KV_UNDEF',
    ].join('\n');
    const parsed = parseCsv(csv);
    expect(parsed.version).toBe('test');
    expect(parsed.tables.x86_64).toEqual([
      { nr: 0, name: 'read', minKernel: undefined },
      { nr: 434, name: 'pidfd_open', minKernel: '5.3' },
    ]);
    const files = generateSyscallTables({ csv, tbl64: '0\tcommon\tread\tsys_read\n', tbl32: '3\ti386\tread\tsys_read\n' });
    expect(files.get('src/syscalls/tables/x86_64.ts')).toContain("  [434, 'pidfd_open', '5.3'],\n");
    expect(files.get('src/syscalls/tables/x86_64.ts')).toContain("  [0, 'read'],\n");
  });
});
