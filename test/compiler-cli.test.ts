import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeProgram } from '../src/bpf/encode.js';
import { disassemble } from '../src/bpf/disasm.js';
import { compilePolicy } from '../src/compiler/index.js';
import { interpret, seccompData } from '../src/emulator/index.js';
import { arg, arg32, evaluatePolicy, policy, policyFromJson, formatPolicyJson } from '../src/policy/index.js';
import { getProfile } from '../src/policy/profiles/index.js';
import { encodeAction } from '../src/syscalls/actions.js';
import { resolveSyscall } from '../src/syscalls/index.js';
import { cli } from './support/cli.js';
import { goldenDir } from './support/golden.js';

const { dir: GOLDEN_DIR, expectGolden } = goldenDir('compiler');

/** A small policy touching every part of the compiler: three ABIs, 64- and 32-bit conditions, masked_eq. */
const small = policy('x86_64', 'i386', 'x32')
  .defaultAction('ERRNO(EPERM)')
  .enosysGuard()
  .allow(['read', 'write', 'exit_group'])
  .allow('mmap', arg(2).maskedEq(0x4, 0))
  .errno('EAFNOSUPPORT', 'socket', arg32(0).gt(16))
  .allow('socket')
  .kill('kill', arg(1).eq(0x100000009n))
  .build();

const dir = mkdtempSync(join(tmpdir(), 'seccomp-ts-compile-'));

describe('golden disassembly of compiled policies (linear dispatch, no optimizer)', () => {
  it('small policy', () => {
    const { program, warnings } = compilePolicy(small);
    expect(warnings.map((w) => w.code)).toEqual(['socketcall-denied', 'unfiltered']);
    expect(warnings[0]?.message).toMatch(/i386: .*socketcall is denied with ERRNO\(EPERM\)/);
    expectGolden('small.asm', disassemble(program));
  });
  it('hardened', () => expectGolden('hardened.asm', disassemble(compilePolicy(getProfile('hardened')).program)));
  it('small policy in JSON form', () => expectGolden('small.policy.json', formatPolicyJson(small)));
  it('the JSON golden reads back to the same policy', () => {
    expect(policyFromJson(readFileSync(join(GOLDEN_DIR, 'small.policy.json'), 'utf8'))).toEqual(small);
  });
});

