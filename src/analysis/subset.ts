/**
 * Whether one filter allows nothing another denies: `A ⊆ B` when, for every ABI, syscall number and argument
 * value, a call that A lets through B lets through too. Built on {@link diffPrograms}: only the classes of
 * inputs on which the two filters differ can break the inclusion, and each comes with a concrete witness.
 */
import type { Program } from '../bpf/instructions.js';
import { decodeAction } from '../syscalls/actions.js';
import { isUnfiltered, UNFILTERED_X86_64_SYSCALLS } from '../syscalls/unfiltered.js';
import { diffPrograms, type Difference, type DiffOptions } from './diff.js';

/**
 * Whether a verdict lets the call run: ALLOW, and LOG (allowed after logging). Every other action stops it or
 * hands it to someone else (a tracer, a user-space supervisor), so it is not counted as allowed.
 */
export function letsThrough(raw: number): boolean {
  const kind = decodeAction(raw).kind;
  return kind === 'ALLOW' || kind === 'LOG';
}

/** The answer of {@link subsetOf}. */
export interface SubsetResult {
  /** True only when the inclusion was shown for every input. */
  readonly subset: boolean;
  /** True when the comparison was exhaustive (no sampling). */
  readonly exhaustive: boolean;
  /** Classes of inputs that A lets through and B does not, each with a witness. */
  readonly violations: readonly Difference[];
  /** Why the comparison is not exhaustive. */
  readonly reasons: readonly string[];
}

/** True when every number of a difference is a call Linux never filters, so the difference has no effect. */
function onlyUnfiltered(x: Difference): boolean {
  // The unfiltered numbers are few: a range longer than their count cannot hold only them.
  return x.numbers.every(([lo, hi]) => hi - lo < UNFILTERED_X86_64_SYSCALLS.size && Array.from({ length: hi - lo + 1 }, (_, i) => lo + i).every((nr) => isUnfiltered(x.abi, nr)));
}

/**
 * Whether filter `a` allows nothing that filter `b` denies. Differences only on calls Linux never filters
 * (x86_64 uretprobe and uprobe) are ignored: no filter decides them.
 */
export function subsetOf(a: Program, b: Program, options: DiffOptions = {}): SubsetResult {
  const d = diffPrograms(a, b, options);
  const violations = d.differences.filter((x) => letsThrough(x.verdictA) && !letsThrough(x.verdictB) && !onlyUnfiltered(x));
  return { subset: violations.length === 0 && d.exhaustive, exhaustive: d.exhaustive, violations, reasons: d.reasons };
}
