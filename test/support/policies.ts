/** Policy predicates the property tests share. */
import { resolvePolicy } from '../../src/policy/resolve.js';
import type { Policy } from '../../src/policy/types.js';

/** Whether the policy resolves (random policies may name syscalls none of their ABIs has: rightly an error). */
export function resolves(policy: Policy): boolean {
  try {
    resolvePolicy(policy);
    return true;
  } catch {
    return false;
  }
}
