import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { encodeProgram } from '../src/bpf/encode.js';
import { ins, type Program } from '../src/bpf/instructions.js';
import { cli } from './support/cli.js';

/** x86_64: ERRNO(EPERM) for execve with args[0] == 1; i386: ERRNO(EPERM) for any call with args[0] == 1; x32: TRAP(7). */
const program: Program = [
  ins.loadWord(4),
  ins.jump('jeq', 0x40000003, 5, 0),
  ins.loadWord(0),
  ins.jump('jset', 0x40000000, 0, 1),
  ins.ret(0x00030007),
  ins.jump('jeq', 59, 1, 0),
  ins.ret(0x7fff0000),
  ins.loadWord(16),
  ins.jump('jeq', 1, 0, 1),
  ins.ret(0x00050001),
  ins.ret(0x7fff0000),
];
const GOLDEN_DIR = join(dirname(fileURLToPath(import.meta.url)), 'golden/emulator');
const UPDATE = process.env.SECCOMP_TS_UPDATE_GOLDEN === '1';

function expectGolden(name: string, actual: string): void {
  const path = join(GOLDEN_DIR, name);
  if (UPDATE || !existsSync(path)) {
    if (!UPDATE) throw new Error(`golden file ${path} missing (run with SECCOMP_TS_UPDATE_GOLDEN=1 to create it)`);
    mkdirSync(GOLDEN_DIR, { recursive: true });
    writeFileSync(path, actual);
    return;
  }
  expect(actual === readFileSync(path, 'utf8'), `output differs from ${path}`).toBe(true);
}

const dir = mkdtempSync(join(tmpdir(), 'seccomp-ts-emu-'));
const file = join(dir, 'filter.bpf');
writeFileSync(file, encodeProgram(program));

