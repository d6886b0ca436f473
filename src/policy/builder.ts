/**
 * A typed, immutable builder for policies:
 *
 * ```ts
 * const p = policy('x86_64')
 *   .defaultAction('ERRNO(EPERM)')
 *   .allow(['read', 'write', 'exit_group'])
 *   .errno('EAFNOSUPPORT', 'socket', arg32(0).gt(16))
 *   .kill('ptrace')
 *   .build();
 * ```
 * Every method returns a new builder; `build()` validates the result against the syscall tables.
 */
import { errorMessage } from '../util/error-message.js';
import type { Action } from '../syscalls/actions.js';
import type { LinuxArchName } from '../syscalls/arch.js';
import type { ArgIndex } from '../bpf/seccomp-data.js';
import { PolicyError } from './errors.js';
import { resolvePolicy } from './resolve.js';
import { errnoNumber, parseAction } from '../syscalls/index.js';
import type { ArgCondition, Policy, Rule, SyscallRef } from './types.js';

/** An action as an object or as text (`'ALLOW'`, `'ERRNO(EPERM)'`, `'TRAP(5)'`). */
export type ActionInput = Action | string;
/** One syscall or several. */
export type SyscallsInput = SyscallRef | readonly SyscallRef[];
type Value = bigint | number;

function toAction(a: ActionInput): Action {
  if (typeof a !== 'string') return a;
  try {
    return parseAction(a);
  } catch (err) {
    throw new PolicyError('', errorMessage(err));
  }
}

function toBig(v: Value): bigint {
  if (typeof v === 'bigint') return v;
  if (!Number.isSafeInteger(v)) throw new PolicyError('', `${v} is not an exact integer; pass a bigint`);
  return BigInt(v);
}

/** Conditions on one argument; obtained from {@link arg} (64-bit) or {@link arg32} (low 32 bits only). */
export interface ArgConditions {
  eq(value: Value): ArgCondition;
  ne(value: Value): ArgCondition;
  lt(value: Value): ArgCondition;
  le(value: Value): ArgCondition;
  gt(value: Value): ArgCondition;
  ge(value: Value): ArgCondition;
  /** `(arg & mask) == value`. */
  maskedEq(mask: Value, value: Value): ArgCondition;
}

