/**
 * Translating IDs through a map, both ways: what a process inside sees for a host ID (`stat` in the namespace)
 * and which host ID a container ID is stored as on disk.
 */
import { OVERFLOW_ID, type IdMap } from './types.js';

/** The host ID that container ID `id` maps to, or undefined when the map does not cover it. */
export function toHost(map: IdMap, id: number): number | undefined {
  for (const e of map) if (id >= e.containerId && id - e.containerId < e.size) return e.hostId + (id - e.containerId);
  return undefined;
}

/** The container ID that host ID `id` appears as inside, or undefined when no extent covers it. */
export function toContainer(map: IdMap, id: number): number | undefined {
  for (const e of map) if (id >= e.hostId && id - e.hostId < e.size) return e.containerId + (id - e.hostId);
  return undefined;
}

/** What the kernel shows inside the namespace for host ID `id`: its container ID, or the overflow ID 65534. */
export function shownInside(map: IdMap, id: number, overflowId = OVERFLOW_ID): number {
  return toContainer(map, id) ?? overflowId;
}
