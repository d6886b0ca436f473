/**
 * The analyses on every ABI: `explain`, `diff`, `subset` and the action-cache report read a filter for aarch64,
 * s390x or mips with that ABI's syscall names, arch value and byte order, and every verdict and witness they
 * give is checked against the emulator on `seccomp_data` laid out in the ABI's byte order.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cacheReport, cacheReportText, KERNEL_CACHE_ABIS } from '../src/analysis/cache.js';
import { biasedWord, boundaryValues, programConstants, seededRandom } from '../src/analysis/constants.js';
import { diffPrograms } from '../src/analysis/diff.js';
import { explain, explanationText, predictVerdict } from '../src/analysis/explain.js';
import { abiOf, abisOf } from '../src/analysis/partition.js';
import { filterStats } from '../src/analysis/stats.js';
import { subsetOf } from '../src/analysis/subset.js';
import { encodeProgram } from '../src/bpf/encode.js';
import type { Program } from '../src/bpf/instructions.js';
import { compilePolicy } from '../src/compiler/index.js';
import { performanceCompileOptions } from '../src/compiler/performance.js';
import { seccompData } from '../src/emulator/data.js';
import { prepareFilter } from '../src/emulator/executor.js';
import { DOCKER_DEFAULT_PROFILE_JSON, importProfile } from '../src/policy/oci/index.js';
import { RecordExplainer } from '../src/audit/explain-record.js';
import { parseSeccompRecord } from '../src/audit/record.js';
import { abiOf as notifiedAbi } from '../src/linux/record.js';
import { addCall, emptyRecording, formatRecording, parseRecording, recordingPolicy } from '../src/record/recording.js';
import { tunePolicy } from '../src/policy/tune.js';
import type { Policy } from '../src/policy/types.js';
import { LINUX_ARCHES, LINUX_ARCH_NAMES, type LinuxArchName } from '../src/syscalls/arch.js';
import { lookupSyscall, syscallTable } from '../src/syscalls/resolve.js';
import fc from 'fast-check';
import { expectFilter, FilterAssertionError } from '../src/testing/expect.js';
import { policyArb, sampleWords, seccompDataArb } from '../src/testing/arbitraries.js';
import { cli } from './support/cli.js';
import { resolves } from './support/policies.js';

const ALLOW = 0x7fff0000;

function dockerFor(target: string): Program {
  const { policy } = importProfile(DOCKER_DEFAULT_PROFILE_JSON, { target: target as never });
  return compilePolicy(policy, performanceCompileOptions()).program;
}

/** Inputs of each ABI: every number of its table at zero arguments, then biased 64-bit argument vectors. */
function inputs(program: Program, abis: readonly LinuxArchName[], vectors: number, seed: number): Uint32Array[] {
  const out: Uint32Array[] = [];
  const boundaries = boundaryValues(programConstants(program));
  const random = seededRandom(seed);
  for (const arch of abis) {
    const table = syscallTable(arch);
    for (const e of table) out.push(seccompData({ arch, nr: e.nr }).words);
    for (let i = 0; i < vectors; i++) {
      const nr = (table[Math.floor(random() * table.length)] as { nr: number }).nr;
      const args = Array.from({ length: 6 }, () => (BigInt(biasedWord(random, boundaries)) << 32n) | BigInt(biasedWord(random, boundaries)));
      out.push(seccompData({ arch, nr, args }).words);
    }
  }
  return out;
}

