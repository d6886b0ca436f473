/**
 * The compiler on every ABI: random policies covering random sets of ABIs (both byte orders, 32- and 64-bit,
 * multiplexed socketcall/ipc) compile to filters whose verdicts, run in the emulator on `seccomp_data` laid out
 * in each ABI's byte order, equal the reference evaluator's; and Docker/OCI profiles import for other targets.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compilePolicy } from '../src/compiler/index.js';
import { performanceCompileOptions } from '../src/compiler/performance.js';
import { prepareFilter } from '../src/emulator/executor.js';
import { seccompData } from '../src/emulator/data.js';
import { evaluatePolicy } from '../src/policy/evaluate.js';
import { DOCKER_DEFAULT_PROFILE_JSON, importProfile } from '../src/policy/oci/index.js';
import { listProfiles, getProfile } from '../src/policy/profiles/index.js';
import type { Policy } from '../src/policy/types.js';
import { encodeAction } from '../src/syscalls/actions.js';
import { LINUX_ARCHES, LINUX_ARCH_NAMES, type LinuxArchName } from '../src/syscalls/arch.js';
import { lookupSyscall, maxSyscallNr } from '../src/syscalls/index.js';
import { policyArb } from '../src/testing/arbitraries.js';
import { resolves } from './support/policies.js';

const POOL = ['read', 'write', 'close', 'socket', 'ioctl', 'getpid', 'kill', 'openat', 'shmget', 'socketcall', 'ipc', 'cacheflush'];
const U64 = (1n << 64n) - 1n;


const archesArb = fc.uniqueArray(fc.constantFrom(...LINUX_ARCH_NAMES), { minLength: 1, maxLength: 4 });
const anyPolicy = archesArb.chain((arches) => policyArb({ syscalls: POOL, arches, flags: true, maxRules: 10 })).filter(resolves);

/** Calls on the policy's ABIs (and a foreign one), biased toward its numbers and constants. */
function callsFor(p: Policy, seed: number): Array<{ arch: LinuxArchName; nr: number; args: bigint[] }> {
  const values = [0n, 1n, 2n, 0xffffffffn, 0x100000000n, U64];
  for (const r of p.rules) for (const c of r.conditions ?? []) values.push(c.value, c.value + 1n, c.value - 1n & U64, c.value | 0xabcd00000000n);
  const calls = fc.sample(fc.record({
    arch: fc.constantFrom<LinuxArchName>(...p.arches, 'aarch64', 's390x', 'i386'),
    which: fc.nat({ max: 20 }),
    sub: fc.nat({ max: 24 }),
    args: fc.array(fc.oneof(fc.constantFrom(...values.map((v) => v & U64)), fc.bigInt({ min: 0n, max: U64 })), { minLength: 6, maxLength: 6 }),
  }), { numRuns: 300, seed });
  return calls.map(({ arch, which, sub, args }) => {
    const names = [...POOL];
    const name = names[which % names.length]!;
    const entry = lookupSyscall(arch, name);
    let nr = entry?.nr ?? (which === 20 ? maxSyscallNr(arch) + 1 : LINUX_ARCHES[arch].nrBase + which);
    if (arch === 'x32') nr = (nr | 0x40000000) >>> 0;
    // socketcall/ipc: a sub-call number in args[0] half the time.
    if (name === 'socketcall' || name === 'ipc') args[0] = which % 2 === 0 ? BigInt(sub) : args[0]!;
    return { arch, nr, args };
  });
}

