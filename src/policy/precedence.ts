/** Precedence among the verdicts of one policy. */
import { compareActions, type Action } from '../syscalls/actions.js';

/**
 * Orders actions by precedence, strongest first; two actions of the same kind (say ERRNO(EPERM) and
 * ERRNO(EACCES)) are ordered by their data, the smaller first, so that the order of rules never matters.
 */
export function compareVerdicts(a: Action, b: Action): number {
  const byKind = compareActions(a, b);
  if (byKind !== 0) return byKind;
  return ('data' in a ? a.data : 0) - ('data' in b ? b.data : 0);
}