describe('explain per ABI', () => {
  it('docker-default --target arm64: aarch64 and arm names, the emulator\'s verdicts on every call', () => {
    const program = dockerFor('arm64');
    expect(abisOf(program)).toEqual(['aarch64', 'arm', 'other']);
    const e = explain(program);
    expect(e.exact).toBe(true);
    expect(e.abis).toEqual(['aarch64', 'arm', 'other']);
    const text = explanationText(e);
    const allowedOn = (abi: string, name: string) => e.groups.some((g) => g.abi === abi && g.syscalls.some((s) => s.name === name) && g.text === 'ALLOW');
    expect(allowedOn('aarch64', 'openat')).toBe(true);
    expect(allowedOn('arm', 'open')).toBe(true);
    expect(e.groups.some((g) => g.abi === 'aarch64' && g.syscalls.some((s) => s.name === 'open'))).toBe(false); // aarch64 has no open
    expect(text).toMatch(/^aarch64 .*personality.*: .*arg0/m);
    expect(text).not.toMatch(/^x86_64 /m);
    const filter = prepareFilter(program);
    let checked = 0;
    for (const words of inputs(program, ['aarch64', 'arm'], 1500, 7)) {
      expect(predictVerdict(e, words), `arch ${words[1]!.toString(16)} nr ${words[0]}`).toBe(filter.runWords(words) >>> 0);
      checked++;
    }
    // Foreign arch values (x86_64 among them) fall under `other`.
    for (const arch of ['x86_64', 's390x'] as const) {
      const words = seccompData({ arch, nr: 1 }).words;
      expect(abiOf(words[1]!, 1, e.abis)).toBe('other');
      expect(predictVerdict(e, words)).toBe(filter.runWords(words) >>> 0);
    }
    expect(checked).toBeGreaterThan(3000);
  });

  it('a big-endian ABI: whole 64-bit arguments read from the halves s390x puts them in', () => {
    const policy: Policy = {
      defaultAction: { kind: 'ALLOW' }, arches: ['s390x', 's390'],
      rules: [
        { syscalls: ['read'], action: { kind: 'ERRNO', data: 1 }, conditions: [{ arg: 0, op: 'eq', value: 0x1_0000_0002n }] },
        { syscalls: ['write'], action: { kind: 'ERRNO', data: 2 }, conditions: [{ arg: 1, op: 'masked_eq', mask: 0xff00_0000_0000n, value: 0x1200_0000_0000n }] },
      ],
    };
    for (const optimized of [false, true]) {
      const program = compilePolicy(policy, optimized ? performanceCompileOptions() : {}).program;
      const e = explain(program);
      expect(e.abis).toEqual(['s390x', 's390', 'other']);
      const text = explanationText(e);
      expect(text).toContain('s390x read: ERRNO(EPERM) if arg0 == 0x100000002; else ALLOW');
      expect(text).toContain('s390x write: ERRNO(ENOENT) if (arg1.hi & 65280) == 4608; else ALLOW');
      // On 32-bit s390 an argument has no high half: a rule needing one never applies.
      expect(e.groups.find((g) => g.abi === 's390' && g.syscalls.some((c) => c.name === 'read'))?.text).toBe('ALLOW');
      const filter = prepareFilter(program);
      for (const words of inputs(program, ['s390x', 's390'], 800, 3)) {
        expect(predictVerdict(e, words)).toBe(filter.runWords(words) >>> 0);
      }
    }
  });
});

describe('explain and diff on random policies of random ABIs (property)', () => {
  const POOL = ['read', 'write', 'close', 'ioctl', 'kill', 'lseek', 'personality', 'socket', 'openat'];
  const arches = fc.uniqueArray(fc.constantFrom<LinuxArchName>(...LINUX_ARCH_NAMES), { minLength: 1, maxLength: 3 });
  const pair = arches.chain((a) => fc.tuple(
    policyArb({ syscalls: POOL, arches: a, maxRules: 5 }).filter(resolves),
    policyArb({ syscalls: POOL, arches: a, maxRules: 5 }).filter(resolves),
    fc.array(seccompDataArb({ arches: a }), { minLength: 40, maxLength: 40 }),
  ));

  it('explanations predict the emulator, and diff witnesses laid out for their ABI are real', () => {
    fc.assert(fc.property(pair, ([pa, pb, samples]) => {
      const a = compilePolicy(pa, performanceCompileOptions()).program;
      const b = compilePolicy(pb).program;
      const fa = prepareFilter(a);
      const fb = prepareFilter(b);
      const e = explain(a);
      for (const d of samples) {
        const words = sampleWords(d);
        const predicted = predictVerdict(e, words);
        if (predicted !== undefined) expect(predicted, `${d.arch} nr ${d.nr}`).toBe(fa.runWords(words) >>> 0);
      }
      const diff = diffPrograms(a, b);
      for (const x of diff.differences) {
        const w = x.witness;
        const real = seccompData({ arch: x.abi === 'other' ? 'x86_64' : x.abi, nr: w.nr, args: w.args, instructionPointer: w.instructionPointer }).words;
        if (x.abi !== 'other') {
          expect(Array.from(real), `${x.abi} witness`).toEqual(Array.from(w.words));
          expect([fa.runWords(real) >>> 0, fb.runWords(real) >>> 0]).toEqual([x.verdictA, x.verdictB]);
        }
        expect([fa.runWords(w.words) >>> 0, fb.runWords(w.words) >>> 0]).toEqual([x.verdictA, x.verdictB]);
      }
      if (diff.equivalent) {
        for (const d of samples) expect(fa.runWords(sampleWords(d)) >>> 0).toBe(fb.runWords(sampleWords(d)) >>> 0);
      }
    }), { numRuns: 40 });
  });
});

