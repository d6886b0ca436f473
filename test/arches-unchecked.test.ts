/**
 * The ABIs Debian's libseccomp 2.5.4 does not know (loongarch64, m68k, sh/sheb), so no differential covers them:
 * their tables are held to the kernel's own syscall table where the shared data has it (loongarch64 and aarch64
 * share the generic table), a few numbers checked against the kernel's m68k and sh tables stand guard, and small
 * filters for each are kept as golden files, reviewed by hand, with the emulator's verdicts on them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultDataDir } from '../scripts/gen-syscalls.js';
import { disassemble } from '../src/bpf/disasm.js';
import { compilePolicy } from '../src/compiler/index.js';
import { performanceCompileOptions } from '../src/compiler/performance.js';
import { seccompData } from '../src/emulator/data.js';
import { prepareFilter } from '../src/emulator/executor.js';
import { DOCKER_DEFAULT_PROFILE_JSON, importProfile } from '../src/policy/oci/index.js';
import type { Policy } from '../src/policy/types.js';
import { LINUX_ARCHES, type LinuxArchName } from '../src/syscalls/arch.js';
import { lookupSyscall, syscallTable } from '../src/syscalls/resolve.js';
import { goldenDir } from './support/golden.js';
import { itWhen, type Missing } from './support/require.js';

const { expectGolden } = goldenDir('arch');
const tblPath = join(defaultDataDir(), 'linux/syscall.tbl');
const missingTable: Missing = existsSync(tblPath) ? undefined : `kernel syscall table not found at ${tblPath} (set SECCOMP_TS_SHARED_DATA)`;

/** (number, name) of the generic kernel table's lines whose ABI tag is one of `tags`. */
function genericTable(tags: readonly string[]): Map<number, string> {
  const out = new Map<number, string>();
  for (const line of readFileSync(tblPath, 'utf8').split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const [nr, tag, name] = line.split(/\s+/);
    if (tags.includes(tag as string)) out.set(Number(nr), name as string);
  }
  return out;
}

/** Where the tables and the kernel's table disagree up to the kernel table's last number. */
function disagreements(abi: LinuxArchName, kernel: ReadonlyMap<number, string>): string[] {
  const ours = new Map<number, string>(syscallTable(abi).map((e) => [e.nr, e.name]));
  const last = Math.max(...kernel.keys());
  const out: string[] = [];
  for (const [nr, name] of kernel) if (ours.get(nr) !== name) out.push(`${nr}: kernel ${name}, tables ${ours.get(nr) ?? '-'}`);
  for (const [nr, name] of ours) if (nr <= last && !kernel.has(nr)) out.push(`${nr}: tables ${name}, kernel -`);
  return out;
}

describe('tables of the ABIs libseccomp 2.5.4 lacks', () => {
  // The generic table names __NR_fstat's line `newfstat`; libseccomp and the uapi headers call it fstat. 42 is
  // nfsservctl's old number, left as a hole in the kernel's table, named in libseccomp's.
  const KNOWN = ['80: kernel newfstat, tables fstat', '42: tables nfsservctl, kernel -'];

  itWhen(missingTable, 'loongarch64 equals the kernel\'s generic table (ABIs common and 64) but for two names', () => {
    const kernel = genericTable(['common', '64']);
    expect(kernel.size).toBeGreaterThan(300);
    expect(disagreements('loongarch64', kernel).sort()).toEqual([...KNOWN].sort());
  });

  itWhen(missingTable, 'aarch64 equals it with arm64\'s extra ABIs (renameat, rlimit, memfd_secret), the same way', () => {
    expect(disagreements('aarch64', genericTable(['common', '64', 'renameat', 'rlimit', 'memfd_secret'])).sort()).toEqual([...KNOWN].sort());
  });

  it('m68k and sh numbers checked against the kernel\'s own tables stand guard', () => {
    const nr = (abi: LinuxArchName, name: string) => lookupSyscall(abi, name)?.nr;
    // m68k: arch/m68k/kernel/syscalls/syscall.tbl (376 entries up to 402 compared: all equal).
    expect([nr('m68k', 'cacheflush'), nr('m68k', 'atomic_barrier'), nr('m68k', 'socket'), nr('m68k', 'rseq'), nr('m68k', 'msgctl')])
      .toEqual([123, 336, 356, 384, 402]);
    // sh: arch/sh/kernel/syscalls/syscall.tbl (369 entries up to 402 compared: all equal; 388
    // sync_file_range2 is newer than the table compared).
    for (const abi of ['sh', 'sheb'] as const) {
      expect([nr(abi, 'cacheflush'), nr(abi, 'socket'), nr(abi, 'send'), nr(abi, 'rseq'), nr(abi, 'sync_file_range2'), nr(abi, 'msgctl')])
        .toEqual([123, 340, 348, 387, 388, 402]);
    }
    expect(syscallTable('sh')).toEqual(syscallTable('sheb'));
    for (const abi of ['m68k', 'sh', 'sheb'] as const) {
      expect([LINUX_ARCHES[abi].socketcall?.nr, LINUX_ARCHES[abi].ipc?.nr]).toEqual([102, 117]);
    }
    expect(lookupSyscall('loongarch64', 'open')).toBeUndefined();
  });
});

