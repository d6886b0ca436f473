/**
 * Lowers a resolved policy to one section per ABI: for each syscall number that has rules, a body (an
 * ordered list of guarded verdicts, strongest first, then a fallback verdict), plus the section's default.
 */
import { encodeAction, type Action } from '../syscalls/actions.js';
import { X32_SYSCALL_BIT, type LinuxArchName } from '../syscalls/arch.js';
import { ENOSYS } from '../policy/evaluate.js';
import { compareVerdicts } from '../policy/precedence.js';
import type { ResolvedAbi, ResolvedPolicy } from '../policy/resolve.js';
import { ConditionLowering, decisionKey, type Decision } from './conditions.js';

/** A verdict guarded by decisions that must all come out true. */
export interface GuardedVerdict {
  readonly guards: readonly Decision[];
  readonly action: Action;
}

/** How one syscall number is decided: the first guarded verdict whose guards hold, else the fallback. */
export interface Body {
  readonly verdicts: readonly GuardedVerdict[];
  readonly fallback: Action;
  /** Equal keys, equal bodies. */
  readonly key: string;
}

export interface LoweredSection {
  readonly arch: LinuxArchName;
  readonly domain: { readonly min: number; readonly max: number };
  /** Sorted by number. */
  readonly cases: readonly { readonly nr: number; readonly body: Body }[];
  readonly defaultAction: Action;
  readonly enosys?: { readonly above: number; readonly action: Action };
}

export const ENOSYS_ACTION: Action = { kind: 'ERRNO', data: ENOSYS };

export function domainOf(arch: LinuxArchName): { min: number; max: number } {
  switch (arch) {
    case 'x86_64': return { min: 0, max: X32_SYSCALL_BIT - 1 };
    case 'x32': return { min: X32_SYSCALL_BIT, max: 0xffffffff };
    default: return { min: 0, max: 0xffffffff };
  }
}

function lowerBody(abi: ResolvedAbi, nr: number, fallback: Action, lowering: ConditionLowering): Body {
  const rules = [...(abi.rules.get(nr) ?? [])].sort((a, b) => compareVerdicts(a.action, b.action));
  const verdicts: GuardedVerdict[] = [];
  let last = fallback;
  for (const rule of rules) {
    const guards = rule.conditions.map((c) => lowering.lower(c)).filter((d) => d !== true);
    if (guards.includes(false)) continue;
    if (guards.length === 0) {
      last = rule.action;
      break;
    }
    verdicts.push({ guards, action: rule.action });
  }
  // A trailing verdict equal to the fallback decides nothing.
  while (verdicts.length > 0 && encodeAction((verdicts[verdicts.length - 1] as GuardedVerdict).action) === encodeAction(last)) {
    verdicts.pop();
  }
  const key = `${verdicts.map((v) => `${v.guards.map(decisionKey).join('&')}=>${encodeAction(v.action)}`).join(';')}|${encodeAction(last)}`;
  return { verdicts, fallback: last, key };
}

/** One section per covered ABI, in the policy's order. */
export function lowerPolicy(policy: ResolvedPolicy, enosysGuard = policy.enosysGuard): LoweredSection[] {
  return policy.abis.map((abi) => {
    const lowering = new ConditionLowering(abi.arch);
    const domain = domainOf(abi.arch);
    const fallbackFor = (nr: number): Action => (enosysGuard && nr > abi.maxKnownNr ? ENOSYS_ACTION : policy.defaultAction);
    const cases = [...abi.rules.keys()]
      .filter((nr) => nr >= domain.min && nr <= domain.max)
      .sort((a, b) => a - b)
      .map((nr) => ({ nr, body: lowerBody(abi, nr, fallbackFor(nr), lowering) }))
      // A body that always gives what the number would get without a case needs no case.
      .filter(({ nr, body }) => body.verdicts.length > 0 || encodeAction(body.fallback) !== encodeAction(fallbackFor(nr)));
    return {
      arch: abi.arch,
      domain,
      cases,
      defaultAction: policy.defaultAction,
      ...(enosysGuard && { enosys: { above: abi.maxKnownNr, action: ENOSYS_ACTION } }),
    };
  });
}
