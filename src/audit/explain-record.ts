/**
 * Why a filter gave a recorded verdict, and what would let the call through: for a policy, the rule that decided
 * (or the default) and the `--tune allow:NAME` that changes it; for a bare filter, what the filter does with that
 * syscall (audit records carry no arguments, so conditions on arguments are shown, not decided).
 */
import { behaviourText, explain, type Explanation } from '../analysis/explain.js';
import { abisOf } from '../analysis/partition.js';
import type { Program } from '../bpf/instructions.js';
import { formatAction } from '../syscalls/action-text.js';
import type { Action } from '../syscalls/actions.js';
import { X32_SYSCALL_BIT, type LinuxArchName } from '../syscalls/arch.js';
import { lookupSyscall } from '../syscalls/resolve.js';
import { resolvePolicy, type ResolvedPolicy } from '../policy/resolve.js';
import type { ArgCondition, Policy } from '../policy/types.js';
import type { SeccompRecord } from './record.js';

/** The filter in force when the records were made. */
export type InForce =
  | { readonly kind: 'policy'; readonly policy: Policy; readonly name: string }
  | { readonly kind: 'filter'; readonly program: Program; readonly name: string };

const conditionText = (c: ArgCondition): string => {
  const arg = `arg${c.arg}${c.width === 32 ? ' (low 32 bits)' : ''}`;
  if (c.op === 'masked_eq') return `${arg} & 0x${c.mask.toString(16)} == 0x${c.value.toString(16)}`;
  const op = { eq: '==', ne: '!=', lt: '<', le: '<=', gt: '>', ge: '>=' }[c.op];
  return `${arg} ${op} ${c.value <= 0xffffn ? c.value.toString() : `0x${c.value.toString(16)}`}`;
};

/** The number `seccomp_data.nr` holds for the record's call, when known. */
function dataNr(record: SeccompRecord): number | undefined {
  if (record.abi === undefined) return undefined;
  if (record.nr !== undefined) return record.abi === 'x32' ? (record.nr | X32_SYSCALL_BIT) >>> 0 : record.nr;
  if (record.syscall === undefined) return undefined;
  return lookupSyscall(record.abi, record.syscall)?.nr;
}

/** Explains records against one filter; caches the analysis. */
export class RecordExplainer {
  private resolved?: ResolvedPolicy;
  private explanation?: Explanation;

  constructor(private readonly inForce: InForce) {}

  /** One line: which rule (or the default) gave this verdict and how to let the call through. */
  explain(record: SeccompRecord): string {
    const nr = dataNr(record);
    const name = record.syscall ?? (record.nr !== undefined ? `syscall ${record.nr}` : 'the call');
    if (record.abi === undefined || nr === undefined) return `${name}: arch=${record.arch} is no ABI the tables know, so ${this.inForce.name} cannot be matched to it`;
    return this.inForce.kind === 'policy' ? this.explainPolicy(record, record.abi, nr, name) : this.explainFilter(record.abi, nr, name);
  }

  private explainPolicy(record: SeccompRecord, abi: LinuxArchName, nr: number, name: string): string {
    const policy = this.inForce.kind === 'policy' ? this.inForce.policy : undefined!;
    this.resolved ??= resolvePolicy(policy);
    const covered = this.resolved.abis.find((a) => a.arch === abi);
    const tune = record.syscall !== undefined ? `--tune allow:${record.syscall}` : undefined;
    if (covered === undefined) {
      return `${name}: ${abi} is not among the ABIs of ${this.inForce.name}, so the bad-ABI action decided; add ${abi} to its ABIs`;
    }
    const rules = (covered.rules.get(nr) ?? []).filter((r) => r.action.kind !== 'ALLOW');
    const allowing = (covered.rules.get(nr) ?? []).filter((r) => r.action.kind === 'ALLOW');
    const recorded = record.action;
    const same = (a: Action) => formatAction(a) === recorded || a.kind === recorded;
    const deciding = rules.filter((r) => same(r.action));
    // In complain mode (LOG) the verdict that would have applied is the denying rule's, or the default's.
    const candidates = deciding.length > 0 ? deciding : recorded === 'LOG' ? rules : [];
    const ruleText = (r: (typeof rules)[number]) => `rule ${r.source >= 0 ? r.source + 1 : '(socketcall)'} (${formatAction(r.action)}` +
      `${r.conditions.length > 0 ? ` when ${r.conditions.map(conditionText).join(' and ')}` : ''})`;
    if (candidates.length > 0) {
      const conditional = candidates.some((r) => r.conditions.length > 0);
      const through = conditional
        ? `let it through: ${tune ?? 'allow it'}, or narrow the argument condition of ${candidates.filter((r) => r.conditions.length > 0).map((r) => `rule ${r.source + 1}`).join(', ')}`
        : `let it through: ${tune ?? 'allow it'}`;
      return `${name}: ${candidates.map(ruleText).join(', ')} of ${this.inForce.name}${recorded === 'LOG' && deciding.length === 0 ? ' would have decided (LOG: complain mode)' : ''}; ${through}`;
    }
    const fallback = policy.defaultAction;
    if (same(fallback) || recorded === 'LOG') {
      const guarded = allowing.length > 0 ? `; the ALLOW rule${allowing.length > 1 ? 's' : ''} ${allowing.map((r) => `${r.source + 1}${r.conditions.length > 0 ? ` (when ${r.conditions.map(conditionText).join(' and ')})` : ''}`).join(', ')} did not match its arguments` : '';
      return `${name}: no rule of ${this.inForce.name} decided, so its default ${formatAction(fallback)} did${guarded}; let it through: ${allowing.length > 0 ? 'widen those conditions, or ' : ''}${tune ?? 'allow it'}`;
    }
    return `${name}: ${this.inForce.name} gives ${rules.map(ruleText).join(', ') || `the default ${formatAction(fallback)}`}, not ${recorded}: another filter (or another version of this one) was in force`;
  }

  private explainFilter(abi: LinuxArchName, nr: number, name: string): string {
    const program = this.inForce.kind === 'filter' ? this.inForce.program : undefined!;
    // The ABIs the filter checks (an arm64 filter: aarch64 and arm), and each record's own.
    if (this.explanation === undefined || !this.explanation.abis.includes(abi)) {
      const known = (this.explanation?.abis ?? abisOf(program)).filter((a) => a !== 'other');
      this.explanation = explain(program, { abis: [...new Set([...known, abi])] });
    }
    const group = this.explanation.groups.find((g) => g.abi === abi && g.syscalls.some((s) => s.nr === nr));
    if (group === undefined) return `${name}: ${this.inForce.name} was not explained for ${abi}`;
    return `${name}: ${this.inForce.name} gives ${behaviourText(group.behaviour)}; let it through: compile the policy with --tune allow:${name} (a bare filter has no rules to name)`;
  }
}
