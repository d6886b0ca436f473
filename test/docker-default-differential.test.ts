/**
 * Docker's default profile, built the way runc builds it with Debian's libseccomp 2.5.4, against seccomp-ts's
 * import of the same profile: the reference evaluator and the compiled filters must give the same verdict on
 * every syscall number of every x86 ABI and on 100,000 random argument vectors biased toward the profile's
 * constants. The only allowed differences are the syscalls newer than that libseccomp, listed below.
 */
import { describe, expect } from 'vitest';
import { compilePolicy } from '../src/compiler/index.js';
import { performanceCompileOptions } from '../src/compiler/performance.js';
import { prepareFilter } from '../src/emulator/executor.js';
import { evaluatePolicy } from '../src/policy/evaluate.js';
import { DOCKER_DEFAULT_CAPABILITIES, DOCKER_DEFAULT_PROFILE_JSON, importProfile } from '../src/policy/oci/index.js';
import { encodeAction } from '../src/syscalls/actions.js';
import { ARCH_NAMES, type ArchName } from '../src/syscalls/arch.js';
import { lookupSyscall } from '../src/syscalls/index.js';
import {
  biasedCalls, buildWithLibseccomp, compareVerdicts, describeCall, everySyscallNumber, libseccompMissing, missesSyscallNumberLoad,
  newerThanLibseccomp, policyFocus, rawAbi, type RawCall,
} from './support/libseccomp.js';
import { itWhen } from './support/require.js';

/** Names in the profile that Debian's libseccomp 2.5.4 cannot resolve at all although the kernel tables have them. */
const NEWER_THAN_LIBSECCOMP = [
  'getxattrat', 'listmount', 'listxattrat', 'mseal', 'removexattrat', 'setxattrat', 'statmount', 'uretprobe',
];
/**
 * Per ABI, every profile name our tables have there but libseccomp 2.5.4 does not: the names above where the
 * ABI has them, plus map_shadow_stack on x32 (libseccomp knows it on x86_64 only).
 */
const GAPS: Record<ArchName, string[]> = {
  x86_64: NEWER_THAN_LIBSECCOMP,
  i386: NEWER_THAN_LIBSECCOMP.filter((n) => n !== 'uretprobe'),
  x32: [...NEWER_THAN_LIBSECCOMP, 'map_shadow_stack'].sort(),
};
/** Unknown to libseccomp 2.5.4 (a RISC-V-only call, on no x86 ABI). */
const UNKNOWN_TO_BOTH = ['riscv_hwprobe'];
const RANDOM_VECTORS = 100_000;

function withoutNames(text: string, names: readonly string[]): string {
  const doc = JSON.parse(text) as { syscalls: Array<{ names: string[] }> };
  for (const s of doc.syscalls) s.names = s.names.filter((n) => !names.includes(n));
  doc.syscalls = doc.syscalls.filter((s) => s.names.length > 0);
  return JSON.stringify(doc);
}

