/**
 * Docker's default profile rendered for each machine Debian's libseccomp 2.5.4 supports, built as runc builds it
 * (libseccomp with the machine's ABIs) and by seccomp-ts (`--target`): equal verdicts from the evaluator and both
 * compiled filters on every syscall number of every ABI in the filter at zero arguments and on 20,000 biased
 * argument vectors per machine (64-bit values in both halves), with `seccomp_data` in the machine's byte order.
 * Names libseccomp 2.5.4 cannot resolve on an ABI (it is older than the tables) are left out on both sides.
 * The instruction counts of both filters are kept as golden files under test/golden/arch/.
 */
import { describe, expect } from 'vitest';
import { compilePolicy } from '../src/compiler/index.js';
import { performanceCompileOptions } from '../src/compiler/performance.js';
import { prepareFilter } from '../src/emulator/executor.js';
import { evaluatePolicy } from '../src/policy/evaluate.js';
import { DOCKER_DEFAULT_CAPABILITIES, DOCKER_DEFAULT_PROFILE_JSON, importProfile } from '../src/policy/oci/index.js';
import { TARGETS, type TargetArch } from '../src/policy/oci/vocabulary.js';
import { encodeAction } from '../src/syscalls/actions.js';
import type { LinuxArchName } from '../src/syscalls/arch.js';
import { lookupSyscall } from '../src/syscalls/index.js';
import {
  biasedCalls, buildWithLibseccomp, compareVerdicts, describeCall, everySyscallNumber, libseccompMissing, policyFocus,
  type RawCall,
} from './support/libseccomp.js';
import { goldenDir } from './support/golden.js';
import { itWhen } from './support/require.js';

const { expectGolden } = goldenDir('arch');
/** Every Docker machine whose ABIs Debian's libseccomp 2.5.4 knows, but x86 (docker-default-differential). */
const MACHINES: readonly TargetArch[] = ['arm64', 'arm', 'ppc64le', 'ppc64', 's390x', 'riscv64', 'mips64', 'mips64le', 'mips', 'mipsle'];
const RANDOM_VECTORS = 20_000;

function withoutNames(text: string, names: readonly string[]): string {
  const doc = JSON.parse(text) as { syscalls: Array<{ names: string[] }> };
  for (const s of doc.syscalls) s.names = s.names.filter((n) => !names.includes(n));
  doc.syscalls = doc.syscalls.filter((s) => s.names.length > 0);
  return JSON.stringify(doc);
}

describe('docker-default on every machine, against runc + libseccomp', () => {
  const missing = libseccompMissing();
  for (const target of MACHINES) {
    itWhen(missing, `${target}: zero disagreements on every syscall number and ${RANDOM_VECTORS} biased vectors`, () => {
      const caps = DOCKER_DEFAULT_CAPABILITIES;
      const first = buildWithLibseccomp({ profileText: DOCKER_DEFAULT_PROFILE_JSON, caps, target });
      if (!first.ok) throw new Error(first.error);
      // Names libseccomp cannot number on an ABI whose table has them (not those the ABI lacks).
      const newer = Object.entries(first.unresolved).flatMap(([abi, names]) =>
        (names ?? []).filter((n) => lookupSyscall(abi as LinuxArchName, n)?.name === n));
      const gaps = [...new Set([...first.unknown, ...newer])];
      const text = withoutNames(DOCKER_DEFAULT_PROFILE_JSON, gaps);
      const built = gaps.length === 0 ? first : buildWithLibseccomp({ profileText: text, caps, target });
      if (!built.ok) throw new Error(built.error);
      const { policy } = importProfile(text, { target });
      expect(policy.arches[0]).toBe(TARGETS[target].native);
      const { focus, constants } = policyFocus(policy);
      const calls: RawCall[] = [
        ...everySyscallNumber(policy.arches),
        ...biasedCalls(RANDOM_VECTORS, 0xa4c4, focus, constants, policy.arches),
      ];
      const evaluate = (c: RawCall): number => encodeAction(evaluatePolicy(policy, { arch: c.arch, nr: c.nr, args: c.args }));
      const show = (name: string, ds: ReturnType<typeof compareVerdicts>): string[] =>
        ds.slice(0, 5).map((d) => `${name}: ${describeCall(d.call)}: ours 0x${d.ours.toString(16)}, libseccomp 0x${d.theirs.toString(16)}`);
      expect(show('evaluator', compareVerdicts(built.program, evaluate, calls))).toEqual([]);
      const sizes: string[] = [`libseccomp ${built.program.length}`];
      for (const [name, options] of [['linear', {}], ['optimized', performanceCompileOptions()]] as const) {
        const program = compilePolicy(policy, options).program;
        sizes.push(`${name} ${program.length}`);
        const filter = prepareFilter(program);
        expect(show(name, compareVerdicts(built.program, (_c, w) => filter.runWords(w), calls))).toEqual([]);
      }
      expectGolden(`docker-default-${target}.txt`, [
        `target ${target}: ABIs ${policy.arches.join(', ')}`,
        `left out (libseccomp 2.5.4 cannot number them where the tables do): ${gaps.sort().join(', ') || 'none'}`,
        `instructions: ${sizes.join(', ')}`,
        '',
      ].join('\n'));
      console.info(`[arch differential] ${target}: ${calls.length} calls, ${sizes.join(', ')}: 0 disagreements`);
    });
  }
});
