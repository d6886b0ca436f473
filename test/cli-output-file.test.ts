/** `-o FILE`: never one of the inputs, and never left truncated or half-written when the write fails. */
import { chmodSync, closeSync, linkSync, lstatSync, mkdtempSync, openSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from './support/cli.js';
import { bashWithCli, builtCli } from './support/built-cli.js';
import { spawnSync } from 'node:child_process';

const policyText = `${JSON.stringify({ defaultAction: 'ALLOW', arches: ['x86_64'], rules: [{ action: 'KILL_PROCESS', syscalls: ['ptrace'] }] })}\n`;
const asmText = 'A = arch\nif (A != ARCH_X86_64) goto kill\nA = sys_number\nif (A == ptrace) goto kill\nreturn ALLOW\nkill: return KILL_PROCESS\n';

function fresh(): string {
  const dir = mkdtempSync(join(tmpdir(), 'seccomp-ts-o-'));
  writeFileSync(join(dir, 'p.json'), policyText);
  writeFileSync(join(dir, 'x.s'), asmText);
  return dir;
}

describe('-o onto an input is refused and the input kept', () => {
  it.each([
    ['compile p.json --format asm -o p.json', (d: string) => ['compile', join(d, 'p.json'), '--format', 'asm', '-o', join(d, 'p.json')], 'p.json', ''],
    ['asm x.s -o x.s', (d: string) => ['asm', join(d, 'x.s'), '-o', join(d, 'x.s')], 'x.s', ''],
    ['compile p.json -o link (a symlink to p.json)', (d: string) => { symlinkSync('p.json', join(d, 'link')); return ['compile', join(d, 'p.json'), '--format', 'c', '-o', join(d, 'link')]; }, 'p.json', 'p.json'],
    ['compile link -o p.json (read through a symlink)', (d: string) => { symlinkSync(join(d, 'p.json'), join(d, 'link')); return ['compile', join(d, 'link'), '--format', 'hex', '-o', join(d, 'p.json')]; }, 'p.json', 'link'],
    ['asm x.s -o hard (a hard link to x.s)', (d: string) => { linkSync(join(d, 'x.s'), join(d, 'hard')); return ['asm', join(d, 'x.s'), '--format', 'json', '-o', join(d, 'hard')]; }, 'x.s', 'x.s'],
    ['compile ./p.json -o p.json (another spelling of the path)', (d: string) => ['compile', `${d}/./p.json`, '--format', 'asm', '-o', join(d, 'p.json')], 'p.json', 'p.json'],
  ])('%s', async (_name, args, kept, sameAs) => {
    const dir = fresh();
    const argv = args(dir);
    const before = readFileSync(join(dir, kept), 'utf8');
    const r = await cli(argv);
    expect(r.code).toBe(2);
    const out = argv[argv.length - 1]!;
    expect(r.stderr).toMatch(new RegExp(`^seccomp-ts: ${out.replace(/[.]/g, '\\.')}: is the input${sameAs ? ` \\(the same file as .*${sameAs.replace('.', '\\.')}\\)` : ''}; refusing to overwrite it \\(choose another -o\\)\\n$`));
    expect(readFileSync(join(dir, kept), 'utf8')).toBe(before);
  });

  it('stdin redirected from the output file is refused too (built CLI)', () => {
    const dir = fresh();
    const fd = openSync(join(dir, 'p.json'), 'r');
    try {
      const r = spawnSync(process.execPath, [builtCli(), 'compile', '-', '--format', 'asm', '-o', join(dir, 'p.json')], { stdio: [fd, 'pipe', 'pipe'], encoding: 'utf8', timeout: 60_000 });
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/p\.json: is the input \(the same file as <stdin>\); refusing to overwrite it/);
    } finally {
      closeSync(fd);
    }
    expect(readFileSync(join(dir, 'p.json'), 'utf8')).toBe(policyText);
  });

  it('record: -o or --counts onto a --merge input is refused before the command runs (exit 125)', async () => {
    const dir = fresh();
    const recording = `${JSON.stringify({ seccompTsRecording: 1, runs: [['true']], abis: { x86_64: { read: { count: 1 } } } })}\n`;
    writeFileSync(join(dir, 'r.json'), recording);
    const marker = join(dir, 'ran');
    for (const flag of ['-o', '--counts']) {
      const r = await cli(['record', '--merge', join(dir, 'r.json'), flag, join(dir, 'r.json'), '--', 'touch', marker]);
      expect(r).toMatchObject({ code: 125, stdout: '' });
      expect(r.stderr).toMatch(/r\.json: is the input; refusing to overwrite it \(choose another -o\)\n$/);
    }
    const same = await cli(['record', '-o', join(dir, 'a.json'), '--counts', `${dir}/./a.json`, '--', 'touch', marker]);
    expect(same).toMatchObject({ code: 125, stderr: `seccomp-ts: record: -o and --counts name the same file (${join(dir, 'a.json')})\n` });
    expect(readFileSync(join(dir, 'r.json'), 'utf8')).toBe(recording);
    expect(readdirSync(dir)).not.toContain('ran');
  });

  it('a different output file is written as before', async () => {
    const dir = fresh();
    expect(await cli(['compile', join(dir, 'p.json'), '--format', 'asm', '-o', join(dir, 'p.s')])).toMatchObject({ code: 0, stderr: '' });
    expect(readFileSync(join(dir, 'p.s'), 'utf8')).toMatch(/return KILL_PROCESS/);
    expect(readdirSync(dir).sort()).toEqual(['p.json', 'p.s', 'x.s']);
  });
});