function argConditions(index: number, width: 32 | 64): ArgConditions {
  if (!Number.isInteger(index) || index < 0 || index > 5) {
    throw new PolicyError('', `argument index must be 0..5, got ${index}`);
  }
  const argIndex = index as ArgIndex;
  const w = width === 32 ? { width: 32 as const } : {};
  const cmp = (op: 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge') => (value: Value): ArgCondition =>
    ({ arg: argIndex, op, value: toBig(value), ...w });
  return {
    eq: cmp('eq'), ne: cmp('ne'), lt: cmp('lt'), le: cmp('le'), gt: cmp('gt'), ge: cmp('ge'),
    maskedEq: (mask, value) => ({ arg: argIndex, op: 'masked_eq', mask: toBig(mask), value: toBig(value), ...w }),
  };
}

/** Conditions on argument `index` (0..5) compared as unsigned 64-bit values. */
export const arg = (index: number): ArgConditions => argConditions(index, 64);
/** Conditions on the low 32 bits of argument `index`; the upper half is ignored (for `int` arguments). */
export const arg32 = (index: number): ArgConditions => argConditions(index, 32);

interface State {
  readonly defaultAction: Action;
  readonly arches: readonly LinuxArchName[];
  readonly badArchAction?: Action;
  readonly enosysGuard?: boolean;
  readonly allowSocketcallHole?: boolean;
  readonly rules: readonly Rule[];
}

const list = (s: SyscallsInput): readonly SyscallRef[] =>
  (Array.isArray(s) ? s : [s]) as readonly SyscallRef[];

/** Builds a policy step by step; `policy(...)` starts one. */
export class PolicyBuilder {
  private constructor(private readonly state: State) {}

  /** @internal */
  static start(arches: readonly LinuxArchName[]): PolicyBuilder {
    return new PolicyBuilder({ defaultAction: { kind: 'KILL_PROCESS' }, arches, rules: [] });
  }

  /** Starts from an existing policy. */
  static from(p: Policy): PolicyBuilder {
    return new PolicyBuilder({ ...p, rules: [...p.rules] });
  }

  private with(change: Partial<State>): PolicyBuilder {
    return new PolicyBuilder({ ...this.state, ...change });
  }

  /** The verdict when no rule matches (KILL_PROCESS until set). */
  defaultAction(action: ActionInput): PolicyBuilder {
    return this.with({ defaultAction: toAction(action) });
  }

  /** The ABIs the filter covers. */
  arches(...arches: LinuxArchName[]): PolicyBuilder {
    return this.with({ arches });
  }

  /** The verdict for calls of any other ABI (KILL_PROCESS unless set). */
  badArchAction(action: ActionInput): PolicyBuilder {
    return this.with({ badArchAction: toAction(action) });
  }

  /** Calls above the highest known syscall number get ERRNO(ENOSYS) instead of the default. */
  enosysGuard(on = true): PolicyBuilder {
    return this.with({ enosysGuard: on });
  }

  /** Accept that on i386 `socketcall` bypasses argument rules on `socket` (see the docs). */
  allowSocketcallHole(on = true): PolicyBuilder {
    return this.with({ allowSocketcallHole: on });
  }

  /** Adds a rule: `action` for `syscalls` when all `conditions` hold. */
  rule(action: ActionInput, syscalls: SyscallsInput, ...conditions: ArgCondition[]): PolicyBuilder {
    const r: Rule = { syscalls: list(syscalls), action: toAction(action), ...(conditions.length > 0 && { conditions }) };
    return this.with({ rules: [...this.state.rules, r] });
  }

  allow(syscalls: SyscallsInput, ...conditions: ArgCondition[]): PolicyBuilder {
    return this.rule({ kind: 'ALLOW' }, syscalls, ...conditions);
  }

  log(syscalls: SyscallsInput, ...conditions: ArgCondition[]): PolicyBuilder {
    return this.rule({ kind: 'LOG' }, syscalls, ...conditions);
  }

  /** ERRNO with an errno name (`'EPERM'`) or number. */
  errno(errno: string | number, syscalls: SyscallsInput, ...conditions: ArgCondition[]): PolicyBuilder {
    const data = typeof errno === 'number' ? errno : errnoNumber(errno);
    if (data === undefined) throw new PolicyError('', `unknown errno ${JSON.stringify(errno)}`);
    return this.rule({ kind: 'ERRNO', data }, syscalls, ...conditions);
  }

  trap(syscalls: SyscallsInput, ...conditions: ArgCondition[]): PolicyBuilder {
    return this.rule({ kind: 'TRAP', data: 0 }, syscalls, ...conditions);
  }

  trace(data: number, syscalls: SyscallsInput, ...conditions: ArgCondition[]): PolicyBuilder {
    return this.rule({ kind: 'TRACE', data }, syscalls, ...conditions);
  }

  notify(syscalls: SyscallsInput, ...conditions: ArgCondition[]): PolicyBuilder {
    return this.rule({ kind: 'USER_NOTIF' }, syscalls, ...conditions);
  }

  killThread(syscalls: SyscallsInput, ...conditions: ArgCondition[]): PolicyBuilder {
    return this.rule({ kind: 'KILL_THREAD' }, syscalls, ...conditions);
  }

  /** KILL_PROCESS. */
  kill(syscalls: SyscallsInput, ...conditions: ArgCondition[]): PolicyBuilder {
    return this.rule({ kind: 'KILL_PROCESS' }, syscalls, ...conditions);
  }

  /** The policy, validated (throws `PolicyError`). */
  build(): Policy {
    const s = this.state;
    const p: Policy = {
      defaultAction: s.defaultAction,
      arches: [...s.arches],
      ...(s.badArchAction !== undefined && { badArchAction: s.badArchAction }),
      ...(s.enosysGuard !== undefined && { enosysGuard: s.enosysGuard }),
      ...(s.allowSocketcallHole !== undefined && { allowSocketcallHole: s.allowSocketcallHole }),
      rules: [...s.rules],
    };
    resolvePolicy(p);
    return p;
  }
}

/** Starts a policy for the given ABIs (default x86_64), with default action KILL_PROCESS until set. */
export function policy(...arches: LinuxArchName[]): PolicyBuilder {
  return PolicyBuilder.start(arches.length > 0 ? arches : ['x86_64']);
}
