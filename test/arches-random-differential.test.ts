/**
 * Random Docker/OCI profiles on random machines (arm64, s390x, ppc64, mips64, …: every machine whose ABIs
 * Debian's libseccomp 2.5.4 knows), built by libseccomp as runc builds them and imported by seccomp-ts for the
 * same target: the evaluator and the compiled filter agree with libseccomp's filter on every syscall number of
 * every ABI in the filter and on biased argument vectors, with `seccomp_data` in the machine's byte order. Names
 * libseccomp 2.5.4 cannot number on an ABI whose table has them are left out on both sides, and listed.
 */
import fc from 'fast-check';
import { describe, expect } from 'vitest';
import { compilePolicy } from '../src/compiler/index.js';
import { performanceCompileOptions } from '../src/compiler/performance.js';
import { prepareFilter } from '../src/emulator/executor.js';
import { evaluatePolicy } from '../src/policy/evaluate.js';
import { formatProfileJson } from '../src/policy/oci/export.js';
import { TARGETS, type TargetArch } from '../src/policy/oci/vocabulary.js';
import { encodeAction } from '../src/syscalls/actions.js';
import { LINUX_ARCHES, type LinuxArchName } from '../src/syscalls/arch.js';
import { lookupSyscall } from '../src/syscalls/index.js';
import {
  biasedCalls, buildWithLibseccomp, compareVerdicts, describeCall, everySyscallNumber, comparable, importOrRefusal, libseccompMissing,
  policyFocus,
} from './support/libseccomp.js';
import { itWhen } from './support/require.js';

const MACHINES: readonly TargetArch[] = ['arm64', 'arm', 'ppc64le', 'ppc64', 's390x', 'riscv64', 'mips64', 'mips64le', 'mips', 'mipsle'];
/**
 * Names on most ABIs, the multiplexed socket and IPC calls, some that only a few ABIs have, and newer ones
 * (cachestat, mseal: libseccomp 2.5.4 cannot number mseal).
 */
const NAMES = ['read', 'write', 'openat', 'open', 'close', 'socket', 'bind', 'connect', 'accept', 'accept4', 'send', 'recv',
  'shmat', 'semop', 'msgsnd', 'mmap', 'mmap2', 'kill', 'socketcall', 'ipc', 'personality', 'clone', 'ioctl', 'cacheflush',
  'set_tls', 'sysmips', 'cachectl', 's390_runtime_instr', 'riscv_flush_icache', 'sync_file_range2', 'fadvise64_64',
  'cachestat', 'mseal'];
const ACTIONS = ['SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_TRAP', 'SCMP_ACT_ERRNO', 'SCMP_ACT_TRACE', 'SCMP_ACT_ALLOW', 'SCMP_ACT_LOG', 'SCMP_ACT_NOTIFY'];
const OPS = ['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ'];
const PROFILES = Number(process.env.SECCOMP_TS_RANDOM_ARCH_PROFILES ?? 100);
const VECTORS = 2000;

