/**
 * One policy, every ABI: a policy whose rules name syscalls (random actions and argument conditions) compiled
 * for each ABI alone, and for all of them at once, gives every ABI's emulator the same verdict for the same
 * syscall name and arguments. 64-bit ABIs agree on any 64-bit arguments; 32-bit ABIs (which compare only the
 * low half, as libseccomp does) agree with one another on any arguments, and with the 64-bit ABIs on arguments
 * whose high halves are zero when every constant of the policy fits 32 bits.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compilePolicy } from '../src/compiler/index.js';
import { performanceCompileOptions } from '../src/compiler/performance.js';
import { seccompData } from '../src/emulator/data.js';
import { prepareFilter, type PreparedFilter } from '../src/emulator/executor.js';
import type { Policy } from '../src/policy/types.js';
import { LINUX_ARCHES, LINUX_ARCH_NAMES, type LinuxArchName } from '../src/syscalls/arch.js';
import { lookupSyscall } from '../src/syscalls/resolve.js';
import { argsArb, policyArb } from '../src/testing/arbitraries.js';
import { resolves } from './support/policies.js';

/** Names with the same meaning on every ABI that has them; no multiplexed socket or IPC calls. */
const NAMES = ['read', 'write', 'close', 'openat', 'ioctl', 'kill', 'getpid', 'futex', 'prctl', 'personality', 'lseek',
  'mprotect', 'dup3', 'pipe2', 'fcntl', 'ptrace', 'open', 'cacheflush'];
const LOW = 0xffffffffn;

const is32 = (abi: LinuxArchName): boolean => abi !== 'x32' && LINUX_ARCHES[abi].wordSize === 32;

function fitsLow(policy: Policy): boolean {
  return policy.rules.every((r) => (r.conditions ?? []).every((c) => c.value <= LOW && (c.op !== 'masked_eq' || c.mask <= LOW)));
}

/** The policy for one ABI: its rules with the names that ABI has (a policy may not name a call its ABIs lack). */
function onlyOn(policy: Policy, abi: LinuxArchName): Policy {
  const rules = policy.rules
    .map((r) => ({ ...r, syscalls: r.syscalls.filter((n) => typeof n === 'string' && lookupSyscall(abi, n)?.name === n) }))
    .filter((r) => r.syscalls.length > 0);
  return { ...policy, arches: [abi], rules };
}


const policies = policyArb({ syscalls: NAMES, arches: ['x86_64'], maxRules: 6 })
  .map((p): Policy => ({ ...p, arches: [...LINUX_ARCH_NAMES] }))
  .filter(resolves);

describe('an arch-independent policy on every ABI', () => {
  it('gives each ABI\'s emulator the same verdict for the same syscall name and arguments (property)', () => {
    fc.assert(fc.property(policies, fc.array(argsArb(), { minLength: 6, maxLength: 6 }), fc.boolean(), (policy, argVectors, optimized) => {
      const options = optimized ? performanceCompileOptions() : {};
      const all = prepareFilter(compilePolicy(policy, options).program);
      const alone = new Map<LinuxArchName, PreparedFilter>();
      for (const abi of LINUX_ARCH_NAMES) alone.set(abi, prepareFilter(compilePolicy(onlyOn(policy, abi), options).program));
      const low = fitsLow(policy);
      const vectors = [...argVectors, ...argVectors.map((v) => v.map((a) => a & LOW))];
      for (const name of NAMES) {
        const abis = LINUX_ARCH_NAMES.filter((a) => lookupSyscall(a, name)?.name === name);
        const verdict = (abi: LinuxArchName, args: readonly bigint[], filter: PreparedFilter): number =>
          filter.runWords(seccompData({ arch: abi, nr: lookupSyscall(abi, name)!.nr, args }).words) >>> 0;
        for (const args of vectors) {
          const highZero = args.every((a) => a <= LOW);
          let wide: number | undefined;
          let narrow: number | undefined;
          for (const abi of abis) {
            const v = verdict(abi, args, alone.get(abi)!);
            const where = `${name} on ${abi} (args ${args.map((a) => a.toString(16)).join(',')})`;
            expect(verdict(abi, args, all), `${where}: compiled with every ABI vs alone`).toBe(v);
            if (is32(abi)) {
              narrow ??= v;
              expect(v, `${where}: 32-bit ABIs agree`).toBe(narrow);
            } else {
              wide ??= v;
              expect(v, `${where}: 64-bit ABIs agree`).toBe(wide);
            }
          }
          if (low && highZero && wide !== undefined && narrow !== undefined) {
            expect(narrow, `${name}: 32-bit and 64-bit ABIs agree on 32-bit arguments`).toBe(wide);
          }
        }
      }
    }), { numRuns: 50 });
  });
});
