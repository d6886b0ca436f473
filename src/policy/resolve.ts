/**
 * Validation and resolution of a policy: every syscall name resolved on every ABI the policy covers,
 * every value checked, the implicit i386 `socketcall` rule added. The reference evaluator and the compiler
 * both work from this resolved form, so they cannot disagree about what a policy names.
 */
import { errorMessage } from '../util/error-message.js';
import { ACTION_PRECEDENCE, compareActions, hasData, type Action } from '../syscalls/actions.js';
import { LINUX_ARCHES, LINUX_ARCH_NAMES, X32_SYSCALL_BIT, isLinuxArchName, type LinuxArchName } from '../syscalls/arch.js';
import { UNFILTERED_X86_64_SYSCALLS } from '../syscalls/unfiltered.js';
import { at, pathOf, PolicyError, type PathRef } from './errors.js';
import { compareVerdicts } from './precedence.js';
import { formatAction, lookupSyscall, maxSyscallNr, quoteName, resolveSyscall } from '../syscalls/index.js';
import type { ArgCondition, Policy, Rule, SyscallRef } from './types.js';

const U64_MAX = (1n << 64n) - 1n;
const U32_MAX = 0xffffffffn;

/** A rule as it applies to one syscall number on one ABI. */
export interface ResolvedRule {
  readonly action: Action;
  readonly conditions: readonly ArgCondition[];
  /** Index of the rule in `policy.rules`, or -1 for the implicit `socketcall` rule. */
  readonly source: number;
}

/** The rules of one covered ABI, by syscall number (as `seccomp_data.nr` holds it). */
export interface ResolvedAbi {
  readonly arch: LinuxArchName;
  readonly rules: ReadonlyMap<number, readonly ResolvedRule[]>;
  /** Highest syscall number the tables know for this ABI (x32: including the x32 bit). */
  readonly maxKnownNr: number;
}

/** A syscall name that exists on some of the ABIs a policy covers but not on others. */
export interface PartialSyscall {
  readonly name: string;
  /** The covered ABIs whose tables lack it. */
  readonly missingOn: readonly LinuxArchName[];
}

/** Something a policy does that its author should know about. */
export type PolicyWarning =
  | {
      /** Names that exist on some covered ABIs only: they apply where they exist (normal in a Docker/OCI profile). */
      readonly code: 'partial-syscalls';
      readonly message: string;
      readonly syscalls: readonly PartialSyscall[];
    }
  | {
      /**
       * `socketcall` (i386) bypasses a restriction of `socket` by arguments (`socketcall-hole`), or is denied to
       * close that hole (`socketcall-denied`); a numeric reference to an ABI the policy does not cover
       * (`uncovered-abi`, normal in a Docker/OCI profile narrowed to fewer ABIs); a rule on a call the kernel never
       * filters (`unfiltered`).
       */
      readonly code: 'socketcall-hole' | 'socketcall-denied' | 'uncovered-abi' | 'unfiltered';
      readonly message: string;
    };

/**
 * The one-line text of a `partial-syscalls` warning. With `limit`, at most that many names are quoted, followed
 * by how many more there are (the names grouped by the ABIs lacking them otherwise).
 */
export function partialSyscallsMessage(syscalls: readonly PartialSyscall[], limit?: number): string {
  const n = syscalls.length;
  const head = `${n} syscall${n === 1 ? ' exists' : 's exist'} on only some of the covered ABIs and ` +
    `appl${n === 1 ? 'ies' : 'y'} where ${n === 1 ? 'it exists' : 'they exist'}`;
  if (limit !== undefined && n > limit) {
    return `${head}: ${syscalls.slice(0, limit).map((s) => s.name).join(', ')} and ${n - limit} more`;
  }
  const groups = new Map<string, string[]>();
  for (const s of syscalls) {
    const key = s.missingOn.join(', ');
    groups.set(key, [...(groups.get(key) ?? []), s.name]);
  }
  return `${head}: ${[...groups].map(([abis, names]) => `not on ${abis}: ${names.join(', ')}`).join('; ')}`;
}

/** A checked policy with syscall names resolved per ABI and rules grouped by number. */
export interface ResolvedPolicy {
  readonly defaultAction: Action;
  readonly badArchAction: Action;
  readonly enosysGuard: boolean;
  /** Covered ABIs, in the policy's order. */
  readonly abis: readonly ResolvedAbi[];
  /** Things the policy does that its author should know about (names missing on some ABIs, the socketcall hole). */
  readonly warnings: readonly PolicyWarning[];
}