describe('seccomp-ts compile', () => {
  it('--profile hardened --format asm prints the optimized disassembly', async () => {
    const r = await cli(['compile', '--profile', 'hardened', '--format', 'asm']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/return ERRNO\(EAFNOSUPPORT\)/);
  });
  it('raw bytes by default, refused on a terminal unless -o', async () => {
    const piped = await cli(['compile', '--profile', 'hardened']);
    expect(piped.code).toBe(0);
    const program = decodeProgram(piped.stdoutBytes);
    const h = getProfile('hardened');
    for (const [name, args] of [['socket', [40n]], ['socket', [2n]], ['kcmp', []], ['getpid', []]] as const) {
      const call = { arch: 'x86_64' as const, nr: resolveSyscall('x86_64', name), args: [...args] };
      expect(interpret(program, seccompData(call)).raw).toBe(encodeAction(evaluatePolicy(h, call)));
    }
    const tty = await cli(['compile', '--profile', 'hardened'], '', true);
    expect(tty.code).toBe(2);
    expect(tty.stderr).toMatch(/refusing to write raw filter bytes to a terminal/);
    const out = join(dir, 'h.bpf');
    const file = await cli(['compile', '--profile', 'hardened', '-o', out], '', true);
    expect(file.code).toBe(0);
    expect(new Uint8Array(readFileSync(out))).toEqual(piped.stdoutBytes);
  });
  it('--tune, --arch and --enosys change the filter as documented', async () => {
    const r = await cli(['compile', '--profile', 'hardened', '--tune', 'allow:clock_adjtime', '--tune', 'seccomp:deny:getpid',
      '--arch', 'x86_64', '--arch', 'x86', '--enosys', '--format', 'json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/warning: i386: socket\(\) is restricted/);
    const program = JSON.parse(r.stdout);
    const { readProgram } = await import('../src/bpf/formats.js');
    const prog = readProgram(new TextEncoder().encode(r.stdout), 'json');
    expect(Array.isArray(program)).toBe(true);
    const run = (arch: 'x86_64' | 'i386', nr: number) => interpret(prog, seccompData({ arch, nr })).raw;
    expect(run('x86_64', resolveSyscall('x86_64', 'clock_adjtime'))).toBe(encodeAction({ kind: 'ALLOW' }));
    expect(run('x86_64', resolveSyscall('x86_64', 'getpid'))).toBe(encodeAction({ kind: 'ERRNO', data: 1 }));
    expect(run('i386', resolveSyscall('i386', 'getpid'))).toBe(encodeAction({ kind: 'ERRNO', data: 1 }));
    expect(run('i386', resolveSyscall('i386', 'read'))).toBe(encodeAction({ kind: 'ALLOW' }));
    expect(run('x86_64', 1000)).toBe(encodeAction({ kind: 'ERRNO', data: 38 }));
  });
  it('reads a policy file and stdin; --format policy prints the tuned policy', async () => {
    const path = join(dir, 'small.json');
    writeFileSync(path, formatPolicyJson(small));
    const a = await cli(['compile', path, '--format', 'hex']);
    const b = await cli(['compile', '-', '--format', 'hex'], formatPolicyJson(small));
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    const p = await cli(['compile', path, '--tune', 'deny:all', '--tune', 'allow:read', '--format', 'policy']);
    expect(JSON.parse(p.stdout)).toEqual({ defaultAction: 'ERRNO(EPERM)', arches: ['x86_64', 'i386', 'x32'], enosysGuard: true,
      rules: [{ syscalls: ['read'], action: 'ALLOW', comment: 'allow:read' }] });
  });
  it('--unoptimized gives the plain compiler output', async () => {
    const r = await cli(['compile', '--profile', 'hardened', '--format', 'asm', '--unoptimized']);
    expect(r.stdout).toBe(disassemble(compilePolicy(getProfile('hardened')).program));
  });
  it.each([
    [['compile'], /^seccomp-ts: compile: name a FILE, '-' for stdin, or --profile NAME/],
    [['compile', 'x.json', '--profile', 'hardened'], /not both/],
    [['compile', '--profile', 'nope'], /unknown profile 'nope'/],
    [['compile', '--profile', 'hardened', '--tune', 'allow:clock_adjtme'], /--tune allow:clock_adjtme: .*clock_adjtime/],
    [['compile', '--profile', 'hardened', '--arch', 'vax'], /--arch: /],
    [['compile', '--profile', 'hardened', '--format', 'elf'], /unknown format 'elf'/],
    [['compile', '/nonexistent/p.json'], /\/nonexistent\/p\.json: cannot read file/],
  ])('%j fails with one clear line and exit 2', async (argv, message) => {
    const r = await cli(argv);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
  it('a bad policy file names the file and the JSON path', async () => {
    const path = join(dir, 'bad.json');
    writeFileSync(path, JSON.stringify({ defaultAction: 'ALLOW', arches: ['x86_64'], rules: [{ syscalls: ['read', 'reed'], action: 'ALLOW' }] }));
    const r = await cli(['compile', path]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`${path}: rules\\[0\\]\\.syscalls\\[1\\]: .*read`));
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    writeFileSync(path, '{"defaultAction": "ALLOW", ');
    const j = await cli(['compile', path]);
    expect(j.code).toBe(2);
    expect(j.stderr).toMatch(/not valid JSON/);
  });
  it('a Docker/OCI profile is imported', async () => {
    const path = join(dir, 'oci.json');
    writeFileSync(path, JSON.stringify({ defaultAction: 'SCMP_ACT_ERRNO', architectures: ['SCMP_ARCH_X86_64'],
      syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }] }));
    const r = await cli(['compile', path, '--format', 'json']);
    expect(r.code).toBe(0);
    const { readProgram } = await import('../src/bpf/formats.js');
    const prog = readProgram(new TextEncoder().encode(r.stdout), 'json');
    expect(interpret(prog, seccompData({ arch: 'x86_64', nr: 0 })).raw).toBe(encodeAction({ kind: 'ALLOW' }));
    expect(interpret(prog, seccompData({ arch: 'x86_64', nr: 1 })).raw).toBe(encodeAction({ kind: 'ERRNO', data: 1 }));
  });
  it('--profile docker-default --tune allow:ptrace --format oci writes a profile that reads back', async () => {
    const r = await cli(['compile', '--profile', 'docker-default', '--tune', 'allow:ptrace', '--format', 'oci']);
    expect(r.code).toBe(0);
    const profile = JSON.parse(r.stdout) as { defaultAction: string };
    expect(profile.defaultAction).toBe('SCMP_ACT_ERRNO');
    const path = join(dir, 'tuned.json');
    writeFileSync(path, r.stdout);
    const back = await cli(['compile', path, '--format', 'json']);
    expect(back.code).toBe(0);
    const { readProgram } = await import('../src/bpf/formats.js');
    const prog = readProgram(new TextEncoder().encode(back.stdout), 'json');
    const ptrace = resolveSyscall('x86_64', 'ptrace');
    expect(interpret(prog, seccompData({ arch: 'x86_64', nr: ptrace })).raw).toBe(encodeAction({ kind: 'ALLOW' }));
  });
});

describe('compile warnings', () => {
  const SOCKETCALL_HOLE = 'seccomp-ts: warning: i386: socket() is restricted by its arguments, but socketcall() reaches ' +
    'socket() with arguments in user memory that no filter can read, and this policy gives socketcall ALLOW: the ' +
    'restriction can be bypassed on i386 (tune deny:socketcall to close the hole)\n';
  const UPROBE_DENIED = "seccomp-ts: warning: x86_64: the kernel runs no seccomp filter for uprobe (336), so this policy's " +
    'ERRNO(EPERM) for it is never applied: it always goes through\n';
  const UPROBES_DENIED = 'seccomp-ts: warning: x86_64: the kernel runs no seccomp filter for uretprobe (335) or uprobe (336), so ' +
    "this policy's ERRNO(EPERM) for them is never applied: they always go through\n";
  it('docker-default: names resolved per ABI are not warned about; the socketcall hole is, in one line', async () => {
    for (const extra of [[], ['--arch', 'x86_64', '--arch', 'i386'], ['--verbose']]) {
      const r = await cli(['compile', '--profile', 'docker-default', '--format', 'asm', ...extra]);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe(SOCKETCALL_HOLE + UPROBE_DENIED);
    }
    const closed = await cli(['compile', '--profile', 'docker-default', '--format', 'asm', '--tune', 'deny:socketcall']);
    expect(closed.stderr).toBe(UPROBE_DENIED);
    const uprobe = await cli(['compile', '--profile', 'docker-default', '--format', 'asm', '--tune', 'deny:socketcall', '--tune', 'allow:uprobe']);
    expect(uprobe.stderr).toBe('');
  });
  it('a Docker/OCI profile file: no warning for names missing on some ABIs', async () => {
    const path = join(dir, 'per-abi.json');
    writeFileSync(path, JSON.stringify({ defaultAction: 'SCMP_ACT_ERRNO', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'],
      syscalls: [{ names: ['read', 'mmap2', 'chown32', 'fcntl64', 'stat64', 'lstat64', 'newfstatat'], action: 'SCMP_ACT_ALLOW' }] }));
    const r = await cli(['compile', path, '--format', 'asm']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(UPROBES_DENIED);
  });
  it('a hand-written policy: one short line naming the count and a few names; --verbose lists all', async () => {
    const path = join(dir, 'per-abi-policy.json');
    writeFileSync(path, JSON.stringify({ defaultAction: 'ERRNO(EPERM)', arches: ['x86_64', 'i386'],
      rules: [{ syscalls: ['read', 'mmap2', 'chown32', 'fcntl64', 'stat64', 'lstat64', 'newfstatat'], action: 'ALLOW' }] }));
    const r = await cli(['compile', path, '--format', 'asm']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('seccomp-ts: warning: 6 syscalls exist on only some of the covered ABIs and apply where they ' +
      'exist: mmap2, chown32, fcntl64, stat64, lstat64 and 1 more (--verbose lists them)\n' + UPROBES_DENIED);
    const v = await cli(['compile', path, '--format', 'asm', '--verbose']);
    expect(v.stderr).toBe('seccomp-ts: warning: 6 syscalls exist on only some of the covered ABIs and apply where they ' +
      'exist: not on x86_64: mmap2, chown32, fcntl64, stat64, lstat64; not on i386: newfstatat\n' + UPROBES_DENIED);
    expect(v.stdout).toBe(r.stdout);
  });
});

describe('compile: Docker/OCI options and output errors', () => {
  const run = async (argv: string[], call: { arch: 'x86_64' | 'i386'; name: string }) => {
    const r = await cli([...argv, '--format', 'json']);
    expect(r.code).toBe(0);
    const { readProgram } = await import('../src/bpf/formats.js');
    const prog = readProgram(new TextEncoder().encode(r.stdout), 'json');
    return interpret(prog, seccompData({ arch: call.arch, nr: resolveSyscall(call.arch, call.name) })).raw;
  };
  it('--kernel and --target apply to the built-in docker-default', async () => {
    const ptrace = { arch: 'x86_64' as const, name: 'ptrace' };
    expect(await run(['compile', '--profile', 'docker-default'], ptrace)).toBe(encodeAction({ kind: 'ALLOW' }));
    // ptrace is allowed from 4.8 on (minKernel), so an older kernel gets the default.
    expect(await run(['compile', '--profile', 'docker-default', '--kernel', '4.4'], ptrace)).toBe(encodeAction({ kind: 'ERRNO', data: 1 }));
    const i386 = { arch: 'i386' as const, name: 'getpid' };
    expect(await run(['compile', '--profile', 'docker-default', '--target', '386'], i386)).toBe(encodeAction({ kind: 'ALLOW' }));
    const bad = await cli(['compile', '--profile', 'docker-default', '--kernel', 'new', '--format', 'asm']);
    expect(bad).toMatchObject({ code: 2, stdout: '' });
    expect(bad.stderr).toBe('seccomp-ts: compile: --kernel: invalid kernel version "new" (expected MAJOR.MINOR, e.g. 5.10)\n');
  });
  it.each([
    [['--profile', 'hardened', '--target', 'arm'], '--target only applies to Docker/OCI profiles, and profile:hardened is a seccomp-ts policy'],
    [['-', '--kernel', '5.10', '--strict'], '--kernel, --strict only apply to Docker/OCI profiles, and <stdin> is a seccomp-ts policy'],
  ])('%j: Docker/OCI options on a seccomp-ts policy are refused, not ignored', async (argv, message) => {
    const r = await cli(['compile', ...argv, '--format', 'asm'], formatPolicyJson(small));
    expect(r).toMatchObject({ code: 2, stdout: '', stderr: `seccomp-ts: compile: ${message}\n` });
  });
  it('on a terminal, raw output is refused before compiling (no warnings first)', async () => {
    const r = await cli(['compile', '--profile', 'docker-default'], '', true);
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toBe('seccomp-ts: compile: refusing to write raw filter bytes to a terminal; use -o FILE, a pipe, or --format asm|c|hex|json\n');
  });
  it('an output file that cannot be written is named', async () => {
    const out = join(dir, 'missing-dir', 'x.bpf');
    expect(await cli(['compile', '--profile', 'hardened', '-o', out])).toMatchObject({ code: 2, stderr: `seccomp-ts: ${out}: cannot write file (ENOENT)\n` });
  });
});

describe('compile: input that is not a policy', () => {
  it.each([
    ['a raw filter', new Uint8Array([0x06, 0, 0, 0, 0, 0, 0xff, 0x7f]), "seccomp-ts: <stdin>: not a policy or a Docker/OCI profile (those are JSON); a BPF program is read by 'seccomp-ts disasm' or 'seccomp-ts check'\n"],
    ['filter text', 'A = arch\nreturn ALLOW\n', "seccomp-ts: <stdin>: not a policy or a Docker/OCI profile (those are JSON); a BPF program is read by 'seccomp-ts disasm' or 'seccomp-ts check'\n"],
    ['nothing', ' \n', 'seccomp-ts: <stdin>: empty (expected a policy or a Docker/OCI profile, in JSON)\n'],
    ['broken JSON over lines', '{\n"rules": [\n\tx', /^seccomp-ts: <stdin>:3:2: not valid JSON \([^\n]*\)\n$/],
  ])('%s: one line, exit 2', async (_what, input, message) => {
    const r = await cli(['compile', '-', '--format', 'asm'], input);
    expect(r).toMatchObject({ code: 2, stdout: '' });
    if (typeof message === 'string') expect(r.stderr).toBe(message);
    else expect(r.stderr).toMatch(message);
  });
});