describe('golden filters for loongarch64, m68k and sh (reviewed by hand)', () => {
  const policy = (arches: LinuxArchName[]): Policy => ({
    defaultAction: { kind: 'ERRNO', data: 1 }, arches,
    rules: [
      { syscalls: ['read', 'write', 'close', 'exit_group'], action: { kind: 'ALLOW' } },
      { syscalls: ['personality'], action: { kind: 'ALLOW' }, conditions: [{ arg: 0, op: 'eq', value: 8n }] },
      { syscalls: ['lseek'], action: { kind: 'ERRNO', data: 22 }, conditions: [{ arg: 1, op: 'gt', value: 0x1_0000_0000n }] },
      { syscalls: ['socket'], action: { kind: 'ALLOW' }, conditions: [{ arg: 0, op: 'eq', value: 1n }] },
      ...(arches.includes('loongarch64') ? [] : [{ syscalls: ['cacheflush'], action: { kind: 'TRAP', data: 0 } } as const]),
    ],
  });
  const call = (arch: LinuxArchName, name: string, args: bigint[] = []) => seccompData({ arch, nr: lookupSyscall(arch, name)!.nr, args }).words;

  it('loongarch64: 64-bit little-endian, no socketcall', () => {
    const program = compilePolicy(policy(['loongarch64'])).program;
    expectGolden('small-loongarch64.asm', disassemble(program));
    const f = prepareFilter(program);
    expect(f.runWords(call('loongarch64', 'lseek', [3n, 0x1_0000_0001n])) >>> 0).toBe(0x00050016);
    expect(f.runWords(call('loongarch64', 'lseek', [3n, 0xffff_ffffn])) >>> 0).toBe(0x00050001);
    expect(f.runWords(call('loongarch64', 'socket', [1n])) >>> 0).toBe(0x7fff0000);
    expect(f.runWords(call('loongarch64', 'personality', [0x1_0000_0008n])) >>> 0).toBe(0x00050001);
  });

  it('m68k: 32-bit big-endian, socketcall denied where socket is restricted', () => {
    const { program, warnings } = compilePolicy(policy(['m68k']));
    expect(warnings.map((w) => w.code)).toContain('socketcall-denied');
    expectGolden('small-m68k.asm', disassemble(program));
    const f = prepareFilter(program);
    expect(f.runWords(call('m68k', 'personality', [8n])) >>> 0).toBe(0x7fff0000);
    expect(f.runWords(call('m68k', 'cacheflush')) >>> 0).toBe(0x00030000);
    expect(f.runWords(call('m68k', 'socket', [1n])) >>> 0).toBe(0x7fff0000);
    expect(f.runWords(call('m68k', 'socketcall', [1n])) >>> 0).toBe(0x00050001);
  });

  it('sh and sheb: one table in both byte orders, a section each', () => {
    const program = compilePolicy(policy(['sh', 'sheb'])).program;
    expectGolden('small-sh-sheb.asm', disassemble(program));
    const f = prepareFilter(program);
    for (const arch of ['sh', 'sheb'] as const) {
      expect(f.runWords(call(arch, 'personality', [8n])) >>> 0, arch).toBe(0x7fff0000);
      expect(f.runWords(call(arch, 'personality', [9n])) >>> 0, arch).toBe(0x00050001);
      expect(f.runWords(call(arch, 'read')) >>> 0, arch).toBe(0x7fff0000);
    }
  });

  it('docker-default for loong64: instruction counts', () => {
    const { policy: docker } = importProfile(DOCKER_DEFAULT_PROFILE_JSON, { target: 'loong64' });
    expect(docker.arches).toEqual(['loongarch64']);
    const linear = compilePolicy(docker).program.length;
    const optimized = compilePolicy(docker, performanceCompileOptions()).program.length;
    expectGolden('docker-default-loong64.txt', `target loong64: ABIs loongarch64 (not known to libseccomp 2.5.4: no differential)\ninstructions: linear ${linear}, optimized ${optimized}\n`);
  });
});
