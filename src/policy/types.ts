/**
 * The policy model: what a filter should decide, independent of how it is compiled.
 *
 * Semantics (implemented once, in the reference evaluator): for a call of a covered ABI, the verdict is the
 * highest-precedence action (kernel order) among the rules that name the call's syscall and whose conditions
 * all hold; when no rule matches, the default action. A call of an ABI the policy does not cover gets
 * `badArchAction`. The order of rules never matters.
 */
import type { Action } from '../syscalls/actions.js';
import type { LinuxArchName } from '../syscalls/arch.js';
import type { ArgIndex } from '../bpf/seccomp-data.js';

/** Comparison operators on unsigned argument values. */
export type CompareOp = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';

/**
 * One condition on one argument. Values are unsigned and compared as 64-bit, unless `width` is 32:
 * then only the low 32 bits of the argument and of the constants take part (the upper half is ignored,
 * as C libraries may leave junk there for `int` arguments). On i386 an argument is its low 32 bits
 * (zero-extended), whatever the register's upper half holds: see docs/policy.md.
 */
export type ArgCondition =
  | {
      readonly arg: ArgIndex;
      readonly op: CompareOp;
      readonly value: bigint;
      readonly width?: 32 | 64;
    }
  | {
      /** `(args[arg] & mask) == value`. */
      readonly arg: ArgIndex;
      readonly op: 'masked_eq';
      readonly mask: bigint;
      readonly value: bigint;
      readonly width?: 32 | 64;
    };

/**
 * A syscall named in a policy: by name (resolved on every covered ABI) or by number on one ABI
 * (x32 numbers with or without the 0x40000000 bit).
 */
export type SyscallRef = string | { readonly arch: LinuxArchName; readonly nr: number };

/** A policy rule: syscalls, an action and argument conditions that must all hold. */
export interface Rule {
  /** The syscalls this rule applies to. */
  readonly syscalls: readonly SyscallRef[];
  readonly action: Action;
  /** All must hold for the rule to match; none means the rule matches every call of its syscalls. */
  readonly conditions?: readonly ArgCondition[];
  /** Free text carried through import/export. */
  readonly comment?: string;
}

/** A syscall policy: the default action, the ABIs it covers and its rules. */
export interface Policy {
  /** Verdict when no rule matches. */
  readonly defaultAction: Action;
  /** ABIs the filter recognises. */
  readonly arches: readonly LinuxArchName[];
  /** Verdict for a call from any ABI not in `arches` (fail closed: KILL_PROCESS by default). */
  readonly badArchAction?: Action;
  readonly rules: readonly Rule[];
  /**
   * When set, calls numbered above the highest syscall the policy's tables know return ERRNO(ENOSYS)
   * instead of the default, so C libraries fall back from syscalls newer than the policy.
   */
  readonly enosysGuard?: boolean;
  /**
   * On i386, `socketcall` carries socket arguments in user memory no filter can read. A policy that restricts
   * `socket` by arguments on i386 denies `socketcall` unless this is set.
   */
  readonly allowSocketcallHole?: boolean;
}
