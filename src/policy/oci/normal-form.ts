/**
 * What a syscall's rules decide, in a form both seccomp-ts's semantics (the strongest matching rule wins) and
 * runc + libseccomp's (the first unconditional rule wins; overlapping conditional rules of different actions are
 * decided by tree order; rules repeating the default are dropped) agree on. A rule set in this form means the
 * same under both, so it is what the exporter writes, and comparing normal forms tells whether two policies
 * decide alike.
 */
import { actionsEqual, encodeAction, type Action } from '../../syscalls/actions.js';
import { LINUX_ARCHES, type LinuxArchName } from '../../syscalls/arch.js';

/** Whether libseccomp compares this ABI's arguments as 64-bit values (x32 it compares as 32-bit ones). */
const wideAbi = (abi: LinuxArchName): boolean => LINUX_ARCHES[abi].wordSize === 64 && abi !== 'x32';
import { compareVerdicts } from '../precedence.js';
import { resolvePolicy } from '../resolve.js';
import type { ArgCondition, Policy } from '../types.js';
import { conditionsKey, conditionsMayOverlap } from './overlap.js';

export interface NormalRule {
  readonly action: Action;
  readonly conditions: readonly ArgCondition[];
  /** The conditions in a canonical form for this ABI (equal meaning, equal text). */
  readonly canonical: readonly ArgCondition[];
  /** Index of the policy rule it comes from (-1: the implicit i386 socketcall rule). */
  readonly source: number;
}

/** The normal form of one syscall on one ABI, or why the rules have none. */
export type NormalForm =
  | { readonly ok: true; readonly rules: readonly NormalRule[] }
  | { readonly ok: false; readonly reason: string };

const U32 = 0xffffffffn;

/**
 * On i386 an argument has no upper half, so a 64-bit condition whose constants fit in 32 bits means the same as
 * its 32-bit form; writing it so lets policies from either origin compare equal.
 */
function canonicalOnAbi(c: ArgCondition, abi: LinuxArchName): ArgCondition {
  let d = c;
  if (LINUX_ARCHES[abi].wordSize === 32 && d.width !== 32 && d.value <= U32 && (d.op !== 'masked_eq' || d.mask <= U32)) d = { ...d, width: 32 };
  // A 32-bit equality is a masked test of the low half; on x86_64 that mask reads as a 64-bit one.
  const wide = wideAbi(abi) ? {} : { width: 32 as const };
  if (d.width === 32 && d.op === 'eq') return { arg: d.arg, op: 'masked_eq', mask: U32, value: d.value, ...wide };
  if (d.width === 32 && d.op === 'masked_eq' && wideAbi(abi)) return { arg: d.arg, op: 'masked_eq', mask: d.mask & U32, value: d.value & U32 };
  return d;
}

function label(a: Action): string {
  return 'data' in a ? `${a.kind}(${a.data})` : a.kind;
}

/** The normal form of the rules of one syscall on one ABI. */
export function normalForm(
  rules: ReadonlyArray<{ action: Action; conditions: readonly ArgCondition[]; source: number }>,
  defaultAction: Action,
  abi: LinuxArchName,
): NormalForm {
  const width = wideAbi(abi) ? 64 : 32;
  const all = rules.map((r) => ({ ...r, canonical: r.conditions.map((c) => canonicalOnAbi(c, abi)) }));
  let strongestUnconditional: (typeof all)[number] | undefined;
  for (const r of all) {
    if (r.conditions.length !== 0) continue;
    if (strongestUnconditional === undefined || compareVerdicts(r.action, strongestUnconditional.action) < 0) strongestUnconditional = r;
  }
  let conditional = all.filter((r) => r.conditions.length > 0
    && (strongestUnconditional === undefined || compareVerdicts(r.action, strongestUnconditional.action) < 0));
  if (strongestUnconditional !== undefined && !actionsEqual(strongestUnconditional.action, defaultAction)) {
    if (conditional.length > 0) {
      return { ok: false, reason: `every call gets ${label(strongestUnconditional.action)} except where conditions give the stronger ` +
        `${label(conditional[0]!.action)}, and runc keeps only the unconditional rule` };
    }
    return { ok: true, rules: [{ action: strongestUnconditional.action, conditions: [], canonical: [], source: strongestUnconditional.source }] };
  }
  // Rules that repeat the default are dropped by runc: harmless unless they override a weaker rule.
  const repeatsDefault = conditional.filter((r) => actionsEqual(r.action, defaultAction));
  conditional = conditional.filter((r) => !actionsEqual(r.action, defaultAction));
  for (const d of repeatsDefault) {
    const overridden = conditional.find((r) => compareVerdicts(d.action, r.action) < 0 && conditionsMayOverlap(d.canonical, r.canonical, width));
    if (overridden !== undefined) {
      return { ok: false, reason: `a ${label(d.action)} rule (the default action, which runc drops) overrides a ` +
        `${label(overridden.action)} rule for some calls` };
    }
  }
  const seen = new Set<string>();
  const kept: NormalRule[] = [];
  for (const r of conditional) {
    const key = `${encodeAction(r.action)}|${conditionsKey(r.canonical)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    kept.push(r);
  }
  for (let i = 0; i < kept.length; i++) {
    for (let j = i + 1; j < kept.length; j++) {
      const a = kept[i]!;
      const b = kept[j]!;
      if (actionsEqual(a.action, b.action) || !conditionsMayOverlap(a.canonical, b.canonical, width)) continue;
      return { ok: false, reason: `${label(a.action)} and ${label(b.action)} rules can match the same call; libseccomp ` +
        'then decides by its rule-tree order, not by action' };
    }
  }
  return { ok: true, rules: kept };
}

/** Normal forms of every syscall a policy names, keyed `abi:nr`. Throws `PolicyError` for an invalid policy. */
export function policyNormalForms(policy: Policy): Map<string, { abi: LinuxArchName; nr: number; form: NormalForm }> {
  const resolved = resolvePolicy(policy);
  const out = new Map<string, { abi: LinuxArchName; nr: number; form: NormalForm }>();
  for (const abi of resolved.abis) {
    for (const [nr, rules] of abi.rules) {
      out.set(`${abi.arch}:${nr}`, { abi: abi.arch, nr, form: normalForm(rules, resolved.defaultAction, abi.arch) });
    }
  }
  return out;
}

/** A comparable text for a normal form (order of rules ignored). */
export function normalFormKey(form: NormalForm): string {
  if (!form.ok) return `!${form.reason}`;
  return form.rules.map((r) => `${encodeAction(r.action)}|${conditionsKey(r.canonical)}`).sort().join(';');
}
