/**
 * Allocating host IDs to containers from a user's subordinate ranges, in the two ways the Docker security model
 * knows: one map shared by every container (the daemon's `--userns-remap`, case 1), or a separate block per
 * container so that containers cannot touch each other's files either (case 2).
 */
import { IdMapError, type IdExtent, type IdMap } from './types.js';

/** A range of host IDs: `count` IDs from `start`. */
export interface HostRange {
  readonly start: number;
  readonly count: number;
}

/** Sorted by start, overlapping or touching ranges joined. */
export function normaliseRanges(ranges: readonly HostRange[]): HostRange[] {
  const sorted = [...ranges].filter((r) => r.count > 0).sort((a, b) => a.start - b.start);
  const out: { start: number; count: number }[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && r.start <= last.start + last.count) {
      last.count = Math.max(last.count, r.start + r.count - last.start);
    } else {
      out.push({ start: r.start, count: r.count });
    }
  }
  return out;
}

/**
 * Case 1, as Docker's daemon builds its remapping: every subordinate range sorted by start, stacked from
 * container ID 0 upward (range i starts where range i−1 ended), so container root is the first ID of the
 * lowest range.
 */
export function sharedMap(ranges: readonly HostRange[]): IdMap {
  if (ranges.length === 0) throw new IdMapError('', 'no subordinate ranges to map');
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  const map: IdExtent[] = [];
  let next = 0;
  for (const r of sorted) {
    map.push({ containerId: next, hostId: r.start, size: r.count });
    next += r.count;
  }
  return map;
}

/** What {@link perContainerMaps} should hand out. */
export interface BlockRequest {
  /** How many containers get a block. */
  readonly containers: number;
  /** IDs per container (65536 covers every ID a distribution image uses). */
  readonly size: number;
  /** Host IDs already given to other containers (their maps), never handed out again. */
  readonly inUse?: readonly IdMap[];
}

/**
 * Case 2: `containers` maps of `size` IDs each, container IDs 0…size−1, host IDs taken in ascending order from
 * the subordinate ranges, skipping IDs in use; a block may span several ranges (then it has several extents).
 * No two maps share a host ID and every host ID lies in a subordinate range.
 */
export function perContainerMaps(ranges: readonly HostRange[], request: BlockRequest): IdMap[] {
  const { containers, size } = request;
  if (!Number.isInteger(containers) || containers < 1) throw new IdMapError('', `container count ${containers} is not a positive integer`);
  if (!Number.isInteger(size) || size < 1) throw new IdMapError('', `block size ${size} is not a positive integer`);
  const used = normaliseRanges((request.inUse ?? []).flatMap((m) => m.map((e) => ({ start: e.hostId, count: e.size }))));
  const free = subtract(normaliseRanges(ranges), used);
  const available = free.reduce((n, r) => n + r.count, 0);
  if (available < containers * size) {
    throw new IdMapError('', `${containers} × ${size} IDs needed, only ${available} free in the subordinate ranges`);
  }
  const maps: IdMap[] = [];
  let index = 0;
  let offset = 0;
  for (let c = 0; c < containers; c++) {
    const map: IdExtent[] = [];
    let containerId = 0;
    while (containerId < size) {
      const r = free[index]!;
      const take = Math.min(r.count - offset, size - containerId);
      map.push({ containerId, hostId: r.start + offset, size: take });
      containerId += take;
      offset += take;
      if (offset === r.count) {
        index++;
        offset = 0;
      }
    }
    maps.push(map);
  }
  return maps;
}

/** `ranges` minus `taken`; both sorted and disjoint. */
function subtract(ranges: readonly HostRange[], taken: readonly HostRange[]): HostRange[] {
  const out: HostRange[] = [];
  for (const r of ranges) {
    let start = r.start;
    const end = r.start + r.count;
    for (const t of taken) {
      const tEnd = t.start + t.count;
      if (tEnd <= start || t.start >= end) continue;
      if (t.start > start) out.push({ start, count: t.start - start });
      start = Math.max(start, tEnd);
    }
    if (start < end) out.push({ start, count: end - start });
  }
  return out;
}

/** A host ID two maps share: containers under them could touch each other's files. */
export interface SharedHostIds {
  readonly first: number;
  readonly second: number;
  readonly hostId: number;
  readonly count: number;
}

/** Every pair of maps in `maps` whose host sides overlap, with the first shared host ID and how many are shared. */
export function sharedHostIds(maps: readonly IdMap[]): SharedHostIds[] {
  const clashes: SharedHostIds[] = [];
  for (let a = 0; a < maps.length; a++) {
    for (let b = a + 1; b < maps.length; b++) {
      const ra = normaliseRanges(maps[a]!.map((e) => ({ start: e.hostId, count: e.size })));
      const rb = normaliseRanges(maps[b]!.map((e) => ({ start: e.hostId, count: e.size })));
      let first: number | undefined;
      let count = 0;
      for (const x of ra) {
        for (const y of rb) {
          const lo = Math.max(x.start, y.start);
          const hi = Math.min(x.start + x.count, y.start + y.count);
          if (lo < hi) {
            first = Math.min(first ?? lo, lo);
            count += hi - lo;
          }
        }
      }
      if (first !== undefined) clashes.push({ first: a, second: b, hostId: first, count });
    }
  }
  return clashes;
}

/** The extents of `map` (by index) whose host IDs are not all inside `ranges`. */
export function outsideRanges(map: IdMap, ranges: readonly HostRange[]): number[] {
  const joined = normaliseRanges(ranges);
  return map.flatMap((e, i) => (joined.some((r) => e.hostId >= r.start && e.hostId + e.size <= r.start + r.count) ? [] : [i]));
}
