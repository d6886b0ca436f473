/**
 * A policy written as one filter of a Firecracker/seccompiler file. seccompiler's filter has a single match
 * action and a single mismatch action, checks one machine's audit arch (KILL_PROCESS for any other) and
 * compares arguments with eq/ne/lt/le/gt/ge/masked_eq on the low 32 bits (`dword`) or all 64 (`qword`). A policy
 * that needs more than that (two non-default actions, USER_NOTIF, a verdict that depends on rule precedence
 * seccompiler does not have) is refused; what the file cannot carry but the machine's verdicts do not need
 * (other ABIs, the ENOSYS guard, TRAP data) is dropped with a warning naming it.
 */
import { actionsEqual, type Action } from '../../syscalls/actions.js';
import { syscallName } from '../../syscalls/resolve.js';
import { PolicyError } from '../errors.js';
import { compareVerdicts } from '../precedence.js';
import { resolvePolicy, type ResolvedAbi, type ResolvedRule } from '../resolve.js';
import type { ArgCondition, Policy } from '../types.js';
import { FIRECRACKER_ARCHES, type FirecrackerArch } from './firecracker.js';

/** How to write a policy as a Firecracker filter. */
export interface FirecrackerExportOptions {
  /** The filter's name in the file (Firecracker's thread names: `vmm`, `api`, `vcpu`); default `main`. */
  readonly name?: string;
  /** The machine; default the one machine seccompiler supports among the policy's ABIs. */
  readonly arch?: FirecrackerArch;
}

/** One seccompiler argument condition. */
export interface FirecrackerCondition {
  readonly index: number;
  readonly type: 'dword' | 'qword';
  readonly op: 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge' | { readonly masked_eq: bigint };
  readonly val: bigint;
}

/** One seccompiler rule: a syscall by name, optionally with conditions that must all hold. */
export interface FirecrackerRule {
  readonly syscall: string;
  readonly args?: readonly FirecrackerCondition[];
}

/** A seccompiler action: a name, or `{ errno: N }` / `{ trace: N }`. */
export type FirecrackerAction = 'allow' | 'log' | 'trap' | 'kill_thread' | 'kill_process' | { readonly errno: number } | { readonly trace: number };

/** One named filter of a Firecracker file. */
export interface FirecrackerFilter {
  readonly default_action: FirecrackerAction;
  readonly filter_action: FirecrackerAction;
  readonly filter: readonly FirecrackerRule[];
}

/** The result of writing a policy as a Firecracker file. */
export interface FirecrackerExport {
  /** The file: one filter under its name. */
  readonly document: Readonly<Record<string, FirecrackerFilter>>;
  /** The file as JSON text (64-bit values written exactly), ending in a newline. */
  readonly text: string;
  readonly arch: FirecrackerArch;
  /** What the file does not carry, each naming it. */
  readonly warnings: readonly string[];
}

const describeAction = (a: Action): string => ('data' in a ? `${a.kind}(${a.data})` : a.kind);

function firecrackerAction(action: Action, what: string, warnings: string[]): FirecrackerAction {
  switch (action.kind) {
    case 'ALLOW': return 'allow';
    case 'LOG': return 'log';
    case 'KILL_THREAD': return 'kill_thread';
    case 'KILL_PROCESS': return 'kill_process';
    case 'ERRNO': return { errno: action.data };
    case 'TRACE': return { trace: action.data };
    case 'TRAP':
      if (action.data !== 0) warnings.push(`${what}: TRAP(${action.data}) is written as "trap" (seccompiler's trap carries no data)`);
      return 'trap';
    case 'USER_NOTIF':
      throw new PolicyError('', `${what}: USER_NOTIF has no seccompiler action`);
  }
}

/** The machine the file is for: the one seccompiler machine among the policy's ABIs, unless chosen. */
function exportArch(policy: Policy, chosen: FirecrackerArch | undefined): FirecrackerArch {
  if (chosen !== undefined) {
    if (!(FIRECRACKER_ARCHES as readonly string[]).includes(chosen)) {
      throw new PolicyError('', `seccompiler builds filters for ${FIRECRACKER_ARCHES.join(', ')}, not ${String(chosen)}`);
    }
    if (!policy.arches.includes(chosen)) throw new PolicyError('arches', `the policy does not cover ${chosen}`);
    return chosen;
  }
  const machines = FIRECRACKER_ARCHES.filter((a) => policy.arches.includes(a));
  if (machines.length === 1) return machines[0]!;
  if (machines.length === 0) {
    throw new PolicyError('arches', `the policy covers none of the machines seccompiler builds filters for (${FIRECRACKER_ARCHES.join(', ')})`);
  }
  throw new PolicyError('arches', `the policy covers ${machines.join(' and ')}; a Firecracker filter is for one machine: choose one`);
}

function firecrackerCondition(c: ArgCondition): FirecrackerCondition {
  const type = c.width === 32 ? 'dword' : 'qword';
  if (c.op === 'masked_eq') return { index: c.arg, type, op: { masked_eq: c.mask }, val: c.value };
  return { index: c.arg, type, op: c.op, val: c.value };
}

/** Whether a condition can never hold (a masked comparison with bits outside its mask, which seccompiler would drop). */
function neverHolds(c: ArgCondition): boolean {
  const low = c.width === 32 ? 0xffffffffn : (1n << 64n) - 1n;
  if (c.op === 'masked_eq') return (c.value & ~c.mask & low) !== 0n;
  if (c.op === 'lt') return (c.value & low) === 0n;
  if (c.op === 'gt') return (c.value & low) === low;
  return false;
}