export const DEFAULT_BAD_ARCH_ACTION: Action = { kind: 'KILL_PROCESS' };


const OPS = new Set(['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'masked_eq']);

function checkAction(action: unknown, where: PathRef): Action {
  if (typeof action !== 'object' || action === null || !('kind' in action)) {
    throw new PolicyError(pathOf(where), 'not an action');
  }
  const a = action as { kind: unknown; data?: unknown };
  if (typeof a.kind !== 'string' || !(ACTION_PRECEDENCE as readonly string[]).includes(a.kind)) {
    throw new PolicyError(pathOf(where), `unknown action kind ${JSON.stringify(a.kind)} (one of ${ACTION_PRECEDENCE.join(', ')})`);
  }
  if (hasData(a.kind as Action['kind'])) {
    if (typeof a.data !== 'number' || !Number.isInteger(a.data) || a.data < 0 || a.data > 0xffff) {
      throw new PolicyError(pathOf(where), `${a.kind} needs data between 0 and 65535, got ${String(a.data)}`);
    }
  } else if (a.data !== undefined) {
    throw new PolicyError(pathOf(where), `${a.kind} carries no data`);
  }
  return action as Action;
}

function checkValue(value: unknown, width: 32 | 64, where: PathRef, key: string): void {
  if (typeof value !== 'bigint') throw new PolicyError(at(pathOf(where), key), `must be a bigint, got ${typeof value}`);
  if (value < 0n) throw new PolicyError(at(pathOf(where), key), `values are unsigned: ${value} is negative`);
  const max = width === 32 ? U32_MAX : U64_MAX;
  if (value > max) {
    throw new PolicyError(at(pathOf(where), key), `0x${value.toString(16)} does not fit in ${width} bits` +
      (width === 32 ? ' (the condition has width 32)' : ''));
  }
}

/** Checks one condition; throws a `PolicyError` naming the field. */
export function checkCondition(cond: ArgCondition, where: PathRef): void {
  if (typeof cond !== 'object' || cond === null) throw new PolicyError(pathOf(where), 'not a condition');
  if (!Number.isInteger(cond.arg) || cond.arg < 0 || cond.arg > 5) {
    throw new PolicyError(at(pathOf(where), 'arg'), `argument index must be 0..5, got ${String(cond.arg)}`);
  }
  if (!OPS.has(cond.op)) {
    throw new PolicyError(at(pathOf(where), 'op'), `unknown operator ${JSON.stringify(cond.op)} (one of ${[...OPS].join(', ')})`);
  }
  const width = cond.width ?? 64;
  if (width !== 32 && width !== 64) throw new PolicyError(at(pathOf(where), 'width'), `width must be 32 or 64, got ${String(width)}`);
  checkValue(cond.value, width, where, 'value');
  if (cond.op === 'masked_eq') {
    checkValue(cond.mask, width, where, 'mask');
    if ((cond.value & ~cond.mask) !== 0n) {
      throw new PolicyError(at(pathOf(where), 'value'),
        `0x${cond.value.toString(16)} has bits outside the mask 0x${cond.mask.toString(16)}, so the condition could never hold`);
    }
  } else if ('mask' in cond && (cond as { mask?: unknown }).mask !== undefined) {
    throw new PolicyError(at(pathOf(where), 'mask'), `only masked_eq takes a mask, not ${cond.op}`);
  }
}

function refLabel(ref: SyscallRef): string {
  return typeof ref === 'string' ? ref : `${ref.arch}:${ref.nr}`;
}

/** Normalises an x32 number to carry the x32 bit (numbers without it never reach the x32 section). */
function numericNr(arch: LinuxArchName, nr: number): number {
  return arch === 'x32' ? (nr | X32_SYSCALL_BIT) >>> 0 : nr >>> 0;
}

/**
 * The verdict of the implicit i386 `socketcall` rule: the strongest verdict the restricting socket rules or the
 * default give, but at least ERRNO(EPERM) (a socketcall must never get through where socket would be refused).
 */
function socketRestrictionAction(socketActions: readonly Action[], defaultAction: Action): Action {
  let best = defaultAction;
  for (const a of socketActions) if (compareVerdicts(a, best) < 0) best = a;
  const floor: Action = { kind: 'ERRNO', data: 1 };
  return compareActions(best, floor) <= 0 ? best : floor;
}

/**
 * The weakest verdict a call can get from its rules: the strongest unconditional rule caps it; without one, a
 * conditional rule or the default (each may be all that matches).
 */
function weakestVerdict(rules: readonly ResolvedRule[], defaultAction: Action): Action {
  const unconditional = rules.filter((r) => r.conditions.length === 0).map((r) => r.action);
  const candidates = unconditional.length > 0
    ? [unconditional.reduce((a, b) => (compareVerdicts(b, a) < 0 ? b : a))]
    : [defaultAction, ...rules.map((r) => r.action)];
  return candidates.reduce((a, b) => (compareVerdicts(b, a) > 0 ? b : a));
}

/** The ABIs a policy covers, checked: known names, none twice, at least one. */
function checkArches(policy: Policy): LinuxArchName[] {
  if (!Array.isArray(policy.arches) || policy.arches.length === 0) {
    throw new PolicyError('arches', 'a policy must cover at least one ABI (x86_64, i386, x32)');
  }
  const arches: LinuxArchName[] = [];
  policy.arches.forEach((a, i) => {
    if (typeof a !== 'string' || !isLinuxArchName(a)) throw new PolicyError(at('arches', i), `unknown ABI ${JSON.stringify(a)} (one of ${LINUX_ARCH_NAMES.join(', ')})`);
    if (arches.includes(a)) throw new PolicyError(at('arches', i), `${a} is listed twice`);
    arches.push(a);
  });
  return arches;
}

/** A policy's rules grouped per ABI and syscall number as resolution fills them in. */
interface RuleTable {
  readonly arches: readonly LinuxArchName[];
  readonly perAbi: Map<LinuxArchName, Map<number, ResolvedRule[]>>;
  /** Per ABI with `socketcall`: actions of its socket rules that have conditions (they restrict socket by its arguments). */
  readonly socketRestrictions: Map<LinuxArchName, Action[]>;
  add(arch: LinuxArchName, nr: number, rule: ResolvedRule): void;
}

function ruleTable(arches: readonly LinuxArchName[]): RuleTable {
  const socketRestrictions = new Map<LinuxArchName, Action[]>();
  const directSocket = new Map<LinuxArchName, number>();
  for (const arch of arches) {
    const nr = LINUX_ARCHES[arch].socketcall !== undefined ? lookupSyscall(arch, 'socket')?.nr : undefined;
    if (nr !== undefined) directSocket.set(arch, nr);
  }
  const perAbi = new Map<LinuxArchName, Map<number, ResolvedRule[]>>(arches.map((a) => [a, new Map()]));
  const add = (arch: LinuxArchName, nr: number, rule: ResolvedRule): void => {
    const m = perAbi.get(arch);
    if (m === undefined) return;
    const list = m.get(nr);
    if (list === undefined) m.set(nr, [rule]);
    else if (list[list.length - 1] === rule) return; // a rule naming one syscall twice applies once
    else list.push(rule);
    if (nr === directSocket.get(arch) && rule.conditions.length > 0) {
      socketRestrictions.set(arch, [...(socketRestrictions.get(arch) ?? []), rule.action]);
    }
  };
  return { arches, perAbi, socketRestrictions, add };
}

/**
 * Checks every rule and enters it under each syscall it names on each covered ABI; returns the warnings about
 * numbers of uncovered ABIs and names that exist on some covered ABIs only.
 */
function addRules(policy: Policy, table: RuleTable): PolicyWarning[] {
  const { arches, add } = table;
  /** Numeric references to ABIs the policy does not cover, by path. */
  const uncovered: string[] = [];
  /** Names that exist on some covered ABIs only, with the ABIs that lack them. */
  const partial = new Map<string, PartialSyscall>();
  policy.rules.forEach((rule: Rule, ri) => {
    const rpath = at('rules', ri);
    if (typeof rule !== 'object' || rule === null) throw new PolicyError(rpath, 'a rule must be an object');
    const action = checkAction(rule.action, () => at(rpath, 'action'));
    const conditions = rule.conditions ?? [];
    if (!Array.isArray(conditions)) throw new PolicyError(at(rpath, 'conditions'), 'must be a list');
    conditions.forEach((c, ci) => checkCondition(c, () => at(at(rpath, 'conditions'), ci)));
    if (!Array.isArray(rule.syscalls) || rule.syscalls.length === 0) {
      throw new PolicyError(at(rpath, 'syscalls'), 'a rule must name at least one syscall');
    }
    const resolved: ResolvedRule = { action, conditions, source: ri };
    rule.syscalls.forEach((ref, si) => {
      if (typeof ref === 'string') {
        let found = 0;
        for (const arch of arches) {
          const nr = ref === '' ? undefined : lookupSyscall(arch, ref)?.nr;
          if (nr === undefined) continue;
          found++;
          add(arch, nr, resolved);
        }
        if (found > 0 && found === arches.length) return;
        const spath = at(at(rpath, 'syscalls'), si);
        if (ref === '') throw new PolicyError(spath, 'empty syscall name');
        if (found === 0) {
          const elsewhere = LINUX_ARCH_NAMES.filter((a) => !arches.includes(a) && lookupSyscall(a, ref) !== undefined);
          if (elsewhere.length > 0) {
            throw new PolicyError(spath, `syscall '${ref}' does not exist on ${arches.join(', ')} ` +
              `(the ABIs this policy covers); it exists on ${elsewhere.join(', ')}`);
          }
          try {
            resolveSyscall(arches[0] as LinuxArchName, ref);
          } catch (err) {
            throw new PolicyError(spath, errorMessage(err));
          }
          throw new PolicyError(spath, `unknown syscall ${quoteName(ref)}`);
        }
        if (!partial.has(ref)) partial.set(ref, { name: ref, missingOn: arches.filter((a) => lookupSyscall(a, ref) === undefined) });
        return;
      }
      const spath = at(at(rpath, 'syscalls'), si);
      if (typeof ref === 'object' && ref !== null) {
        if (typeof ref.arch !== 'string' || !isLinuxArchName(ref.arch)) {
          throw new PolicyError(at(spath, 'arch'), `unknown ABI ${JSON.stringify(ref.arch)} (one of ${LINUX_ARCH_NAMES.join(', ')})`);
        }
        if (!Number.isInteger(ref.nr) || ref.nr < 0 || ref.nr > 0xffffffff) {
          throw new PolicyError(at(spath, 'nr'), `a syscall number is an integer 0..0xffffffff, got ${String(ref.nr)}`);
        }
        if (!arches.includes(ref.arch)) {
          uncovered.push(`${spath} (${refLabel(ref)})`);
          return;
        }
        const nr = numericNr(ref.arch, ref.nr);
        if (ref.arch === 'x86_64' && nr >= X32_SYSCALL_BIT) {
          throw new PolicyError(at(spath, 'nr'), `x86_64 numbers are below 0x40000000 (numbers with the x32 bit are x32 calls)`);
        }
        add(ref.arch, nr, resolved);
      } else {
        throw new PolicyError(spath, 'a syscall is a name or {"arch", "nr"}');
      }
    });
  });

  const warnings: PolicyWarning[] = [];
  if (uncovered.length > 0) {
    const n = uncovered.length;
    warnings.push({ code: 'uncovered-abi', message: `${n === 1 ? '1 syscall number names an ABI' : `${n} syscall numbers name ABIs`} ` +
      `this policy does not cover and ${n === 1 ? 'is' : 'are'} ignored: ${uncovered.join(', ')}` });
  }
  if (partial.size > 0) {
    const syscalls = [...partial.values()];
    warnings.push({ code: 'partial-syscalls', message: partialSyscallsMessage(syscalls), syscalls });
  }
  return warnings;
}

/**
 * socket() restricted by its arguments on an ABI with socketcall(): deny socketcall with the restriction's
 * verdict (a rule added to the table), or, when the policy accepts the hole, warn where it lets calls through.
 */
function closeSocketcallHoles(policy: Policy, table: RuleTable, defaultAction: Action): PolicyWarning[] {
  const { perAbi, socketRestrictions, add } = table;
  const warnings: PolicyWarning[] = [];
  const holes: LinuxArchName[] = [];
  let holeVerdict = '';
  const denials = new Map<string, LinuxArchName[]>();
  for (const [arch, restrictions] of socketRestrictions) {
    const socketcall = LINUX_ARCHES[arch].socketcall?.nr;
    if (socketcall === undefined) continue;
    const refusal = socketRestrictionAction(restrictions, defaultAction);
    if (policy.allowSocketcallHole === true) {
      const weakest = weakestVerdict(perAbi.get(arch)?.get(socketcall) ?? [], defaultAction);
      if (compareVerdicts(weakest, refusal) > 0) holes.push(arch);
      if (compareVerdicts(weakest, refusal) > 0 && holes.length === 1) holeVerdict = formatAction(weakest);
    } else {
      add(arch, socketcall, { action: refusal, conditions: [], source: -1 });
      const text = formatAction(refusal);
      denials.set(text, [...(denials.get(text) ?? []), arch]);
    }
  }
  const intro = (abis: readonly LinuxArchName[]): string => `${abis.join(', ')}: socket() is restricted by its arguments, ` +
    'but socketcall() reaches socket() with arguments in user memory that no filter can read';
  if (holes.length > 0) {
    const on = holes.length === 1 ? `on ${holes[0]}` : `on ${holes.join(', ')}`;
    warnings.push({ code: 'socketcall-hole', message: `${intro(holes)}, and this policy gives socketcall ` +
      `${holeVerdict}: the restriction can be bypassed ${on} (tune deny:socketcall to close the hole)` });
  }
  for (const [refusal, abis] of denials) {
    warnings.push({ code: 'socketcall-denied', message: `${intro(abis)}; socketcall is denied with ${refusal} ` +
      '(set allowSocketcallHole, or tune allow:socketcall, to accept the hole)' });
  }
  return warnings;
}

/** A warning when the policy means anything but ALLOW for the x86_64 calls Linux never filters. */
function unfilteredWarnings(table: RuleTable, defaultAction: Action): PolicyWarning[] {
  const { perAbi } = table;
  const warnings: PolicyWarning[] = [];
  const x64 = perAbi.get('x86_64');
  if (x64 !== undefined) {
    // Linux runs no filter for these calls: say so when the policy means anything but ALLOW for them.
    const denied: string[] = [];
    const verdicts = new Set<string>();
    for (const [nr, name] of UNFILTERED_X86_64_SYSCALLS) {
      const rules = x64.get(nr) ?? [];
      const allowed = rules.some((r) => r.action.kind === 'ALLOW' && r.conditions.length === 0);
      const others = rules.filter((r) => r.action.kind !== 'ALLOW').map((r) => formatAction(r.action));
      if (!allowed && defaultAction.kind !== 'ALLOW') others.push(formatAction(defaultAction));
      if (others.length === 0) continue;
      denied.push(`${name} (${nr})`);
      for (const v of others) verdicts.add(v);
    }
    if (denied.length > 0) {
      const them = denied.length === 1 ? 'it' : 'them';
      warnings.push({ code: 'unfiltered', message: `x86_64: the kernel runs no seccomp filter for ${denied.join(' or ')}, so this policy's ` +
        `${[...verdicts].join(' or ')} for ${them} is never applied: ${denied.length === 1 ? 'it always goes' : 'they always go'} through` });
    }
  }
  return warnings;
}

/**
 * Validates a policy and resolves it against the syscall tables.
 *
 * A syscall name that exists on no covered ABI is an error (with suggestions when it is unknown everywhere).
 * A name that exists on some covered ABIs but not others applies where it exists; one warning lists such names
 * (a call that does not exist cannot be made there, so nothing is lost).
 */
export function resolvePolicy(policy: Policy): ResolvedPolicy {
  if (typeof policy !== 'object' || policy === null) throw new PolicyError('', 'a policy must be an object');
  const defaultAction = checkAction(policy.defaultAction, 'defaultAction');
  const badArchAction = policy.badArchAction === undefined
    ? DEFAULT_BAD_ARCH_ACTION
    : checkAction(policy.badArchAction, 'badArchAction');
  const arches = checkArches(policy);
  if (!Array.isArray(policy.rules)) throw new PolicyError('rules', 'must be a list');
  const table = ruleTable(arches);
  const warnings = [
    ...addRules(policy, table),
    ...closeSocketcallHoles(policy, table, defaultAction),
    ...unfilteredWarnings(table, defaultAction),
  ];
  const abis: ResolvedAbi[] = arches.map((arch) => ({
    arch,
    rules: table.perAbi.get(arch) as Map<number, ResolvedRule[]>,
    maxKnownNr: maxSyscallNr(arch),
  }));
  return { defaultAction, badArchAction, enosysGuard: policy.enosysGuard === true, abis, warnings };
}