describe('seccomp-ts emu', () => {
  it('prints the verdict for a syscall given by name or number', async () => {
    expect(await cli(['emu', file, 'execve', '1'])).toMatchObject({ code: 0, stdout: 'ERRNO(EPERM)\n' });
    expect(await cli(['emu', file, '59', '2'])).toMatchObject({ code: 0, stdout: 'ALLOW\n' });
    expect(await cli(['emu', file, 'read', '--arch', 'x32'])).toMatchObject({ code: 0, stdout: 'TRAP(7)\n' });
  });

  it('reads the filter from stdin with -', async () => {
    const r = await cli(['emu', '-', 'execve', '0x1'], encodeProgram(program));
    expect(r).toMatchObject({ code: 0, stdout: 'ERRNO(EPERM)\n' });
  });

  it('traces each step with A and X', async () => {
    const r = await cli(['emu', file, 'execve', '1', '--trace']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(9);
    expect(lines[0]).toMatch(/^ 0000 .*A=0xc000003e X=0x00000000$/);
    expect(lines[8]).toBe('ERRNO(EPERM)  (return at 0009, raw 0x00050001, 8 instructions executed)');
  });

  it('gives JSON with action, data, raw and executed count; negative arguments wrap to the ABI width', async () => {
    const r = await cli(['emu', file, 'execve', '-1', '--json', '--arch', 'i386']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      arch: 'i386', nr: 11, action: 'ALLOW', data: null, verdict: 'ALLOW', raw: 0x7fff0000, executed: 5,
    });
    const t = JSON.parse((await cli(['emu', file, 'execve', '1', '--json', '--trace'])).stdout);
    expect(t).toMatchObject({ action: 'ERRNO', data: 1, raw: 0x00050001, executed: 8 });
    expect(t.trace).toHaveLength(8);
  });

  it('answers a batch from stdin, one line per probe, in order', async () => {
    const stdin = ['x86_64 execve 1', '# a comment', '', 'i386 11 0x1 0 0 0 0 0', 'x32 0 ', 'x86_64 0x3b 0xffffffffffffffff'].join('\n');
    expect(await cli(['emu', file, '--batch'], stdin)).toMatchObject({
      code: 0, stdout: 'ERRNO(EPERM)\nERRNO(EPERM)\nTRAP(7)\nALLOW\n',
    });
    const json = await cli(['emu', file, '--batch', '--json'], 'x86_64 execve 1\nx32 read\n');
    expect(json.stdout.trim().split('\n').map((l) => JSON.parse(l))).toEqual([
      { arch: 'x86_64', nr: 59, action: 'ERRNO', data: 1, verdict: 'ERRNO(EPERM)', raw: 0x00050001, executed: 8 },
      { arch: 'x32', nr: 0x40000000, action: 'TRAP', data: 7, verdict: 'TRAP(7)', raw: 0x00030007, executed: 5 },
    ]);
  });

  it('names the place of bad input and exits non-zero, printing nothing on stdout', async () => {
    const bad = await cli(['emu', file, '--batch'], 'x86_64 execve\nvax 1\n');
    expect(bad).toMatchObject({ code: 2, stdout: '' });
    expect(bad.stderr).toMatch(/<stdin> line 2: unknown architecture "vax"/);
    expect((await cli(['emu', file, 'execve', '1', '2', '3', '4', '5', '6', '7'])).stderr).toMatch(/at most 6/);
    expect((await cli(['emu', file, 'exceve'])).stderr).toMatch(/did you mean execve/);
    expect((await cli(['emu', file, 'execve', '12x'])).stderr).toMatch(/argument 0: "12x" is not a number/);
    expect((await cli(['emu', file, 'execve', String(1n << 64n)])).stderr).toMatch(/does not fit in 64 bits/);
    expect((await cli(['emu', join(dir, 'missing'), 'execve'])).stderr).toMatch(/missing: cannot read file/);
    expect((await cli(['emu', file])).code).toBe(2);
    const invalid = join(dir, 'invalid.bpf');
    writeFileSync(invalid, encodeProgram([ins.loadWord(2), ins.ret(0x7fff0000)]));
    const r = await cli(['emu', invalid, 'read']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/invalid\.bpf: invalid seccomp filter: instruction 0000/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('warns that the kernel runs no filter for uretprobe', async () => {
    const r = await cli(['emu', file, 'uretprobe']);
    expect(r.stdout).toBe('ALLOW\n');
    expect(r.stderr).toBe('note: Linux runs no seccomp filter for x86_64 uretprobe (335): the call goes through whatever the filter says\n');
    const batch = await cli(['emu', file, '--batch'], 'x86_64 uprobe\nx32 uprobe\nx86_64 read\n');
    expect(batch.stdout.split('\n')[0]).toMatch(/^\S+  # not applied: Linux runs no seccomp filter for x86_64 uprobe \(336\)/);
    expect(batch.stdout.split('\n').slice(1)).not.toContain(expect.stringContaining('#'));
  });

  it('runs a policy file, compiled first', async () => {
    const policy = await cli(['compile', '--profile', 'hardened', '--format', 'policy']);
    expect(policy.code).toBe(0);
    const path = join(dir, 'hardened.json');
    writeFileSync(path, policy.stdout);
    expect(await cli(['emu', path, 'kexec_load'])).toMatchObject({ code: 0, stdout: 'ERRNO(EPERM)\n' });
    expect(await cli(['emu', path, 'read'])).toMatchObject({ code: 0, stdout: 'ALLOW\n' });
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{"defaultAction": "ALLOW", "arches": ["x86_64"], "rules": [{"syscalls": ["reed"], "action": "KILL"}]}');
    const r = await cli(['emu', broken, 'read']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/broken\.json/);
  });

  it('sets the instruction pointer with --ip and reads text filters', async () => {
    const ipFilter = join(dir, 'ip.json');
    writeFileSync(ipFilter, JSON.stringify([
      { code: 0x20, jt: 0, jf: 0, k: 12 }, { code: 0x54, jt: 0, jf: 0, k: 0xffff }, { code: 0x44, jt: 0, jf: 0, k: 0x00050000 },
      { code: 0x16, jt: 0, jf: 0, k: 0 },
    ]));
    const r = await cli(['emu', ipFilter, 'read', '--ip', '0x0000000d00001000', '--json']);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toMatchObject({ action: 'ERRNO', data: 13, verdict: 'ERRNO(EACCES)' });
    expect((await cli(['emu', ipFilter, 'read', '--ip', '-5'])).stderr).toMatch(/--ip: the instruction pointer cannot be negative/);
    expect((await cli(['emu', ipFilter, 'read', '--format', 'raw'])).code).toBe(2);
  });

  it('keeps its output formats (golden files)', async () => {
    expectGolden('trace.txt', (await cli(['emu', file, 'execve', '1', '--trace'])).stdout);
    expectGolden('trace.jsonl', (await cli(['emu', file, 'socket', '1', '--arch', 'i386', '--trace', '--json'])).stdout);
    const batch = 'x86_64 execve 1\nx86_64 execve 0\ni386 read 1\nx32 write\nx86_64 uretprobe\n';
    expectGolden('batch.txt', (await cli(['emu', file, '--batch'], batch)).stdout);
    expectGolden('batch.jsonl', (await cli(['emu', file, '--batch', '--json'], batch)).stdout);
  });
});
