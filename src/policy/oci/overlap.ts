/**
 * Whether two rules' conditions can hold for the same call. libseccomp (and so runc) decides a call matched by
 * two rules of different actions by its rule tree, not by action precedence: the importer rebuilds that tree
 * where such rules may overlap, and the exporter only writes rule sets where that cannot happen, so both need to
 * know when conditions are disjoint.
 * The answer is conservative: `false` only when provably disjoint.
 */
import type { ArgCondition } from '../types.js';

const U64_MAX = (1n << 64n) - 1n;
const U32_MAX = 0xffffffffn;

/** Whether the conjunction of `conds` (all on one argument) can hold for some value below 2^width. */
function satisfiable(conds: readonly ArgCondition[], max: bigint): boolean {
  let lo = 0n;
  let hi = max;
  const ne: bigint[] = [];
  const masked: Array<{ mask: bigint; value: bigint }> = [];
  let eq: bigint | undefined;
  for (const c of conds) {
    switch (c.op) {
      case 'eq':
        if (eq !== undefined && eq !== c.value) return false;
        eq = c.value;
        break;
      case 'ne': ne.push(c.value); break;
      case 'lt': if (c.value === 0n) return false; if (c.value - 1n < hi) hi = c.value - 1n; break;
      case 'le': if (c.value < hi) hi = c.value; break;
      case 'gt': if (c.value + 1n > lo) lo = c.value + 1n; break;
      case 'ge': if (c.value > lo) lo = c.value; break;
      case 'masked_eq':
        // A mask covering every bit of the domain is an equality.
        if ((c.mask & max) === max) {
          if (eq !== undefined && eq !== (c.value & max)) return false;
          eq = c.value & max;
        } else {
          masked.push({ mask: c.mask, value: c.value });
        }
        break;
    }
  }
  if (lo > hi) return false;
  if (eq === undefined && lo === hi) eq = lo;
  if (eq !== undefined) {
    return eq >= lo && eq <= hi && !ne.includes(eq) && masked.every((m) => (eq! & m.mask) === m.value);
  }
  for (let i = 0; i < masked.length; i++) {
    for (let j = i + 1; j < masked.length; j++) {
      const a = masked[i]!;
      const b = masked[j]!;
      if (((a.mask & b.mask) & (a.value ^ b.value)) !== 0n) return false;
    }
  }
  return true;
}

/**
 * Whether some call can satisfy both condition lists (each a conjunction). `width` 32 when the ABI compares only
 * the low halves (the constants must then already be truncated).
 */
export function conditionsMayOverlap(a: readonly ArgCondition[], b: readonly ArgCondition[], width: 32 | 64 = 64): boolean {
  const max = width === 32 ? U32_MAX : U64_MAX;
  for (let arg = 0; arg < 6; arg++) {
    const on = [...a, ...b].filter((c) => c.arg === arg);
    if (on.length > 1 && !satisfiable(on, max)) return false;
  }
  return true;
}

/** A stable text form of a condition list, for comparing and de-duplicating rules. */
export function conditionsKey(conds: readonly ArgCondition[]): string {
  return conds
    .map((c) => `${c.arg}:${c.op}:${c.op === 'masked_eq' ? `${c.mask.toString(16)}/` : ''}${c.value.toString(16)}:${c.width ?? 64}`)
    .sort()
    .join(",");
}