describe('compiling for every ABI', () => {
  it('compiled filters agree with the evaluator on every ABI and byte order (property)', () => {
    let compared = 0;
    fc.assert(fc.property(anyPolicy, fc.integer(), (p, seed) => {
      const programs = [compilePolicy(p).program, compilePolicy(p, performanceCompileOptions()).program];
      const filters = programs.map((prog) => prepareFilter(prog));
      for (const call of callsFor(p, seed)) {
        const want = encodeAction(evaluatePolicy(p, call));
        const data = seccompData(call);
        for (const f of filters) {
          expect(f.runWords(data.words) >>> 0, `${JSON.stringify(p.arches)} ${call.arch} nr ${call.nr} args ${call.args.join(',')}`).toBe(want);
        }
        compared++;
      }
    }), { numRuns: 60 });
    expect(compared).toBeGreaterThan(10_000);
  });

  it('reads an argument\'s halves where the ABI puts them', () => {
    const p: Policy = {
      defaultAction: { kind: 'ALLOW' }, arches: ['s390x', 'aarch64'],
      rules: [{ syscalls: ['read'], action: { kind: 'ERRNO', data: 1 }, conditions: [{ arg: 0, op: 'eq', value: 0x1_0000_0002n }] }],
    };
    const f = prepareFilter(compilePolicy(p).program);
    for (const arch of ['s390x', 'aarch64'] as const) {
      const nr = lookupSyscall(arch, 'read')!.nr;
      expect(f.runWords(seccompData({ arch, nr, args: [0x1_0000_0002n] }).words) >>> 0, arch).toBe(0x00050001);
      expect(f.runWords(seccompData({ arch, nr, args: [0x2_0000_0001n] }).words) >>> 0, arch).toBe(0x7fff0000);
      expect(f.runWords(seccompData({ arch, nr, args: [2n] }).words) >>> 0, arch).toBe(0x7fff0000);
    }
  });

  it('denies socketcall where socket is restricted by its arguments, on every multiplexing ABI', () => {
    const p: Policy = {
      defaultAction: { kind: 'ALLOW' }, arches: ['s390x', 's390', 'ppc64le', 'mips'],
      rules: [{ syscalls: ['socket'], action: { kind: 'ERRNO', data: 13 }, conditions: [{ arg: 0, op: 'eq', value: 16n }] }],
    };
    const { warnings } = compilePolicy(p);
    expect(warnings.map((w) => w.code)).toContain('socketcall-denied');
    expect(warnings.find((w) => w.code === 'socketcall-denied')?.message).toMatch(/^s390x, s390, ppc64le, mips: socket\(\) is restricted/);
    expect(encodeAction(evaluatePolicy(p, { arch: 'mips', nr: 4102, args: [1n] }))).toBe(0x0005000d);
  });
});

describe('built-in profiles on every target', () => {
  it('every built-in profile compiles for every ABI', () => {
    for (const info of listProfiles()) {
      const profile = getProfile(info.name);
      for (const arch of LINUX_ARCH_NAMES) {
        let p: Policy = { ...profile, arches: [arch] };
        // Names a policy has that the ABI lacks are fine; names on no covered ABI are dropped per ABI.
        p = { ...p, rules: p.rules.map((r) => ({ ...r, syscalls: r.syscalls.filter((s) => typeof s !== 'string' || lookupSyscall(arch, s) !== undefined) })).filter((r) => r.syscalls.length > 0) };
        expect(() => compilePolicy(p), `${info.name} on ${arch}`).not.toThrow();
      }
    }
  });
});

describe('Docker/OCI import for other machines', () => {
  it('--target arm64 covers aarch64 and arm from archMap, and applies arm-only entries', () => {
    const { policy, warnings } = importProfile(DOCKER_DEFAULT_PROFILE_JSON, { target: 'arm64' });
    expect(policy.arches).toEqual(['aarch64', 'arm']);
    expect(warnings.join('\n')).not.toMatch(/x86/);
    const allow = (arch: LinuxArchName, name: string): number =>
      encodeAction(evaluatePolicy(policy, { arch, nr: lookupSyscall(arch, name)!.nr, args: [] }));
    expect(allow('aarch64', 'openat')).toBe(0x7fff0000);
    expect(allow('arm', 'set_tls')).toBe(0x7fff0000);
    expect(allow('arm', 'cacheflush')).toBe(0x7fff0000);
    expect(encodeAction(evaluatePolicy(policy, { arch: 0xc000003e, nr: 0, args: [] }))).toBe(0x00000000);
    const program = compilePolicy(policy).program;
    expect(program.length).toBeGreaterThan(50);
  });

  it('--target s390x keeps s390 and multiplexes socket and ipc calls as libseccomp does', () => {
    const { policy } = importProfile(DOCKER_DEFAULT_PROFILE_JSON, { target: 's390x' });
    expect(policy.arches).toEqual(['s390x', 's390']);
    const f = prepareFilter(compilePolicy(policy).program);
    const call = (arch: LinuxArchName, nr: number, a0: bigint): number => f.runWords(seccompData({ arch, nr, args: [a0] }).words) >>> 0;
    expect(call('s390x', 102, 1n)).toBe(0x7fff0000); // socketcall(SYS_SOCKET)
    expect(call('s390', 117, 23n)).toBe(0x7fff0000); // ipc(SHMGET)
  });

  it('refuses an unknown target in one line', () => {
    expect(() => importProfile(DOCKER_DEFAULT_PROFILE_JSON, { target: 'vax' as never })).toThrow(/^unsupported target "vax" \(one of 386, amd64, arm64/);
  });
});