describe('a failed write leaves an existing output as it was', () => {
  it('ulimit -f 1: status 2, one line, the old file intact and no temporary file left', () => {
    const dir = fresh();
    writeFileSync(join(dir, 'out.s'), 'old content\n');
    const r = bashWithCli(`ulimit -f 1; $CLI compile --profile docker-default --format asm -o out.s`, dir);
    expect(r.status).toBe(2);
    expect(r.stderr.split('\n').filter((l) => !l.includes('warning:'))).toEqual(['seccomp-ts: out.s: cannot write file (EFBIG); the existing file is unchanged', '']);
    expect(readFileSync(join(dir, 'out.s'), 'utf8')).toBe('old content\n');
    expect(readdirSync(dir).sort()).toEqual(['out.s', 'p.json', 'x.s']);
  });

  it('ulimit -f 1 on a new file: status 2 and no file at all', () => {
    const dir = fresh();
    const r = bashWithCli(`ulimit -f 1; $CLI compile --profile docker-default --format asm -o new.s 2>&1 | grep -v warning:`, dir);
    expect(r.stdout).toBe('seccomp-ts: new.s: cannot write file (EFBIG)\n');
    expect(readdirSync(dir).sort()).toEqual(['p.json', 'x.s']);
  });

  it('a folder that does not exist, or a directory as the output, is one line', async () => {
    const dir = fresh();
    expect((await cli(['asm', join(dir, 'x.s'), '-o', join(dir, 'no', 'out.bpf')])).stderr).toMatch(/no\/out\.bpf: cannot write file \(ENOENT\)\n$/);
    const r = await cli(['asm', join(dir, 'x.s'), '-o', dir]);
    expect(r).toMatchObject({ code: 2 });
    expect(r.stderr).toMatch(/: cannot write file \(EISDIR\); the existing file is unchanged\n$/);
  });
});

describe('what an existing output keeps', () => {
  it('its permission bits (not set-user-ID), and a symlink stays a link to the replaced file', async () => {
    const dir = fresh();
    writeFileSync(join(dir, 'out.bpf'), 'old');
    chmodSync(join(dir, 'out.bpf'), 0o4640);
    expect((await cli(['asm', join(dir, 'x.s'), '-o', join(dir, 'out.bpf')])).code).toBe(0);
    expect(statSync(join(dir, 'out.bpf')).mode & 0o7777).toBe(0o640);
    expect(readFileSync(join(dir, 'out.bpf')).length).toBe(48);
    symlinkSync('out.bpf', join(dir, 'link'));
    expect((await cli(['asm', join(dir, 'x.s'), '--format', 'hex', '-o', join(dir, 'link')])).code).toBe(0);
    expect(lstatSync(join(dir, 'link')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(dir, 'out.bpf'), 'utf8')).toMatch(/^[0-9a-f\s]+$/);
    symlinkSync('made.s', join(dir, 'dangling'));
    expect((await cli(['asm', join(dir, 'x.s'), '--format', 'c', '-o', join(dir, 'dangling')])).code).toBe(0);
    expect(lstatSync(join(dir, 'dangling')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(dir, 'made.s'), 'utf8')).toMatch(/struct sock_filter/);
  });

  it('-o /dev/stdout writes in place (a device is never renamed over)', () => {
    const dir = fresh();
    // Through a pipe: a child's stdio from spawnSync is a socket, which /dev/stdout cannot open (ENXIO).
    const r = bashWithCli(`$CLI asm ${join(dir, 'x.s')} --format hex -o /dev/stdout | cat`);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^[0-9a-f\s]+$/);
  });
});