describe('diff and subset per ABI', () => {
  const base: Policy = {
    defaultAction: { kind: 'ERRNO', data: 1 }, arches: ['mips64', 'mips'],
    rules: [
      { syscalls: ['read', 'write', 'close'], action: { kind: 'ALLOW' } },
      { syscalls: ['ioctl'], action: { kind: 'ALLOW' }, conditions: [{ arg: 1, op: 'le', value: 0x7_0000_0000n }] },
    ],
  };
  const wider: Policy = { ...base, rules: [...base.rules, { syscalls: ['openat'], action: { kind: 'ALLOW' } }] };

  it('witnesses on big-endian mips64 are real: the emulator gives each filter its verdict', () => {
    const changed: Policy = { ...base, rules: [base.rules[0]!, { ...base.rules[1]!, conditions: [{ arg: 1, op: 'le', value: 0x6_ffff_ffffn }] }] };
    const a = compilePolicy(base, performanceCompileOptions()).program;
    const b = compilePolicy(changed).program;
    const d = diffPrograms(a, b);
    expect(d.exhaustive).toBe(true);
    expect(d.differences.map((x) => [x.abi, x.syscalls.map((s) => s.name).join(',')])).toEqual([['mips64', 'ioctl']]);
    const w = d.differences[0]!.witness;
    expect(w.args[1]).toBe(0x7_0000_0000n); // the one value in between, as a 64-bit argument read in mips64's byte order
    const real = seccompData({ arch: 'mips64', nr: w.nr, args: w.args, instructionPointer: w.instructionPointer }).words;
    expect(Array.from(real)).toEqual(Array.from(w.words));
    expect(prepareFilter(a).runWords(real) >>> 0).toBe(d.differences[0]!.verdictA);
    expect(prepareFilter(b).runWords(real) >>> 0).toBe(d.differences[0]!.verdictB);
  });

  it('subset on s390x: each violation\'s witness is let through by A and not by B', () => {
    const s390x = (p: Policy): Policy => ({ ...p, arches: ['s390x'] });
    const a = compilePolicy(s390x(wider), performanceCompileOptions()).program;
    const b = compilePolicy(s390x(base), performanceCompileOptions()).program;
    expect(subsetOf(b, a).subset).toBe(true);
    const r = subsetOf(a, b);
    expect(r.subset).toBe(false);
    expect(r.violations.map((v) => [v.abi, v.syscalls.map((s) => s.name).join(',')])).toEqual([['s390x', 'openat']]);
    for (const v of r.violations) {
      const real = seccompData({ arch: 's390x', nr: v.witness.nr, args: v.witness.args, instructionPointer: v.witness.instructionPointer }).words;
      expect(prepareFilter(a).runWords(real) >>> 0).toBe(ALLOW);
      expect(prepareFilter(b).runWords(real) >>> 0).not.toBe(ALLOW);
    }
  });
});

describe('the kernel\'s action cache per ABI', () => {
  it('models each kernel\'s native and compat ABIs; MIPS kernels have none', () => {
    expect(KERNEL_CACHE_ABIS.aarch64).toEqual({ native: 'aarch64', compat: 'arm' });
    expect(KERNEL_CACHE_ABIS.s390x).toEqual({ native: 's390x', compat: 's390' });
    expect(KERNEL_CACHE_ABIS.mips64).toBeUndefined();
    expect([KERNEL_CACHE_ABIS.sh, KERNEL_CACHE_ABIS.sheb]).toEqual([{ native: 'sh' }, { native: 'sheb' }]);
    expect(() => cacheReport([], { kernel: 'mips64' })).toThrow(/mips64 kernel has no seccomp action cache/);
  });

  it('docker-default on an aarch64 kernel: cached numbers are allowed whatever the arguments', () => {
    const program = dockerFor('arm64');
    const r = cacheReport(program, { kernel: 'aarch64' });
    expect([r.kernel, r.native.abi, r.compat?.abi, r.x32]).toEqual(['aarch64', 'aarch64', 'arm', undefined]);
    expect(r.native.cached).toContain(lookupSyscall('aarch64', 'openat')!.nr);
    expect(r.native.cached).not.toContain(lookupSyscall('aarch64', 'personality')!.nr); // reads arg0
    expect(r.compat!.cached).toContain(lookupSyscall('arm', 'open')!.nr);
    expect(r.compat!.size).toBeLessThan(0xf0000); // ARM's private calls are past the kernel's table
    expect(cacheReportText(r)).toMatch(/^aarch64: \d+ of \d+ syscall numbers always allowed/);
    const filter = prepareFilter(program);
    const random = seededRandom(5);
    for (const [c, arch] of [[r.native, 'aarch64'], [r.compat!, 'arm']] as const) {
      for (const nr of c.cached) {
        const args = Array.from({ length: 6 }, () => (BigInt(Math.floor(random() * 2 ** 32)) << 32n) | BigInt(Math.floor(random() * 2 ** 32)));
        expect(filter.runWords(seccompData({ arch, nr, args }).words) >>> 0).toBe(ALLOW);
      }
    }
    const stats = filterStats(program, ['aarch64', 'arm']);
    expect(stats.abis[0]!.kernelCached).toBe(r.native.cached.filter((nr) => syscallTable('aarch64').some((e) => e.nr === nr)).length);
    expect(stats.abis[1]!.kernelCached).toBeGreaterThan(200);
    const mips = filterStats(dockerFor('mips64'), ['mips64']);
    expect(mips.abis[0]!.kernelCached).toBe(0);
  });
});

