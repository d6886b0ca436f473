/**
 * The rule of the setuid helpers `newuidmap`/`newgidmap` (shadow): an unprivileged user may install a map of
 * several extents when every extent's host IDs lie in one of its subordinate ranges, or the extent is its own
 * ID alone. The kernel then sees a privileged writer, so {@link kernelMapWrite}'s checks follow.
 */
import { normaliseRanges, type HostRange } from './allocate.js';
import type { IdKind, IdMap } from './types.js';

/** Why `newuidmap`/`newgidmap` would refuse `map` for a caller with `ownId` and `ranges`, or undefined if it would not. */
export function newIdMapProblem(map: IdMap, kind: IdKind, ownId: number, ranges: readonly HostRange[]): string | undefined {
  // shadow's have_range lets one extent run across adjacent ranges of the same owner.
  const joined = normaliseRanges(ranges);
  for (const [i, e] of map.entries()) {
    if (e.size === 1 && e.hostId === ownId) continue;
    const inside = joined.some((r) => e.hostId >= r.start && e.hostId + e.size <= r.start + r.count);
    if (!inside) {
      const file = kind === 'uid' ? '/etc/subuid' : '/etc/subgid';
      return `extent ${i + 1} (host ${kind}s ${e.hostId}-${e.hostId + e.size - 1}) is neither the caller's own ${kind} alone nor inside one of its ranges in ${file}`;
    }
  }
  return undefined;
}
