/**
 * Every command reads its input the same way (src/cli/inputs.ts): FILE, '-' (named <stdin>), `profile:NAME` or
 * `--profile NAME`; a filter in any format or a policy compiled first; errors on one line naming the input.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BUILT_IN_PROFILE_NAMES, builtInProfile } from '../src/cli/profiles.js';
import { findProfile, getProfile, listProfiles } from '../src/policy/profiles/index.js';
import { cli } from './support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'seccomp-ts-inputs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const POLICY = JSON.stringify({ defaultAction: 'ERRNO(EPERM)', arches: ['x86_64'], rules: [{ syscalls: ['read'], action: 'ALLOW' }] });

/** Each command that reads one FILE, with the arguments that follow it (text output, so that outputs compare). */
const COMMANDS: ReadonlyArray<{ name: string; after: string[] }> = [
  { name: 'compile', after: ['--format', 'hex'] },
  { name: 'check', after: [] },
  { name: 'disasm', after: [] },
  { name: 'asm', after: ['--format', 'hex'] },
  { name: 'emu', after: ['read'] },
  { name: 'stats', after: ['--arch', 'x86_64', '--json'] },
  { name: 'explain', after: ['--syscall', 'read'] },
];

describe('one input loader for every command', () => {
  it.each(COMMANDS)('$name: profile:NAME as FILE and --profile NAME give the same output', async ({ name, after }) => {
    const asFile = await cli([name, 'profile:hardened', ...after]);
    expect(asFile.stderr).toBe('');
    expect(asFile.code).toBe(0);
    const asFlag = await cli([name, '--profile', 'hardened', ...after]);
    expect(asFlag).toEqual(asFile);
  });

  it.each(COMMANDS)('$name: an unknown profile names the known ones (exit 2)', async ({ name, after }) => {
    const r = await cli([name, '--profile', 'nope', ...after]);
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toBe(`seccomp-ts: ${name}: unknown profile 'nope' (known: hardened, docker-default)\n`);
    expect((await cli([name, 'profile:nope', ...after])).stderr).toBe(r.stderr);
  });

  // emu is left out: with --profile, its positionals are the call (SYSCALL ARG...).
  it.each(COMMANDS.filter((c) => c.name !== 'emu'))('$name: FILE and --profile together are refused', async ({ name, after }) => {
    const r = await cli([name, 'x.json', '--profile', 'hardened', ...after]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^seccomp-ts: ${name}: `));
    expect(r.stderr.split('\n')).toHaveLength(2);
  });

  it.each(COMMANDS.filter((c) => c.name !== 'compile'))('$name: a policy on stdin is compiled first, like profile:NAME', async ({ name, after }) => {
    const fromStdin = await cli([name, '-', ...after], POLICY);
    expect(fromStdin.stderr).toBe('');
    expect(fromStdin.code).toBe(0);
    const file = join(dir, 'policy.json');
    writeFileSync(file, POLICY);
    const fromFile = await cli([name, file, ...after]);
    expect(fromFile.code).toBe(0);
    if (name === 'stats') expect(fromStdin.stdout).toBe(fromFile.stdout);
  });

  it.each(COMMANDS)('$name: broken JSON is one line naming <stdin>, line and column', async ({ name, after }) => {
    const r = await cli([name, '-', ...after], '{\n  "rules": [\n\tx\n');
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toMatch(/^seccomp-ts: <stdin>:3:2: not valid JSON \([^\n]*\)\n$/);
  });

  it.each(COMMANDS)('$name: a bad policy names the file and the JSON path', async ({ name, after }) => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ defaultAction: 'ERRNO(EPERM)', arches: ['x86_64'], rules: [{ syscalls: ['read'], action: 'ALOW' }] }));
    const r = await cli([name, file, ...after]);
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toMatch(new RegExp(`^seccomp-ts: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: rules\\[0\\]\\.action: [^\\n]*\\n$`));
  });

  it.each(COMMANDS)('$name: a missing file is named, exit 2', async ({ name, after }) => {
    const r = await cli([name, join(dir, 'missing.json'), ...after]);
    expect(r).toMatchObject({ code: 2, stdout: '', stderr: `seccomp-ts: ${join(dir, 'missing.json')}: cannot read file (ENOENT)\n` });
  });

  it('--unoptimized compiles the straightforward filter: larger than the default for docker-default', async () => {
    const size = async (extra: string[]) => Number(/valid: (\d+) instructions/.exec((await cli(['check', '--profile', 'docker-default', ...extra])).stdout)?.[1]);
    const optimized = await size([]);
    const plain = await size(['--unoptimized']);
    expect(optimized).toBeGreaterThan(0);
    expect(plain).not.toBe(optimized);
  });

  it('diff: --profile NAME stands for A', async () => {
    const same = await cli(['diff', '--profile', 'hardened', 'profile:hardened']);
    expect(same.code).toBe(0);
    const differ = await cli(['diff', '--profile', 'hardened', 'profile:docker-default', '--arch', 'x86_64']);
    expect(differ.code).toBe(1);
    expect(differ.stdout).toMatch(/profile:hardened/);
    const missing = await cli(['diff', '--profile', 'hardened']);
    expect(missing).toMatchObject({ code: 2, stderr: 'seccomp-ts: diff: name two filters or policies A and B (--profile is A)\n' });
  });

  it('emu: --profile NAME leaves every positional to the call', async () => {
    const r = await cli(['emu', '--profile', 'hardened', 'socket', '4']);
    expect(r).toMatchObject({ code: 0, stdout: 'ERRNO(EAFNOSUPPORT)\n' });
    expect(await cli(['emu', 'profile:hardened', 'socket', '4'])).toEqual(r);
  });

  it('every command that reads FILE documents profile:NAME and --profile NAME', async () => {
    for (const { name } of [...COMMANDS, { name: 'diff' }]) {
      const help = (await cli([name, '--help'])).stdout;
      expect(help, name).toMatch(/profile:NAME/);
      expect(help, name).toMatch(/--profile NAME/);
    }
  });
});

describe('built-in profiles loaded on demand (src/cli/profiles.ts)', () => {
  it('the names help text lists without loading the registry are the registry\'s', () => {
    expect(BUILT_IN_PROFILE_NAMES).toEqual(listProfiles().map((p) => p.name));
  });
  it.each(BUILT_IN_PROFILE_NAMES)('%s: the same policy and kind as the registry gives', async (name) => {
    const loaded = await builtInProfile(name, undefined, 'compile');
    expect(loaded.policy).toEqual(getProfile(name));
    expect(loaded.oci).toBe(findProfile(name)?.origin === 'oci');
  });
  it('each load is a fresh copy', async () => {
    const a = await builtInProfile('hardened', undefined, 'compile');
    (a.policy.rules as unknown[]).length = 0;
    expect((await builtInProfile('hardened', undefined, 'compile')).policy.rules.length).toBeGreaterThan(0);
  });
});

describe('compile --strict', () => {
  it('an unknown name: the file, the JSON path once, and the nearest names', async () => {
    const r = await cli(['compile', '-', '--strict', '--format', 'hex'],
      '{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["reed"],"action":"SCMP_ACT_ALLOW"}]}');
    expect(r).toMatchObject({ code: 2, stdout: '', stderr: 'seccomp-ts: <stdin>: syscalls[0].names[0]: unknown syscall "reed"; did you mean read?\n' });
  });
});

describe('errors name the place', () => {
  it.each(['check', 'disasm', 'stats', 'explain'])('%s: a JSON program with a syntax error names line and column', async (name) => {
    const r = await cli([name, '-'], '[\n  {"code": 6, "jt": 0, "jf": 0, "k": 0}\n  {"code": 6}\n]\n');
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toMatch(/^seccomp-ts: <stdin>:3:3: not valid JSON \([^\n]*\)\n$/);
  });

  it.each([
    [['--target', 'sparc64'], 'seccomp-ts: compile: --target: unsupported target "sparc64" (one of 386, amd64, arm64, arm, ppc64le, ppc64, s390x, riscv64, loong64, mips64, mips64le, mips, mipsle)\n'],
    [['--kernel', 'abc'], 'seccomp-ts: compile: --kernel: invalid kernel version "abc" (expected MAJOR.MINOR, e.g. 5.10)\n'],
  ])('compile %j: a bad Docker/OCI option is named as the flag, not as a fault of the profile', async (flags, message) => {
    const builtIn = await cli(['compile', '--profile', 'docker-default', '--format', 'hex', ...flags]);
    expect(builtIn).toMatchObject({ code: 2, stdout: '', stderr: message });
    const file = join(dir, 'docker.json');
    writeFileSync(file, JSON.stringify({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }] }));
    expect(await cli(['compile', file, '--format', 'hex', ...flags])).toMatchObject({ code: 2, stdout: '', stderr: message });
  });
});

describe('syscall names and numbers', () => {
  it('explain --syscall refuses a name no ABI has, before any work, with the nearest names', async () => {
    const r = await cli(['explain', '--profile', 'hardened', '--syscall', 'reed']);
    expect(r).toMatchObject({ code: 2, stdout: '', stderr: 'seccomp-ts: explain: --syscall: unknown syscall "reed"; did you mean read?\n' });
    const i386Only = await cli(['explain', '--profile', 'hardened', '--syscall', 'mmap2']);
    expect(i386Only).toMatchObject({ code: 0, stdout: 'i386 mmap2: KILL_PROCESS\n' });
  });

  it('resolve: a negative number is named as such, not as an unknown option', async () => {
    expect(await cli(['resolve', '-1'])).toMatchObject({ code: 2, stdout: '', stderr: 'seccomp-ts: resolve: syscall number -1 is negative\n' });
  });
});

describe('input flags that do not apply', () => {
  it.each([['check'], ['disasm'], ['emu', 'read']])('%s: an input --format with a built-in profile is refused, not ignored', async (...argv) => {
    const r = await cli([...argv.slice(0, 1), '--profile', 'hardened', ...argv.slice(1), '--format', 'json']);
    expect(r).toMatchObject({ code: 2, stdout: '', stderr: `seccomp-ts: ${argv[0]}: --format json names how FILE is written; profile:hardened is a built-in profile\n` });
  });
});

describe('compile flags that do not apply', () => {
  it.each(['policy', 'oci'])('--unoptimized with --format %s is refused, not ignored', async (format) => {
    const r = await cli(['compile', '--profile', 'docker-default', '--unoptimized', '--format', format]);
    expect(r).toMatchObject({ code: 2, stdout: '', stderr: `seccomp-ts: compile: --unoptimized shapes a filter, and --format ${format} writes a policy\n` });
  });
});

describe('empty input: one error everywhere', () => {
  const expected = (name: string) => (name === 'compile' ? 'a policy or a Docker/OCI profile, in JSON' : 'a filter, or a policy to compile');

  it.each([...COMMANDS, { name: 'diff', after: ['profile:hardened'] }])('$name: an empty FILE is named, exit 2, nothing on stdout', async ({ name, after }) => {
    const file = join(dir, 'empty.bin');
    writeFileSync(file, '');
    const r = await cli([name, file, ...after]);
    expect(r).toMatchObject({ code: 2, stdout: '', stderr: `seccomp-ts: ${file}: empty (expected ${expected(name)})\n` });
  });

  it.each(COMMANDS)('$name: stdin holding only white space is empty too, named <stdin>', async ({ name, after }) => {
    const r = await cli([name, '-', ...after], ' \n\t\n');
    expect(r).toMatchObject({ code: 2, stdout: '', stderr: `seccomp-ts: <stdin>: empty (expected ${expected(name)})\n` });
  });

  it.each(['check', 'disasm'])('%s: an empty input is refused whatever --format says', async (name) => {
    for (const format of ['raw', 'hex', 'asm', 'json', 'c']) {
      const r = await cli([name, '-', '--format', format], '');
      expect(r, format).toMatchObject({ code: 2, stdout: '', stderr: `seccomp-ts: <stdin>: empty (expected ${expected(name)})\n` });
    }
  });

  it('asm --allow-invalid does not turn an empty input into an empty program', async () => {
    const r = await cli(['asm', '-', '--format', 'hex', '--allow-invalid'], '');
    expect(r).toMatchObject({ code: 2, stdout: '', stderr: 'seccomp-ts: <stdin>: empty (expected a filter, or a policy to compile)\n' });
  });
});

describe('--unoptimized with a filter (nothing to compile) is refused, not ignored', () => {
  const filterText = async (): Promise<string> => (await cli(['compile', '-', '--format', 'hex'], POLICY)).stdout;

  it.each(COMMANDS.filter((c) => c.name !== 'compile'))('$name: a filter with --unoptimized: exit 2, naming the input', async ({ name, after }) => {
    const hex = await filterText();
    expect(hex).not.toBe('');
    const r = await cli([name, '-', ...after, '--unoptimized'], hex);
    expect(r).toMatchObject({ code: 2, stdout: '', stderr: `seccomp-ts: ${name}: --unoptimized compiles a policy, and <stdin> is already a filter\n` });
    // The same filter without the flag is read, and a policy with it is compiled.
    expect((await cli([name, '-', ...after], hex)).code).toBe(0);
    expect((await cli([name, '-', ...after, '--unoptimized'], POLICY)).code).toBe(0);
  });

  it('diff: refused when A and B are both filters; accepted when one of them is a policy', async () => {
    const file = join(dir, 'filter.hex');
    writeFileSync(file, await filterText());
    const both = await cli(['diff', file, '-', '--unoptimized'], await filterText());
    expect(both).toMatchObject({ code: 2, stdout: '', stderr: `seccomp-ts: diff: --unoptimized compiles a policy, and ${file} and <stdin> are already filters\n` });
    const mixed = await cli(['diff', file, '-', '--unoptimized'], POLICY);
    expect(mixed).toMatchObject({ code: 0, stderr: '' });
  });
});