describe('tuning per ABI', () => {
  it('--tune names calls only other ABIs have (arm cacheflush, s390x s390_runtime_instr)', () => {
    const { policy } = importProfile(DOCKER_DEFAULT_PROFILE_JSON, { target: 'arm64' });
    const denied = tunePolicy(policy, ['deny:cacheflush']);
    expectFilter(policy, { arch: 'arm' }).toAllow('cacheflush');
    expectFilter(denied, { arch: 'arm' }).toDeny('cacheflush').toAllow('open');
    expect(() => tunePolicy(policy, ['deny:cacheflsh'])).toThrow(/tune\[0\].*unknown syscall/);
  });
});

describe('audit records per ABI', () => {
  it('an aarch64 record is read with its ABI and explained against an arm64 filter and policy', () => {
    const nr = lookupSyscall('aarch64', 'kexec_load')!.nr;
    const line = `audit: type=1326 audit(1733275871.123:42): auid=4294967295 uid=0 gid=0 ses=4294967295 subj=unconfined pid=7 comm="a" exe="/a" sig=0 arch=c00000b7 syscall=${nr} compat=0 ip=0x1 code=0x50001`;
    const record = parseSeccompRecord(line)!;
    expect([record.abi, record.syscall, record.nr, record.action]).toEqual(['aarch64', 'kexec_load', nr, 'ERRNO(EPERM)']);
    const filter = new RecordExplainer({ kind: 'filter', program: dockerFor('arm64'), name: 'docker-arm64.bpf' });
    expect(filter.explain(record)).toBe('kexec_load: docker-arm64.bpf gives ERRNO(EPERM); let it through: compile the policy with --tune allow:kexec_load (a bare filter has no rules to name)');
    const { policy } = importProfile(DOCKER_DEFAULT_PROFILE_JSON, { target: 'arm64' });
    expect(new RecordExplainer({ kind: 'policy', policy, name: 'docker-default' }).explain(record))
      .toMatch(/^kexec_load: no rule of docker-default decided, so its default ERRNO\(EPERM\) did/);
    const s390 = parseSeccompRecord(line.replace('arch=c00000b7', 'arch=80000016'))!;
    expect(s390.abi).toBe('s390x');
    expect(new RecordExplainer({ kind: 'policy', policy, name: 'docker-default' }).explain(s390))
      .toMatch(/^\S+: s390x is not among the ABIs of docker-default, so the bad-ABI action decided/);
  });
});