describe('docker-default against runc + libseccomp', () => {
  const missing = libseccompMissing();

  itWhen(missing, 'libseccomp skips exactly the newest syscall names; seccomp-ts knows them all', () => {
    const built = buildWithLibseccomp({ profileText: DOCKER_DEFAULT_PROFILE_JSON, caps: DOCKER_DEFAULT_CAPABILITIES });
    if (!built.ok) throw new Error(built.error);
    expect([...built.unknown].sort()).toEqual([...NEWER_THAN_LIBSECCOMP, ...UNKNOWN_TO_BOTH].sort());
    const ours = importProfile(DOCKER_DEFAULT_PROFILE_JSON);
    // seccomp-ts knows riscv_hwprobe (a riscv64 call): on x86 it names no syscall, as libseccomp's skip leaves it.
    expect(ours.warnings).toEqual([]);
    expect(newerThanLibseccomp(built, (abi, name) => lookupSyscall(abi, name)?.name === name)).toEqual(GAPS);
  });

  itWhen(missing, 'zero disagreements on every syscall number and 100,000 biased random vectors (newest names left out on both sides)', () => {
    const text = withoutNames(DOCKER_DEFAULT_PROFILE_JSON, [...new Set(Object.values(GAPS).flat())]);
    const built = buildWithLibseccomp({ profileText: text, caps: DOCKER_DEFAULT_CAPABILITIES });
    if (!built.ok) throw new Error(built.error);
    expect(missesSyscallNumberLoad(built.program)).toBe(false);
    const { policy } = importProfile(text);
    const { focus, constants } = policyFocus(policy);
    const calls: RawCall[] = [...everySyscallNumber(), ...biasedCalls(RANDOM_VECTORS, 0x5eccd, focus, constants)];
    const evaluate = (c: RawCall): number => encodeAction(evaluatePolicy(policy, { arch: c.arch, nr: c.nr, args: c.args }));
    const evaluator = compareVerdicts(built.program, evaluate, calls);
    expect(evaluator.slice(0, 5).map((d) => `${describeCall(d.call)}: ours 0x${d.ours.toString(16)}, libseccomp 0x${d.theirs.toString(16)}`)).toEqual([]);
    for (const [name, options] of [['linear', {}], ['optimized', performanceCompileOptions()]] as const) {
      const filter = prepareFilter(compilePolicy(policy, options).program);
      const compiled = compareVerdicts(built.program, (_c, w) => filter.runWords(w), calls);
      expect(compiled.slice(0, 5).map((d) => `${name}: ${describeCall(d.call)}: ours 0x${d.ours.toString(16)}, libseccomp 0x${d.theirs.toString(16)}`)).toEqual([]);
    }
    expect(calls.length).toBeGreaterThan(RANDOM_VECTORS + 3 * 400);
    console.info(`[docker-default differential] ${calls.length} calls (${calls.length - RANDOM_VECTORS} numbers with zero arguments, ` +
      `${RANDOM_VECTORS} random vectors), libseccomp program ${built.program.length} instructions: 0 disagreements`);
  });

  itWhen(missing, 'with the full profile, the disagreements are exactly the gaps, on every ABI, for the evaluator and both compiled filters', () => {
    const built = buildWithLibseccomp({ profileText: DOCKER_DEFAULT_PROFILE_JSON, caps: DOCKER_DEFAULT_CAPABILITIES });
    if (!built.ok) throw new Error(built.error);
    const { policy } = importProfile(DOCKER_DEFAULT_PROFILE_JSON);
    const { focus, constants } = policyFocus(policy);
    const gapCalls: RawCall[] = [];
    const expected = new Set<string>();
    for (const abi of ARCH_NAMES) {
      for (const name of GAPS[abi]) {
        const e = lookupSyscall(abi, name)!;
        expected.add(`${abi}:${e.nr}`);
        gapCalls.push({ arch: abi === 'i386' ? 0x40000003 : 0xc000003e, nr: e.nr, args: [] });
      }
    }
    const calls = [...everySyscallNumber(), ...biasedCalls(RANDOM_VECTORS, 7, [...focus, ...gapCalls], constants)];
    const runs: Array<[string, (c: RawCall, w: Uint32Array) => number]> = [
      ['evaluator', (c) => encodeAction(evaluatePolicy(policy, { arch: c.arch, nr: c.nr, args: c.args }))],
    ];
    for (const [name, options] of [['linear', {}], ['optimized', performanceCompileOptions()]] as const) {
      const filter = prepareFilter(compilePolicy(policy, options).program);
      runs.push([name, (_c, w) => filter.runWords(w)]);
    }
    for (const [name, ours] of runs) {
      const found = compareVerdicts(built.program, ours, calls);
      const seen = new Set(found.map((d) => `${rawAbi(d.call)}:${d.call.nr}`));
      expect([...seen].sort(), name).toEqual([...expected].sort());
      // libseccomp leaves them to the default ERRNO(EPERM); the profile allows them.
      for (const d of found) {
        expect(d.ours, name).toBe(0x7fff0000);
        expect(d.theirs, name).toBe(0x00050001);
      }
    }
  });
});
