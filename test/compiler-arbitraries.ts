/**
 * fast-check arbitraries for the compiler tests: random policies over a small pool of syscalls (so that many
 * rules name the same syscall), every operator and action, 64-bit and 32-bit constants, all ABIs; and random
 * calls biased toward the policy's own numbers and constants (c - 1, c, c + 1, junk in the upper half).
 */
import fc from 'fast-check';
import { ARCH_NAMES, AUDIT_ARCH_I386, AUDIT_ARCH_X86_64, X32_SYSCALL_BIT, type ArchName, type LinuxArchName } from '../src/syscalls/arch.js';
import { lookupSyscall, maxSyscallNr } from '../src/syscalls/index.js';
import type { Policy } from '../src/policy/types.js';
import { policyArb as shippedPolicyArb } from '../src/testing/arbitraries.js';
import { resolves } from './support/policies.js';

export const SYSCALL_POOL = ['read', 'write', 'close', 'socket', 'ioctl', 'getpid', 'kill', 'openat', 'iopl', 'socketcall'];

const U64 = (1n << 64n) - 1n;

/**
 * The shipped policy arbitrary over a small pool (so rules collide), with rules naming raw numbers and the
 * `enosysGuard`/`allowSocketcallHole` flags; names that exist on none of the chosen ABIs are (rightly) errors,
 * so only valid policies are kept.
 */
export const policyArb: fc.Arbitrary<Policy> = shippedPolicyArb({ syscalls: SYSCALL_POOL, numbers: true, flags: true, maxRules: 14 })
  .filter(resolves);

/** A call as both the evaluator and the emulator take it; `auditArch` set for a foreign ABI. */
export interface TestCall {
  readonly arch: ArchName;
  readonly auditArch?: number;
  readonly nr: number;
  readonly args: readonly bigint[];
}

/** Syscall numbers and argument constants the policy mentions, for biasing calls. */
export function policyConstants(p: Policy): { nrs: Map<LinuxArchName, number[]>; values: bigint[] } {
  const nrs = new Map<LinuxArchName, number[]>(ARCH_NAMES.map((a) => [a, []]));
  const values = new Set<bigint>([0n, 1n, 0xffffffffn, 0x100000000n]);
  for (const r of p.rules) {
    for (const s of r.syscalls) {
      if (typeof s === 'string') {
        for (const a of ARCH_NAMES) {
          const e = lookupSyscall(a, s);
          if (e) nrs.get(a)?.push(e.nr);
        }
      } else {
        nrs.get(s.arch)?.push(s.arch === 'x32' ? (s.nr | X32_SYSCALL_BIT) >>> 0 : s.nr);
      }
    }
    for (const c of r.conditions ?? []) {
      for (const v of [c.value, ...(c.op === 'masked_eq' ? [c.mask, c.mask ^ U64] : [])]) {
        for (const d of [v - 1n, v, v + 1n, v | 0xdead00000000n, v & 0xffffffffn]) {
          values.add(BigInt.asUintN(64, d));
        }
      }
    }
  }
  return { nrs, values: [...values] };
}

export function callArb(p: Policy): fc.Arbitrary<TestCall> {
  const { nrs, values } = policyConstants(p);
  const argArb = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...values) },
    { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: U64 }) },
  );
  return fc
    .record({
      arch: fc.constantFrom(...ARCH_NAMES),
      foreign: fc.integer({ min: 0, max: 30 }),
      pick: fc.nat(),
      delta: fc.constantFrom(-1, 0, 0, 0, 1),
      special: fc.integer({ min: 0, max: 9 }),
      args: fc.array(argArb, { minLength: 6, maxLength: 6 }),
    })
    .map(({ arch, foreign, pick, delta, special, args }) => {
      const base = arch === 'x32' ? X32_SYSCALL_BIT : 0;
      const known = nrs.get(arch) ?? [];
      let nr: number;
      if (special === 0) nr = maxSyscallNr(arch) + 1;
      else if (special === 1) nr = [0x3fffffff, 0x40000000, 0xffffffff, 0x80000000][pick % 4] as number;
      else if (special === 2 || known.length === 0) nr = base + (pick % 600);
      else nr = ((known[pick % known.length] as number) + delta) >>> 0;
      const call: TestCall = { arch, nr: nr >>> 0, args };
      if (foreign === 0) return { ...call, auditArch: 0xc00000b7 };
      return call;
    });
}

export const auditOf = (c: TestCall): number => c.auditArch ?? (c.arch === 'i386' ? AUDIT_ARCH_I386 : AUDIT_ARCH_X86_64);
