import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ins, toRaw, type Program } from '../src/bpf/instructions.js';
import { AUDIT_ARCH_X86_64 } from '../src/syscalls/arch.js';
import { cli } from './support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'seccomp-ts-analysis-cli-'));
const ALLOW = 0x7fff0000;

function rawFile(name: string, program: Program): string {
  const bytes = Buffer.alloc(program.length * 8);
  program.map(toRaw).forEach((r, i) => {
    bytes.writeUInt16LE(r.code, 8 * i);
    bytes.writeUInt8(r.jt, 8 * i + 2);
    bytes.writeUInt8(r.jf, 8 * i + 3);
    bytes.writeUInt32LE(r.k >>> 0, 8 * i + 4);
  });
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

function textFile(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

// x86_64 only; socket: only AF_UNIX(1)/AF_INET(2) else ERRNO(EAFNOSUPPORT); ptrace ERRNO(EPERM); rest allowed.
const hand: Program = [
  ins.loadWord(4), ins.jump('jeq', AUDIT_ARCH_X86_64, 1, 0), ins.ret(0x80000000),
  ins.loadWord(0), ins.jump('jeq', 41, 0, 4), ins.loadWord(16), ins.jump('jgt', 2, 0, 1), ins.ret(0x50061), ins.ret(ALLOW),
  ins.jump('jeq', 101, 0, 1), ins.ret(0x50001), ins.ret(ALLOW),
];
const handFile = rawFile('hand.bpf', hand);
const policyFile = textFile('policy.json', JSON.stringify({
  defaultAction: 'ALLOW', arches: ['x86_64'], badArchAction: 'KILL_PROCESS',
  rules: [
    { syscalls: ['socket'], action: 'ERRNO(EAFNOSUPPORT)', conditions: [{ arg: 0, op: 'gt', value: 2, width: 32 }] },
    { syscalls: ['ptrace'], action: 'ERRNO(EPERM)' },
  ],
}));
const changedFile = textFile('changed.json', JSON.stringify({
  defaultAction: 'ALLOW', arches: ['x86_64'], badArchAction: 'KILL_PROCESS',
  rules: [
    { syscalls: ['socket'], action: 'ERRNO(EAFNOSUPPORT)', conditions: [{ arg: 0, op: 'gt', value: 10, width: 32 }] },
    { syscalls: ['ptrace', 'clock_adjtime'], action: 'ERRNO(EPERM)' },
  ],
}));

describe('seccomp-ts explain', () => {
  it('explains a raw filter per syscall', async () => {
    const r = await cli(['explain', handFile, '--arch', 'x86_64']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('x86_64 socket: ERRNO(EAFNOSUPPORT) if arg0.lo in {3..0xffffffff}; else ALLOW\n');
    expect(r.stdout).toContain('x86_64 ptrace: ERRNO(EPERM)\n');
    expect(r.stdout).toMatch(/^x86_64 read, write, /);
  });

  it('compiles a policy first, and prints JSON', async () => {
    const r = await cli(['explain', policyFile, '--arch', 'x86_64', '--json']);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as { exact: boolean; groups: { syscalls: { name: string }[]; text: string }[] };
    expect(json.exact).toBe(true);
    const socket = json.groups.find((g) => g.syscalls.some((s) => s.name === 'socket'));
    expect(socket?.text).toBe('ERRNO(EAFNOSUPPORT) if arg0.lo in {3..0xffffffff}; else ALLOW');
  });

  it('explains a built-in profile', async () => {
    const r = await cli(['explain', 'profile:docker-default', '--arch', 'x86_64']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/x86_64 clone3: ERRNO\(ENOSYS\)/);
  });

  it('prints only the lines of the syscalls asked for', async () => {
    const r = await cli(['explain', handFile, '--syscall', 'socket', '--syscall', '101', '--arch', 'x86_64']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('x86_64 socket: ERRNO(EAFNOSUPPORT) if arg0.lo in {3..0xffffffff}; else ALLOW\nx86_64 ptrace: ERRNO(EPERM)\n');
    const bad = await cli(['explain', handFile, '--syscall', 'sockett']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown syscall "sockett"/);
  });

  it('names the file and instruction of an invalid filter, and rejects bad flags', async () => {
    const bad = rawFile('bad.bpf', [ins.loadWord(2), ins.ret(ALLOW)]);
    const r = await cli(['explain', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.bpf: invalid seccomp filter: .*0000/);
    expect(r.stderr).not.toMatch(/at .*\.ts:/);
    expect((await cli(['explain', handFile, '--arch', 'vax'])).stderr).toMatch(/^seccomp-ts: explain: --arch: unknown ABI "vax" \(x86_64, i386, /);
    expect((await cli(['explain'])).code).toBe(2);
    expect((await cli(['explain', join(dir, 'missing.bpf')])).stderr).toMatch(/missing\.bpf: cannot read file/);
  });
});

describe('seccomp-ts diff', () => {
  it('exits 0 for equivalent filters (a policy and its compiled filter)', async () => {
    const compiled = join(dir, 'compiled.bpf');
    expect((await cli(['compile', policyFile, '-o', compiled])).code).toBe(0);
    const r = await cli(['diff', policyFile, compiled]);
    expect(r.stdout).toBe('equivalent: the filters return the same value for every input\n');
    expect(r.code).toBe(0);
    // The hand-written filter allows x32 calls and nr >= 0x80000000, which the compiled policy kills.
    const h = await cli(['diff', policyFile, handFile]);
    expect(h.code).toBe(1);
    expect(h.stdout).toMatch(/^x86_64 numbers \{0x80000000\.\.0xbfffffff\}: .* KILL_PROCESS, .* ALLOW$/m);
  });

  it('exits 1 with every difference and a witness', async () => {
    const r = await cli(['diff', policyFile, changedFile]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`x86_64 socket: ${policyFile} ERRNO(EAFNOSUPPORT), ${changedFile} ALLOW when arg0.lo in {3..10}`);
    expect(r.stdout).toContain(`x86_64 clock_adjtime: ${policyFile} ALLOW, ${changedFile} ERRNO(EPERM)`);
    expect(r.stdout).toMatch(/witness: x86_64 nr=0x131 args=\[0, 0, 0, 0, 0, 0\] ip=0/);
    const j = await cli(['diff', policyFile, changedFile, '--json']);
    expect(j.code).toBe(1);
    const json = JSON.parse(j.stdout) as { equivalent: boolean; differences: { syscalls: { name: string }[]; witness: { nr: number; args: string[] } }[] };
    expect(json.equivalent).toBe(false);
    expect(json.differences.map((d) => d.syscalls.map((s) => s.name).join())).toEqual(['socket', 'clock_adjtime']);
    expect(json.differences[0]?.witness.args[0]).toBe('0x3');
  });

  it('exits 2 on bad input', async () => {
    expect((await cli(['diff', policyFile])).code).toBe(2);
    const broken = textFile('broken.json', '{"defaultAction": "ALLOW", "arches": ["x86_64"], "rules": [{"syscalls": ["sockett"], "action": "ALLOW"}]}');
    const r = await cli(['diff', broken, policyFile]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/broken\.json: .*sockett/);
  });
});
