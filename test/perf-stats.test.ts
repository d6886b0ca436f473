import { describe, expect, it } from 'vitest';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ins, type Program } from '../src/bpf/instructions.js';
import { encodeProgram } from '../src/bpf/encode.js';
import { filterStats } from '../src/analysis/stats.js';
import { syscallTable } from '../src/syscalls/resolve.js';
import { cli } from './support/cli.js';

const ALLOW = 0x7fff0000;
const EPERM = 0x00050001;

/** x86_64 only: nr 0..9 allowed (read..brk), 10 checks arg0, the rest EPERM; every other arch killed. */
const program: Program = [
  ins.loadWord(4),
  ins.jump('jeq', 0xc000003e, 1, 0),
  ins.ret(0x80000000),
  ins.loadWord(0),
  ins.jump('jge', 10, 1, 0),
  ins.ret(ALLOW),
  ins.jump('jeq', 10, 0, 2),
  ins.loadWord(16),
  ins.jump('jeq', 0, 1, 0),
  ins.ret(EPERM),
  ins.ret(ALLOW),
];

describe('filterStats', () => {
  it('counts executed instructions, verdicts and kernel-cached syscalls per ABI', () => {
    const stats = filterStats(program);
    expect(stats.instructions).toBe(program.length);
    const x64 = stats.abis.find((a) => a.abi === 'x86_64')!;
    // uretprobe and uprobe, which Linux never filters, are counted apart.
    const n = syscallTable('x86_64').length - 2;
    expect(x64.syscalls).toBe(n);
    expect(x64.unfiltered).toEqual([{ nr: 335, name: 'uretprobe', verdict: 'ERRNO(EPERM)' }, { nr: 336, name: 'uprobe', verdict: 'ERRNO(EPERM)' }]);
    expect(stats.abis.find((a) => a.abi === 'x32')!.unfiltered).toEqual([]);
    // 0..9: 5 instructions; 10: 8 (arg0 is zero → ALLOW); every other: 6 (then EPERM).
    expect(x64.maxExecuted).toBe(8);
    expect(x64.meanExecuted).toBeCloseTo((10 * 5 + 8 + (n - 11) * 6) / n, 10);
    expect(x64.verdicts).toEqual({ ALLOW: 11, 'ERRNO(EPERM)': n - 11 });
    // nr 10 is allowed only after reading an argument: the kernel cannot cache it.
    expect(x64.kernelCached).toBe(10);
    const i386 = stats.abis.find((a) => a.abi === 'i386')!;
    expect(i386.meanExecuted).toBe(3);
    expect(i386.verdicts).toEqual({ KILL_PROCESS: syscallTable('i386').length });
    expect(i386.kernelCached).toBe(0);
    expect(stats.abis.find((a) => a.abi === 'x32')!.kernelCached).toBe(0);
  });
});

describe('seccomp-ts stats', () => {
  const dir = mkdtempSync(join(tmpdir(), 'seccomp-ts-stats-'));
  const file = join(dir, 'filter.bpf');
  writeFileSync(file, encodeProgram(program));

  it('reports any raw filter, as text and as JSON', async () => {
    const text = await cli(['stats', file]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/11 instructions/);
    expect(text.stdout).toMatch(/^x86_64\s+\d+\s+5\.\d\d\s+8\s+10\s+ERRNO\(EPERM\) \d+, ALLOW 11$/m);
    const json = await cli(['stats', file, '--json', '--arch', 'x86_64']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual(JSON.parse(JSON.stringify(filterStats(program, ['x86_64']))));
  });

  it('compiles a policy or a Docker profile first', async () => {
    const profile = join(dir, 'profile.json');
    writeFileSync(profile, JSON.stringify({
      defaultAction: 'SCMP_ACT_ERRNO', architectures: ['SCMP_ARCH_X86_64'],
      syscalls: [{ names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' }],
    }));
    const r = await cli(['stats', profile, '--json', '--arch', 'x86_64']);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.abis[0].verdicts.ALLOW).toBe(2);
    expect(s.abis[0].kernelCached).toBe(2);
    const h = await cli(['stats', '--profile', 'hardened']);
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/^profile:hardened \(compiled\)/);
  });

  it('fails with a clear message and exit 2 on bad input', async () => {
    const missing = await cli(['stats', join(dir, 'nope.bpf')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nope\.bpf: cannot read file/);
    const odd = join(dir, 'odd.bpf');
    writeFileSync(odd, new Uint8Array([0, 1, 2]));
    const r = await cli(['stats', odd]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/odd\.bpf: .*stray byte/);
    const both = await cli(['stats', file, '--profile', 'hardened']);
    expect(both.code).toBe(2);
    const arch = await cli(['stats', file, '--arch', 'vax']);
    expect(arch.stderr).toMatch(/--arch: unknown architecture "vax"/);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"defaultAction": "SCMP_ACT_NOPE", "syscalls": []}');
    const p = await cli(['stats', bad]);
    expect(p.code).toBe(2);
    expect(p.stderr).toMatch(/bad\.json: /);
    expect(p.stderr).not.toMatch(/\n\s+at /);
  });
});