const value = fc.oneof(
  fc.bigInt({ min: 0n, max: 40n }),
  fc.constantFrom(0xffffffffn, 0x100000000n, 0x100000001n, (1n << 64n) - 1n, 1n << 63n, 0x7e020000n),
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
);
const arg = fc.record({ index: fc.nat(3), value, valueTwo: value, op: fc.constantFrom(...OPS) });
const entry = fc.record({
  names: fc.uniqueArray(fc.constantFrom(...NAMES), { minLength: 1, maxLength: 3 }),
  action: fc.constantFrom(...ACTIONS),
  args: fc.array(arg, { maxLength: 2 }),
  errnoRet: fc.option(fc.nat(200), { nil: undefined }),
}).map((e) => ({ ...e, ...(e.action === 'SCMP_ACT_ERRNO' || e.action === 'SCMP_ACT_TRACE' ? {} : { errnoRet: undefined }) }));
const machineProfile = fc.constantFrom(...MACHINES).chain((target) => fc.record({
  target: fc.constant(target),
  profile: fc.record({
    defaultAction: fc.constantFrom('SCMP_ACT_ERRNO', 'SCMP_ACT_ALLOW', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_LOG', 'SCMP_ACT_TRAP'),
    // The machine's other ABIs (runc always adds the native one).
    architectures: fc.subarray((TARGETS[target].runs as readonly LinuxArchName[]).map((a) => LINUX_ARCHES[a].scmpName)),
    syscalls: fc.array(entry, { minLength: 1, maxLength: 6 }),
  }),
}));

function withoutNames<T extends { syscalls: Array<{ names: string[] }> }>(profile: T, names: readonly string[]): T {
  const syscalls = profile.syscalls.map((s) => ({ ...s, names: s.names.filter((n) => !names.includes(n)) })).filter((s) => s.names.length > 0);
  return { ...profile, syscalls };
}

describe('random profiles on random machines against runc + libseccomp', () => {
  itWhen(libseccompMissing(), `${PROFILES} random profiles: equal verdicts wherever both accept the profile`, () => {
    const stats = { compared: 0, calls: 0, bothRefuse: 0, onlyOursRefuses: 0, libseccompHung: 0, libseccompMissingNrLoad: 0, mergeBugArea: 0, empty: 0 };
    const machines = new Set<string>();
    const leftOut = new Set<string>();
    const theirsOnlyRefuses: string[] = [];
    fc.assert(fc.property(machineProfile, fc.nat(1000), ({ target, profile: drawn }, seed) => {
      const first = buildWithLibseccomp({ profileText: formatProfileJson(drawn), caps: [], target, timeoutMs: 10_000 });
      let profile = drawn;
      let built = first;
      if (first.ok) {
        // Names libseccomp 2.5.4 cannot number on an ABI whose table has them: left out on both sides.
        const newer = Object.entries(first.unresolved).flatMap(([abi, names]) =>
          (names ?? []).filter((n) => lookupSyscall(abi as LinuxArchName, n)?.name === n).map((n) => `${abi}:${n}`));
        if (newer.length > 0) {
          for (const n of newer) leftOut.add(n);
          profile = withoutNames(drawn, newer.map((n) => n.split(':')[1]!));
          if (profile.syscalls.length === 0) {
            stats.empty++;
            return;
          }
          built = buildWithLibseccomp({ profileText: formatProfileJson(profile), caps: [], target, timeoutMs: 10_000 });
        }
      }
      const text = formatProfileJson(profile);
      const { ours, ourError } = importOrRefusal(text, { target });
      if (!comparable(built, ours, ourError, profile, text, stats, theirsOnlyRefuses, `${target}: `) || ours === undefined) return;
      const policy = ours.policy;
      expect(policy.arches[0]).toBe(TARGETS[target].native);
      const { focus, constants } = policyFocus(policy);
      const calls = [...everySyscallNumber(policy.arches), ...biasedCalls(VECTORS, seed, focus, constants, policy.arches)];
      const show = (name: string, ds: ReturnType<typeof compareVerdicts>): string[] =>
        ds.slice(0, 3).map((d) => `${target} ${name}: ${describeCall(d.call)}: ours 0x${d.ours.toString(16)}, libseccomp 0x${d.theirs.toString(16)}\n${text}`);
      const evaluate = (c: (typeof calls)[number]): number => encodeAction(evaluatePolicy(policy, { arch: c.arch, nr: c.nr, args: c.args }));
      expect(show('evaluator', compareVerdicts(built.program, evaluate, calls))).toEqual([]);
      const filter = prepareFilter(compilePolicy(policy, performanceCompileOptions()).program);
      expect(show('compiled', compareVerdicts(built.program, (_c, w) => filter.runWords(w), calls))).toEqual([]);
      stats.compared++;
      stats.calls += calls.length;
      machines.add(target);
    }), { numRuns: PROFILES });
    console.info(`[random arch profiles] ${JSON.stringify(stats)} on ${[...machines].sort().join(', ')}; ` +
      `left out (libseccomp 2.5.4 cannot number them): ${[...leftOut].sort().join(', ') || 'none'}`);
    expect(theirsOnlyRefuses.map((t) => t.replace(/\n\s*/g, ' '))).toEqual([]);
    expect(stats.compared).toBeGreaterThan(PROFILES / 4);
  }, 120_000);
});