/** Each syscall's rules as seccompiler's alternatives for the match action (`[]` alone: every call). */
function syscallRules(abi: ResolvedAbi, defaultAction: Action, matchAction: Action, name: (nr: number) => string, warnings: string[]): FirecrackerRule[] {
  const out: FirecrackerRule[] = [];
  for (const [nr, rules] of abi.rules) {
    const matching = rules.filter((r) => actionsEqual(r.action, matchAction));
    const withDefault = rules.filter((r) => actionsEqual(r.action, defaultAction));
    if (matching.length === 0) continue;
    if (withDefault.length > 0 && compareVerdicts(defaultAction, matchAction) < 0) {
      const r = withDefault[0]!;
      throw new PolicyError(`rules[${r.source}]`, `${name(nr)}: a rule with the default action ${describeAction(defaultAction)} overrides ` +
        `${describeAction(matchAction)} where both match, and a Firecracker filter has no such precedence`);
    }
    const live = matching.filter((r) => !r.conditions.some(neverHolds));
    if (live.length < matching.length) warnings.push(`${name(nr)}: a rule whose conditions never hold is left out`);
    if (live.length === 0) continue;
    if (live.some((r) => r.conditions.length === 0)) {
      out.push({ syscall: name(nr) });
      continue;
    }
    for (const r of live) out.push({ syscall: name(nr), args: r.conditions.map(firecrackerCondition) });
  }
  return out.sort((a, b) => (a.syscall < b.syscall ? -1 : a.syscall > b.syscall ? 1 : 0));
}

/** The one action the rules give besides the default (refused when there are several). */
function matchActionOf(abi: ResolvedAbi, defaultAction: Action): Action {
  const found: { action: Action; rule: ResolvedRule }[] = [];
  for (const rules of abi.rules.values()) {
    for (const r of rules) {
      if (actionsEqual(r.action, defaultAction) || found.some((f) => actionsEqual(f.action, r.action))) continue;
      found.push({ action: r.action, rule: r });
    }
  }
  if (found.length > 1) {
    const listed = found.map((f) => `${describeAction(f.action)} (rules[${f.rule.source}])`).join(', ');
    throw new PolicyError('rules', `a Firecracker filter has one match action, and the rules give ${listed}`);
  }
  // A policy that only denies by default still needs a match action differing from the default (seccompiler refuses equal ones).
  return found[0]?.action ?? (defaultAction.kind === 'ALLOW' ? { kind: 'KILL_PROCESS' } : { kind: 'ALLOW' });
}

/** JSON text with bigints written as exact numbers. */
function stringify(document: unknown): string {
  const marked = JSON.stringify(document, (_k, v: unknown) => (typeof v === 'bigint' ? `\u0000${v}` : v), 2);
  return `${marked.replace(/"\\u0000(\d+)"/g, '$1')}\n`;
}

/**
 * The policy as a Firecracker/seccompiler filter file with one filter, giving the same verdicts on the chosen
 * machine's ABI; throws PolicyError when seccompiler's format cannot express them.
 */
export function exportFirecracker(policy: Policy, options: FirecrackerExportOptions = {}): FirecrackerExport {
  const arch = exportArch(policy, options.arch);
  const resolved = resolvePolicy(policy);
  const abi = resolved.abis.find((a) => a.arch === arch)!;
  const warnings: string[] = [];
  const killed = resolved.abis.map((a) => a.arch).filter((a) => a !== arch && a !== 'x32');
  if (killed.length > 0) warnings.push(`calls of ${killed.join(', ')} are killed (KILL_PROCESS): seccompiler's filter admits ${arch} calls only`);
  const x32 = resolved.abis.find((a) => a.arch === 'x32');
  const x32Differs = x32 === undefined
    ? !actionsEqual(resolved.badArchAction, resolved.defaultAction)
    : [...x32.rules.values()].some((rules) => rules.some((r) => !actionsEqual(r.action, resolved.defaultAction)));
  if (arch === 'x86_64' && x32Differs) {
    warnings.push(`x32 calls get the default action ${describeAction(resolved.defaultAction)} (seccompiler's filter sees them as unknown x86_64 numbers)`);
  }
  if (!actionsEqual(resolved.badArchAction, { kind: 'KILL_PROCESS' })) {
    warnings.push(`calls of other ABIs get KILL_PROCESS, not ${describeAction(resolved.badArchAction)}`);
  }
  if (resolved.enosysGuard) warnings.push('the ENOSYS guard is left out: numbers newer than the tables get the default action');
  const matchAction = matchActionOf(abi, resolved.defaultAction);
  const name = (nr: number): string => {
    const n = syscallName(arch, nr);
    if (n === undefined) throw new PolicyError('rules', `syscall number ${nr} has no name on ${arch}, and seccompiler names every syscall`);
    return n;
  };
  const filterName = options.name ?? 'main';
  if (filterName.length === 0) throw new PolicyError('', 'a filter name is not empty');
  const filter: FirecrackerFilter = {
    default_action: firecrackerAction(resolved.defaultAction, 'the default action', warnings),
    filter_action: firecrackerAction(matchAction, 'the match action', warnings),
    filter: syscallRules(abi, resolved.defaultAction, matchAction, name, warnings),
  };
  const document = { [filterName]: filter };
  return { document, text: stringify(document), arch, warnings };
}
