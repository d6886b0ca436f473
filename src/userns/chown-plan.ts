/**
 * The `:U` volume option (case 3 of the Docker security model): before a container starts, the files of a
 * mounted folder are given to host IDs the container's (mapped) users own. This module decides the owners; the
 * CLI walks the tree and applies the plan with `lchown`.
 *
 * Two ways to choose an owner: `owner` gives every file to one container user (the container's process user,
 * 0:0 by default, as Podman's `:U` does); `shift` keeps each file's owner as a container ID and moves it to the
 * host ID the map gives it (for a tree that was written with unshifted IDs).
 */
import { toHost } from './translate.js';
import type { IdMap } from './types.js';

/** A file as the walk found it (its own owner, never a symlink's target). */
export interface TreeEntry {
  readonly path: string;
  readonly type: 'file' | 'directory' | 'symlink' | 'other';
  readonly uid: number;
  readonly gid: number;
}

/** How owners are chosen. */
export type ChownMode =
  | { readonly kind: 'owner'; readonly uid: number; readonly gid: number }
  | { readonly kind: 'shift' };

/** The owner one file gets, or why it cannot get one. */
export type ChownStep =
  | { readonly path: string; readonly type: TreeEntry['type']; readonly from: { uid: number; gid: number }; readonly to: { uid: number; gid: number }; readonly change: boolean }
  | { readonly path: string; readonly type: TreeEntry['type']; readonly from: { uid: number; gid: number }; readonly error: string };

/** The plan for a tree: one step per entry, in walk order. */
export interface ChownPlan {
  readonly steps: readonly ChownStep[];
  readonly changes: number;
  readonly unchanged: number;
  readonly errors: number;
}

/** The owner every entry of `entries` gets under `mode`, with the host IDs taken from `uidMap` and `gidMap`. */
export function planChown(entries: readonly TreeEntry[], uidMap: IdMap, gidMap: IdMap, mode: ChownMode): ChownPlan {
  let changes = 0;
  let unchanged = 0;
  let errors = 0;
  const steps = entries.map((entry): ChownStep => {
    const from = { uid: entry.uid, gid: entry.gid };
    const wantUid = mode.kind === 'owner' ? mode.uid : entry.uid;
    const wantGid = mode.kind === 'owner' ? mode.gid : entry.gid;
    const uid = toHost(uidMap, wantUid);
    const gid = toHost(gidMap, wantGid);
    if (uid === undefined || gid === undefined) {
      errors++;
      const what = uid === undefined ? `container uid ${wantUid}` : `container gid ${wantGid}`;
      return { path: entry.path, type: entry.type, from, error: `${what} is not mapped` };
    }
    const change = uid !== entry.uid || gid !== entry.gid;
    if (change) changes++;
    else unchanged++;
    return { path: entry.path, type: entry.type, from, to: { uid, gid }, change };
  });
  return { steps, changes, unchanged, errors };
}
