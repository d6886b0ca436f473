/**
 * The forms an ID map takes: one extent maps `size` consecutive IDs starting at `containerId` inside a user
 * namespace to IDs starting at `hostId` in its parent (the kernel's `first`, `lower_first` and `count`; the OCI
 * runtime spec's `containerID`, `hostID` and `size`).
 */

/** One line of `/proc/PID/uid_map`: `size` IDs from `containerId` inside map to `size` IDs from `hostId` outside. */
export interface IdExtent {
  readonly containerId: number;
  readonly hostId: number;
  readonly size: number;
}

/** An ID map: the extents in the order they were written (the kernel keeps that order in `/proc`). */
export type IdMap = readonly IdExtent[];

/** Which map a check is about: uid_map (needs CAP_SETUID) or gid_map (needs CAP_SETGID). */
export type IdKind = 'uid' | 'gid';

/** The largest ID value: 2^32 − 1 is `(uid_t) -1`, never a valid ID. */
export const MAX_ID = 0xffff_fffe;

/** The ID `stat` and `/proc` show for an ID the namespace does not map (`/proc/sys/kernel/overflowuid`). */
export const OVERFLOW_ID = 65534;

/** `UID_GID_MAP_MAX_EXTENTS` in the kernel: the most lines one uid_map or gid_map write may hold. */
export const MAX_EXTENTS = 340;

/** Error from the user-namespace module, naming the place (a line of a file, or an extent index). */
export class IdMapError extends Error {
  constructor(readonly place: string, readonly detail: string) {
    super(place === '' ? detail : `${place}: ${detail}`);
    this.name = 'IdMapError';
  }
}