describe('recordings per ABI', () => {
  it('calls seen on an arm64 host become a recording, a policy and a filter for aarch64 and arm', () => {
    expect(notifiedAbi(0xc00000b7, 56)).toEqual({ abi: 'aarch64', nr: 56 });
    expect(notifiedAbi(0x40000028, 5)).toEqual({ abi: 'arm', nr: 5 });
    expect(notifiedAbi(0x40000008, 4003)).toEqual({ abi: 'mipsel', nr: 4003 });
    expect(notifiedAbi(0x12345, 1)).toBeUndefined();
    const r = emptyRecording();
    for (const [abi, name, args] of [['aarch64', 'openat', []], ['aarch64', 'socket', [1n]], ['arm', 'open', []], ['arm', 'cacheflush', []]] as const) {
      const call = notifiedAbi(LINUX_ARCHES[abi].auditArch, lookupSyscall(abi, name)!.nr)!;
      addCall(r, call.abi, call.nr, args);
    }
    const back = parseRecording(JSON.parse(formatRecording(r)));
    expect(back).toEqual(r);
    const policy = recordingPolicy(back);
    expect([...policy.arches].sort()).toEqual(['aarch64', 'arm']);
    expectFilter(policy, { arch: 'aarch64' }).toAllow('openat').toAllow('socket', [1]).toDeny('socket', [2]).toDeny('read');
    expectFilter(policy, { arch: 'arm' }).toAllow('open').toAllow('cacheflush').toDeny('openat');
    expect(() => parseRecording({ seccompTsRecording: 1, runs: [], abis: { vax: {} } })).toThrow(/^\$\.abis\.vax: unknown ABI \(one of x86_64, i386, x32, arm, aarch64, /);
  });
});

describe('the testing kit per ABI', () => {
  it('expectFilter claims about aarch64, arm and big-endian s390x', () => {
    expectFilter(dockerFor('arm64'), { arch: ['aarch64', 'arm'] }).toAllow('openat').toDeny('kexec_load').toAllow('personality', [8]);
    expectFilter(dockerFor('arm64'), { arch: 'arm' }).toAllow('open').toAllow('cacheflush');
    const policy: Policy = {
      defaultAction: { kind: 'ALLOW' }, arches: ['s390x'],
      rules: [{ syscalls: ['lseek'], action: { kind: 'ERRNO', data: 22 }, conditions: [{ arg: 1, op: 'gt', value: 0x1_0000_0000n }] }],
    };
    const s390x = expectFilter(policy, { arch: 's390x' });
    s390x.toAllow('lseek', [3, 0x1_0000_0000n]).toReturn('lseek', 'ERRNO(EINVAL)', [3, 0x1_0000_0001n]).toAllow('lseek', [3, 0xffff_ffffn]);
    expect(() => s390x.toAllow('lseek', { arg1: 0x2_0000_0000n })).toThrow(FilterAssertionError);
    // A claim for every argument value is decided on the filter's paths; its witness is read in s390x's byte order.
    let message = '';
    try {
      s390x.toAllow('lseek');
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/^expected s390x lseek to be allowed for every argument\n[\s\S]*input: +s390x lseek \(nr 0x13\) args=\[\w+, 0x[0-9a-f]{9}, /);
  });

  it('seccompDataArb draws calls of any ABI; sampleWords lays them out as the emulator does (property)', () => {
    fc.assert(fc.property(seccompDataArb({ arches: ['s390x', 'mips', 'aarch64', 'x32'] }), (d) => {
      expect(Array.from(sampleWords(d))).toEqual(Array.from(seccompData({ arch: d.arch, nr: d.nr, args: d.args, instructionPointer: d.instructionPointer }).words));
    }), { numRuns: 200 });
  });
});

describe('seccomp-ts explain / diff --arch with any ABI', () => {
  it('names calls of the ABI given, and refuses unknown ones in one line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'seccomp-ts-arch-analysis-'));
    try {
      const file = join(dir, 'arm64.bpf');
      writeFileSync(file, encodeProgram(dockerFor('arm64')));
      const one = await cli(['explain', file, '--arch', 'arm64', '--syscall', 'openat', '--syscall', 'personality']);
      expect(one.code).toBe(0);
      expect(one.stdout).toMatch(/^aarch64 openat: ALLOW\naarch64 personality: .*arg0.*\n$/);
      const arm = await cli(['explain', file, '--arch', 'SCMP_ARCH_ARM', '--syscall', 'open', '--syscall', 'cacheflush']);
      expect(arm.stdout).toMatch(/^arm open: ALLOW\narm cacheflush: \S+/);
      const s390 = join(dir, 's390x.bpf');
      writeFileSync(s390, encodeProgram(dockerFor('s390x')));
      const d = await cli(['diff', file, s390, '--arch', 's390x', '--json']);
      const parsed = JSON.parse(d.stdout) as { differences: Array<{ abi: string; witness: { arch: number } }> };
      expect(parsed.differences.length).toBeGreaterThan(0);
      expect(parsed.differences.every((x) => x.abi === 's390x' && x.witness.arch === LINUX_ARCHES.s390x.auditArch)).toBe(true);
      const stats = await cli(['stats', file, '--json']);
      expect((JSON.parse(stats.stdout) as { abis: Array<{ abi: string }> }).abis.map((a) => a.abi)).toEqual(['aarch64', 'arm']);
      const bad = await cli(['diff', file, s390, '--arch', 'vax']);
      expect([bad.code, bad.stderr]).toEqual([2, expect.stringMatching(/^seccomp-ts: diff: --arch: unknown ABI "vax" \([^\n]*\)\n$/)]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
