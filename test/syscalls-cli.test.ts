/** `seccomp-ts resolve` and `seccomp-ts syscalls`, run in-process. */
import { describe, expect, it } from 'vitest';
import { ARCH_NAMES, syscallTable } from '../src/index.js';
import { cli } from './support/cli.js';
import { goldenDir } from './support/golden.js';

const { expectGolden } = goldenDir('syscalls');

async function ok(argv: string[]): Promise<string> {
  const r = await cli(argv);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r.stdout;
}

async function usageError(argv: string[]): Promise<string> {
  const r = await cli(argv);
  expect(r.code).toBe(2);
  expect(r.stdout).toBe('');
  expect(r.stderr.split('\n')).toHaveLength(2); // one line and its newline
  expect(r.stderr).not.toMatch(/\n\s+at /);
  return r.stderr;
}

describe('seccomp-ts resolve', () => {
  it('name → number and number → name', async () => {
    expect(await ok(['resolve', 'getcwd', '--arch', 'i386'])).toBe('183\n');
    expect(await ok(['resolve', '79'])).toBe('getcwd\n');
    expect(await ok(['resolve', '0x4f'])).toBe('getcwd\n');
    expect(await ok(['resolve', 'getcwd'])).toBe('79\n');
    expect(await ok(['resolve', 'read', 'write', '2'])).toBe('0\n1\nopen\n');
    expect(await ok(['resolve', 'sysctl'])).toBe('156\n');
    expect(await ok(['resolve', '--arch', 'SCMP_ARCH_X86', 'socketcall'])).toBe('102\n');
    expect(await ok(['resolve', 'getcwd', '--arch', 'amd64'])).toBe('79\n');
  });

  it('x32: numbers print with the x32 bit explained; numbers are read with or without it', async () => {
    expect(await ok(['resolve', 'getcwd', '--arch', 'x32'])).toBe('1073741903 (0x4000004f = x32 bit 0x40000000 + 79)\n');
    expect(await ok(['resolve', '0x4000004f', '--arch', 'x32'])).toBe('getcwd\n');
    expect(await ok(['resolve', '1073741903', '--arch', 'x32'])).toBe('getcwd\n');
    expect(await ok(['resolve', '79', '--arch', 'x32'])).toBe('getcwd\n');
  });

  it('--json', async () => {
    const out = JSON.parse(await ok(['resolve', 'getcwd', '0x4000004f', '--arch', 'x32', '--json']));
    expect(out).toEqual([
      { query: 'getcwd', arch: 'x32', name: 'getcwd', nr: 0x4000004f },
      { query: '0x4000004f', arch: 'x32', name: 'getcwd', nr: 0x4000004f },
    ]);
  });

  it('every name of every table resolves and round-trips through the CLI', async () => {
    for (const arch of ARCH_NAMES) {
      const table = syscallTable(arch);
      const names = (await ok(['resolve', '--arch', arch, ...table.map((e) => String(e.nr))])).trimEnd().split('\n');
      expect(names).toEqual(table.map((e) => e.name));
    }
  });

  it('unknown names, arches and bad numbers: one line on stderr, exit 2', async () => {
    expect(await usageError(['resolve', 'getcdw'])).toBe('seccomp-ts: resolve: unknown syscall "getcdw" on x86_64; did you mean getcwd?\n');
    expect(await usageError(['resolve', 'socketcall'])).toMatch(/unknown syscall "socketcall" on x86_64 \(it exists on i386\)/);
    expect(await usageError(['resolve', 'getcwd', '--arch', 'vax'])).toMatch(/^seccomp-ts: resolve: unknown architecture "vax"; expected one of: x86_64/);
    expect(await usageError(['resolve', '999'])).toBe('seccomp-ts: resolve: syscall number 999 is past the x86_64 table (0-471)\n');
    expect(await usageError(['resolve', '340'])).toMatch(/no syscall has number 340 on x86_64/);
    expect(await usageError(['resolve', '--', '-1'])).toBe('seccomp-ts: resolve: syscall number -1 is negative\n');
    expect(await usageError(['resolve', '1.5'])).toMatch(/"1\.5" is not a syscall number/);
    expect(await usageError(['resolve', '0x'])).toMatch(/unknown syscall "0x"/);
    expect(await usageError(['resolve'])).toMatch(/name a syscall or give a number/);
    expect(await usageError(['resolve', 'read', '--bogus'])).toMatch(/--bogus/);
  });

  it('--help', async () => {
    const out = await ok(['resolve', '--help']);
    expect(out).toMatch(/^usage: seccomp-ts resolve/);
  });
});

describe('seccomp-ts syscalls', () => {
  for (const arch of ARCH_NAMES) {
    it(`lists the ${arch} table (golden)`, async () => {
      const out = await ok(['syscalls', '--arch', arch]);
      expect(out.trimEnd().split('\n')).toHaveLength(syscallTable(arch).length + 3);
      expectGolden(`${arch}.txt`, out);
    });
  }

  it('--json (golden)', async () => {
    const out = await ok(['syscalls', '--arch', 'x32', '--json']);
    const parsed = JSON.parse(out) as { arch: string; auditArch: string; syscalls: Array<{ nr: number; name: string }> };
    expect(parsed.arch).toBe('x32');
    expect(parsed.auditArch).toBe('0xc000003e');
    expect(parsed.syscalls).toEqual(syscallTable('x32').map((e) => ({ nr: e.nr, name: e.name })));
    expectGolden('x32.json', out);
  });

  it('defaults to x86_64', async () => {
    expect(await ok(['syscalls'])).toBe(await ok(['syscalls', '--arch', 'x86_64']));
  });

  it('rejects unknown arches and stray arguments', async () => {
    expect(await usageError(['syscalls', '--arch', 'vax'])).toMatch(/^seccomp-ts: syscalls: unknown architecture "vax"/);
    expect(await usageError(['syscalls', 'read'])).toMatch(/unexpected argument "read"/);
  });
});
