/**
 * The reference evaluator: the meaning of a policy, written as plainly as possible. The compiler is tested
 * against it; it never looks at compiled code.
 */
import type { Action } from '../syscalls/actions.js';
import { compareVerdicts } from './precedence.js';
import {
  AUDIT_ARCH_X86_64, LINUX_ARCHES, SKIPPED_SYSCALL_NR, X32_SYSCALL_BIT, archesOfAuditArch, type LinuxArchName,
} from '../syscalls/arch.js';
import { resolvePolicy, type PolicyWarning, type ResolvedPolicy } from './resolve.js';
import type { ArgCondition, Policy } from './types.js';

export { compareVerdicts };

/** ERRNO value of the ENOSYS guard. */
export const ENOSYS = 38;

/**
 * A system call as a filter sees it. `arch` is the ABI name or any `AUDIT_ARCH_*` number; as in the kernel,
 * `x86_64` and `x32` both mean `AUDIT_ARCH_X86_64`, and the number decides: `nr >= 0x40000000` is an x32 call.
 * `args` are up to six unsigned 64-bit values (missing ones are 0).
 */
export interface PolicyCall {
  readonly arch: LinuxArchName | number;
  readonly nr: number;
  readonly args?: readonly bigint[];
}

const U32 = 0xffffffffn;

/** The ABI a call belongs to, or undefined for a foreign one. */
export function callAbi(arch: LinuxArchName | number, nr: number): LinuxArchName | undefined {
  const audit = typeof arch === 'number' ? arch >>> 0 : LINUX_ARCHES[arch].auditArch;
  if (audit === AUDIT_ARCH_X86_64) return nr >>> 0 >= X32_SYSCALL_BIT ? 'x32' : 'x86_64';
  return archesOfAuditArch(audit)[0];
}

/**
 * The argument value a condition sees: 64 bits, except on 32-bit ABIs (i386, arm, mips o32, …), where an
 * argument is a 32-bit register and only its low half exists (a filter compiled by seccomp-ts never reads the
 * upper half of such an argument).
 */
export function argumentValue(abi: LinuxArchName, raw: bigint | undefined): bigint {
  const v = BigInt.asUintN(64, raw ?? 0n);
  return LINUX_ARCHES[abi].wordSize === 32 ? v & U32 : v;
}

/** Whether one condition holds for a call's arguments. */
export function conditionHolds(cond: ArgCondition, abi: LinuxArchName, args: readonly bigint[]): boolean {
  let a = argumentValue(abi, args[cond.arg]);
  if (cond.width === 32) a &= U32;
  switch (cond.op) {
    case 'eq': return a === cond.value;
    case 'ne': return a !== cond.value;
    case 'lt': return a < cond.value;
    case 'le': return a <= cond.value;
    case 'gt': return a > cond.value;
    case 'ge': return a >= cond.value;
    case 'masked_eq': return (a & cond.mask) === cond.value;
  }
}

const cache = new WeakMap<Policy, ResolvedPolicy>();

function resolved(policy: Policy): ResolvedPolicy {
  let r = cache.get(policy);
  if (r === undefined) {
    r = resolvePolicy(policy);
    cache.set(policy, r);
  }
  return r;
}

/**
 * The verdict of a policy for a call: for a call of a covered ABI, the highest-precedence action (see {@link compareVerdicts}) among
 * the rules that name the syscall and whose conditions all hold; else ERRNO(ENOSYS) when the ENOSYS guard is on
 * and the number is above the highest the tables know; else the default action. A call of any other ABI gets
 * `badArchAction`, but for nr 0xffffffff on x86_64 when x32 is not covered, which gets the default action (as
 * libseccomp gives it). Throws `PolicyError` for an invalid policy.
 */
export function evaluatePolicy(policy: Policy, call: PolicyCall): Action {
  const r = resolved(policy);
  const nr = call.nr >>> 0;
  const abiName = callAbi(call.arch, nr);
  const abi = r.abis.find((a) => a.arch === abiName);
  if (abi === undefined) {
    // nr -1 on x86_64 without x32: the default action, as libseccomp gives it (no rule can name -1).
    if (abiName === 'x32' && nr === SKIPPED_SYSCALL_NR && r.abis.some((a) => a.arch === 'x86_64')) return r.defaultAction;
    return r.badArchAction;
  }
  const args = call.args ?? [];
  let verdict: Action | undefined;
  for (const rule of abi.rules.get(nr) ?? []) {
    if (!rule.conditions.every((c) => conditionHolds(c, abi.arch, args))) continue;
    if (verdict === undefined || compareVerdicts(rule.action, verdict) < 0) verdict = rule.action;
  }
  if (verdict !== undefined) return verdict;
  if (r.enosysGuard && nr > abi.maxKnownNr) return { kind: 'ERRNO', data: ENOSYS };
  return r.defaultAction;
}

/** Warnings the policy produces when resolved (names missing on some ABIs, the i386 socketcall hole). */
export function policyWarnings(policy: Policy): readonly PolicyWarning[] {
  return resolved(policy).warnings;
}
