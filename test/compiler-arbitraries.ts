/**
 * fast-check arbitraries for the compiler tests: random policies over a small pool of syscalls (so that many
 * rules name the same syscall), every operator and action, 64-bit and 32-bit constants, all ABIs; and random
 * calls biased toward the policy's own numbers and constants (c - 1, c, c + 1, junk in the upper half).
 */
import fc from 'fast-check';
import type { Action } from '../src/syscalls/actions.js';
import { ARCH_NAMES, AUDIT_ARCH_I386, AUDIT_ARCH_X86_64, X32_SYSCALL_BIT, type ArchName } from '../src/syscalls/arch.js';
import { lookupSyscall, maxSyscallNr } from '../src/syscalls/index.js';
import type { ArgIndex } from '../src/bpf/seccomp-data.js';
import type { ArgCondition, Policy, Rule, SyscallRef } from '../src/policy/types.js';
import { resolvePolicy } from '../src/policy/resolve.js';

export const SYSCALL_POOL = ['read', 'write', 'close', 'socket', 'ioctl', 'getpid', 'kill', 'openat', 'iopl', 'socketcall'];

const U64 = (1n << 64n) - 1n;
const INTERESTING_64: readonly bigint[] = [
  0n, 1n, 2n, 16n, 17n, 0x7fffffffn, 0x80000000n, 0xfffffffen, 0xffffffffn, 0x100000000n, 0x100000001n,
  0x1fffffffen, 0x7fffffffffffffffn, 0x8000000000000000n, U64 - 1n, U64,
];

export const actionArb: fc.Arbitrary<Action> = fc.oneof(
  fc.constantFrom<Action>(
    { kind: 'KILL_PROCESS' }, { kind: 'KILL_THREAD' }, { kind: 'USER_NOTIF' }, { kind: 'LOG' }, { kind: 'ALLOW' },
  ),
  fc.record({ kind: fc.constantFrom('TRAP' as const, 'ERRNO' as const, 'TRACE' as const), data: fc.integer({ min: 0, max: 40 }) }),
  fc.constant<Action>({ kind: 'ALLOW' }),
);

const value64 = fc.oneof(fc.constantFrom(...INTERESTING_64), fc.bigInt({ min: 0n, max: U64 }), fc.bigInt({ min: 0n, max: 0xffffffffn }));
const value32 = fc.oneof(fc.constantFrom(0n, 1n, 2n, 16n, 0x7fffffffn, 0x80000000n, 0xffffffffn), fc.bigInt({ min: 0n, max: 0xffffffffn }));

const conditionArb: fc.Arbitrary<ArgCondition> = fc
  .record({
    arg: fc.integer({ min: 0, max: 2 }),
    op: fc.constantFrom('eq', 'ne', 'lt', 'le', 'gt', 'ge', 'masked_eq'),
    width: fc.constantFrom<32 | 64 | undefined>(32, 64, undefined),
    a: value64,
    b: value64,
  })
  .map(({ arg, op, width, a, b }) => {
    const limit = width === 32 ? 0xffffffffn : U64;
    const value = a & limit;
    const base = { arg: arg as ArgIndex, ...(width !== undefined && { width }) };
    if (op === 'masked_eq') return { ...base, op, mask: b & limit, value: value & b };
    return { ...base, op, value };
  });

const refArb: fc.Arbitrary<SyscallRef> = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...SYSCALL_POOL) },
  {
    weight: 1,
    arbitrary: fc.record({ arch: fc.constantFrom(...ARCH_NAMES), nr: fc.constantFrom(0, 1, 3, 500, 1000, 0x3fffffff) }),
  },
);

const ruleArb: fc.Arbitrary<Rule> = fc.record({
  syscalls: fc.array(refArb, { minLength: 1, maxLength: 3 }),
  action: actionArb,
  conditions: fc.array(conditionArb, { maxLength: 3 }),
});

export const policyArb: fc.Arbitrary<Policy> = fc
  .record({
    defaultAction: actionArb,
    arches: fc.subarray([...ARCH_NAMES], { minLength: 1 }),
    badArchAction: fc.option(actionArb, { nil: undefined }),
    enosysGuard: fc.boolean(),
    allowSocketcallHole: fc.boolean(),
    rules: fc.array(ruleArb, { maxLength: 14 }),
  })
  .map((p) => {
    const { badArchAction, ...rest } = p;
    return badArchAction === undefined ? rest : { ...rest, badArchAction };
  })
  // Names that exist on none of the chosen ABIs are (rightly) errors; keep only valid policies.
  .filter((p) => {
    try {
      resolvePolicy(p);
      return true;
    } catch {
      return false;
    }
  });

/** A call as both the evaluator and the emulator take it; `auditArch` set for a foreign ABI. */
export interface TestCall {
  readonly arch: ArchName;
  readonly auditArch?: number;
  readonly nr: number;
  readonly args: readonly bigint[];
}

/** Syscall numbers and argument constants the policy mentions, for biasing calls. */
export function policyConstants(p: Policy): { nrs: Map<ArchName, number[]>; values: bigint[] } {
  const nrs = new Map<ArchName, number[]>(ARCH_NAMES.map((a) => [a, []]));
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
