/**
 * Docker/OCI export for every machine runc targets: a policy covering aarch64, s390x, mips, … is written with
 * the `SCMP_ARCH_*` names of its ABIs, and the profile read back for each machine it stands for compiles to a
 * filter with the same verdicts as the policy's, on every ABI that machine runs (shown by the exact diff).
 */
import { describe, expect, it } from 'vitest';
import { diffPrograms } from '../src/analysis/diff.js';
import { compilePolicy } from '../src/compiler/index.js';
import { performanceCompileOptions } from '../src/compiler/performance.js';
import { DOCKER_DEFAULT_PROFILE_JSON, exportProfile, importProfile, ProfileError } from '../src/policy/oci/index.js';
import { TARGETS, type TargetArch } from '../src/policy/oci/vocabulary.js';
import type { Policy } from '../src/policy/types.js';
import type { LinuxArchName } from '../src/syscalls/arch.js';

/** The policy and the profile read back for `target` agree on every input of the ABIs both cover there. */
function expectSameVerdicts(policy: Policy, text: string, target: TargetArch): void {
  const back = importProfile(text, { target }).policy;
  const abis = back.arches.filter((a) => policy.arches.includes(a));
  expect(abis.length, target).toBeGreaterThan(0);
  const d = diffPrograms(compilePolicy(policy, performanceCompileOptions()).program, compilePolicy(back, performanceCompileOptions()).program, { abis });
  expect(d.exhaustive, target).toBe(true);
  expect(d.differences.map((x) => `${x.abi} ${x.syscalls.map((s) => s.name).join(',')}: ${x.actionA} vs ${x.actionB}`), target).toEqual([]);
}

describe('exportProfile on every machine runc targets', () => {
  it('docker-default resolved for each target round-trips to the same verdicts', () => {
    for (const target of Object.keys(TARGETS) as TargetArch[]) {
      const { policy } = importProfile(DOCKER_DEFAULT_PROFILE_JSON, { target });
      const out = exportProfile(policy);
      expect(out.profile.architectures, target).toEqual(policy.arches.map((a) => `SCMP_ARCH_${{ i386: 'X86' }[a as 'i386'] ?? a.toUpperCase()}`));
      expect(out.warnings.filter((w) => w.startsWith('runc would decide')), target).toEqual([]);
      expectSameVerdicts(policy, out.text, target);
    }
  });

  it('one profile for x86_64, aarch64 and arm stands for amd64 and arm64 machines', () => {
    const policy: Policy = {
      defaultAction: { kind: 'ERRNO', data: 1 }, badArchAction: { kind: 'KILL_THREAD' }, arches: ['x86_64', 'aarch64', 'arm'],
      rules: [
        { syscalls: ['read', 'write', 'openat', 'close', 'exit_group'], action: { kind: 'ALLOW' } },
        { syscalls: ['open', 'cacheflush'], action: { kind: 'ALLOW' } }, // not on aarch64
        { syscalls: ['ioctl'], action: { kind: 'ALLOW' }, conditions: [{ arg: 1, op: 'masked_eq', mask: 0xffff_0000_ffffn, value: 0x5401n }] },
        { syscalls: ['personality'], action: { kind: 'ALLOW' }, conditions: [{ arg: 0, op: 'eq', value: 8n, width: 32 }] },
      ],
    };
    const out = exportProfile(policy);
    expect(out.profile.architectures).toEqual(['SCMP_ARCH_X86_64', 'SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
    expect(out.profile.syscalls.find((e) => e.names.includes('personality'))?.args)
      .toEqual([{ index: 0, value: 0xffffffffn, valueTwo: 8n, op: 'SCMP_CMP_MASKED_EQ' }]);
    for (const target of ['amd64', 'arm64'] as const) expectSameVerdicts(policy, out.text, target);
  });

  it('big-endian s390x and mips64: 64-bit constants written whole, read back alike', () => {
    for (const arches of [['s390x'], ['mips64']] as LinuxArchName[][]) {
      const policy: Policy = {
        defaultAction: { kind: 'KILL_PROCESS' }, badArchAction: { kind: 'KILL_THREAD' }, arches,
        rules: [
          { syscalls: ['read', 'write'], action: { kind: 'ALLOW' } },
          { syscalls: ['lseek'], action: { kind: 'ERRNO', data: 22 }, conditions: [{ arg: 1, op: 'gt', value: 0x1_0000_0000n }] },
        ],
      };
      const out = exportProfile(policy);
      expect(out.profile.syscalls.find((e) => e.names.includes('lseek'))?.args).toEqual([{ index: 1, value: 0x1_0000_0000n, op: 'SCMP_CMP_GT' }]);
      expect(out.warnings).toEqual([]);
      expectSameVerdicts(policy, out.text, arches[0] === 's390x' ? 's390x' : 'mips64');
      // On the machine's 32-bit ABI libseccomp compares the low half only: said, not hidden.
      const withCompat = exportProfile({ ...policy, arches: [...arches, arches[0] === 's390x' ? 's390' : 'mips'] });
      expect(withCompat.warnings).toEqual([expect.stringMatching(/^runc would decide some calls differently from the policy: (s390|mips) lseek \(on 32-bit ABIs/)]);
    }
  });

  it('refuses in one line what no machine runs as the policy says', () => {
    const base: Policy = { defaultAction: { kind: 'ALLOW' }, arches: ['s390'], rules: [] };
    const refuse = (p: Policy) => {
      try {
        exportProfile(p);
      } catch (err) {
        expect(err).toBeInstanceOf(ProfileError);
        return (err as Error).message;
      }
      throw new Error('exported');
    };
    expect(refuse(base)).toBe("arches: runc always includes the machine's native ABI: a profile covering s390 needs s390x too");
    expect(refuse({ ...base, arches: ['m68k'] })).toMatch(/^arches: no machine runc targets runs m68k \(runc's targets: 386, amd64, arm64, /);
    expect(refuse({ ...base, defaultAction: { kind: 'ERRNO', data: 1 }, arches: ['aarch64'], rules: [{ syscalls: ['read'], action: { kind: 'ALLOW' }, conditions: [{ arg: 0, op: 'lt', value: 5n, width: 32 }] }] }))
      .toBe("rules[0]: a 32-bit 'lt' test of argument 0 on aarch64 has no OCI form (OCI compares 64 bits)");
  });
});
