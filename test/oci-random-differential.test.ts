/**
 * Random Docker/OCI profiles (every action and operator, x86 names including the i386 socket and IPC calls,
 * 64-bit constants, repeated arguments) built by libseccomp as runc builds them and imported by seccomp-ts:
 * wherever both accept a profile, their verdicts agree on every syscall number and on random vectors.
 */
import fc from 'fast-check';
import { describe, expect } from 'vitest';
import { evaluatePolicy } from '../src/policy/evaluate.js';
import { importProfile, ProfileError } from '../src/policy/oci/index.js';
import { formatProfileJson } from '../src/policy/oci/export.js';
import { encodeAction } from '../src/syscalls/actions.js';
import {
  biasedCalls, buildWithLibseccomp, compareVerdicts, describeCall, everySyscallNumber, inMergeBugArea, libseccompMissing,
  missesSyscallNumberLoad, policyFocus,
} from './support/libseccomp.js';
import { itWhen } from './support/require.js';

const NAMES = ['read', 'write', 'openat', 'socket', 'bind', 'connect', 'accept', 'send', 'shmat', 'semop', 'msgsnd', 'mmap', 'mmap2', 'kill', 'socketcall', 'ipc', 'chown32', 'arch_prctl', 'personality'];
const ACTIONS = ['SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_TRAP', 'SCMP_ACT_ERRNO', 'SCMP_ACT_TRACE', 'SCMP_ACT_ALLOW', 'SCMP_ACT_LOG', 'SCMP_ACT_NOTIFY'];
const OPS = ['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ'];
const PROFILES = Number(process.env.SECCOMP_TS_RANDOM_PROFILES ?? 100);

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
const profileArb = fc.record({
  defaultAction: fc.constantFrom('SCMP_ACT_ERRNO', 'SCMP_ACT_ALLOW', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_LOG', 'SCMP_ACT_TRAP'),
  architectures: fc.subarray(['SCMP_ARCH_X86', 'SCMP_ARCH_X32']),
  syscalls: fc.array(entry, { minLength: 1, maxLength: 6 }),
});

describe('random profiles against runc + libseccomp', () => {
  itWhen(libseccompMissing(), `${PROFILES} random profiles: equal verdicts wherever both accept the profile`, () => {
    const stats = { compared: 0, calls: 0, bothRefuse: 0, onlyOursRefuses: 0, libseccompHung: 0, libseccompMissingNrLoad: 0, mergeBugArea: 0 };
    const theirsOnlyRefuses: string[] = [];
    fc.assert(fc.property(profileArb, fc.nat(1000), (profile, seed) => {
      const text = formatProfileJson(profile);
      let ours: ReturnType<typeof importProfile> | undefined;
      let ourError: unknown;
      try {
        ours = importProfile(text);
      } catch (err) {
        if (!(err instanceof ProfileError)) throw err;
        ourError = err;
      }
      const built = buildWithLibseccomp({ profileText: text, caps: [], timeoutMs: 10_000 });
      if (!built.ok) {
        if (built.timedOut === true) {
          stats.libseccompHung++;
          return;
        }
        if (ours === undefined) stats.bothRefuse++;
        else theirsOnlyRefuses.push(`${built.error}\n${text}`);
        return;
      }
      if (inMergeBugArea(profile.syscalls)) {
        stats.mergeBugArea++;
        return;
      }
      if (missesSyscallNumberLoad(built.program)) {
        stats.libseccompMissingNrLoad++;
        return;
      }
      if (ours === undefined) {
        // seccomp-ts refuses what libseccomp decides by tree order (overlapping rules of different actions).
        expect(String(ourError)).toMatch(/can match the same calls|cannot be used for write|libseccomp refuses/);
        stats.onlyOursRefuses++;
        return;
      }
      const policy = ours.policy;
      const { focus, constants } = policyFocus(policy);
      const calls = [...everySyscallNumber(), ...biasedCalls(3000, seed, focus, constants)];
      const found = compareVerdicts(built.program, (c) => encodeAction(evaluatePolicy(policy, { arch: c.arch, nr: c.nr, args: c.args })), calls);
      expect(found.slice(0, 3).map((d) => `${describeCall(d.call)}: ours 0x${d.ours.toString(16)}, libseccomp 0x${d.theirs.toString(16)}\n${text}`)).toEqual([]);
      stats.compared++;
      stats.calls += calls.length;
    }), { numRuns: PROFILES });
    console.info(`[random profiles] ${JSON.stringify(stats)}`);
    expect(theirsOnlyRefuses.map((t) => t.replace(/\n\s*/g, " "))).toEqual([]);
    expect(stats.compared).toBeGreaterThan(PROFILES / 4);
  });
});
