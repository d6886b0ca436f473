/**
 * The file-system side of the `:U` chown: walking a tree without following symlinks or leaving its file
 * system, and applying a plan with `lchown`, re-checking each entry just before changing it so that a file
 * swapped for a symlink after planning is never followed.
 */
import { lstatSync, lchownSync, readdirSync, realpathSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import type { ChownPlan, TreeEntry } from '../userns/index.js';

/** A walked entry with what identifies it, so that apply can tell it was not replaced. */
export interface WalkedEntry extends TreeEntry {
  readonly absolute: string;
  readonly dev: number;
  readonly ino: number;
}

/** The tree under `root` (the root first), plus the folders not entered because they are other file systems. */
export interface WalkedTree {
  readonly root: string;
  readonly entries: readonly WalkedEntry[];
  readonly otherFileSystems: readonly string[];
}

const typeOf = (s: Stats): TreeEntry['type'] =>
  s.isSymbolicLink() ? 'symlink' : s.isDirectory() ? 'directory' : s.isFile() ? 'file' : 'other';

/**
 * Walks `dir` depth-first in name order. The root itself is resolved once (a volume source may be a symlink);
 * below it nothing is followed: symlinks are entries of their own, and folders on another device are listed
 * apart and not entered.
 */
export function walkTree(dir: string): WalkedTree {
  const root = realpathSync(dir);
  const top = lstatSync(root);
  if (!top.isDirectory()) throw new Error(`${dir}: not a directory`);
  const entries: WalkedEntry[] = [];
  const otherFileSystems: string[] = [];
  const visit = (absolute: string, path: string, stats: Stats): void => {
    entries.push({ path, absolute, type: typeOf(stats), uid: stats.uid, gid: stats.gid, dev: stats.dev, ino: stats.ino });
    if (!stats.isDirectory()) return;
    for (const name of readdirSync(absolute).sort()) {
      const child = join(absolute, name);
      const childStats = lstatSync(child);
      const childPath = path === '.' ? name : `${path}/${name}`;
      if (childStats.isDirectory() && childStats.dev !== top.dev) {
        otherFileSystems.push(childPath);
        continue;
      }
      visit(child, childPath, childStats);
    }
  };
  visit(root, '.', top);
  return { root, entries, otherFileSystems };
}

/** What applying a plan did: how many entries changed, and where it stopped if it did. */
export interface ApplyResult {
  readonly changed: number;
  readonly alreadyRight: number;
  readonly notReached: number;
  readonly failure?: { readonly path: string; readonly reason: string };
}

/**
 * Applies `plan` (made from `tree`) in walk order with `lchown`, which changes a symlink itself and never its
 * target. Before each change the entry is looked at again: if it is gone or is no longer the same file (device,
 * inode and type), applying stops there, as it does on any error, and the result says what was changed.
 */
export function applyChown(tree: WalkedTree, plan: ChownPlan): ApplyResult {
  let changed = 0;
  let alreadyRight = 0;
  for (const [i, step] of plan.steps.entries()) {
    const entry = tree.entries[i]!;
    const stop = (reason: string): ApplyResult => ({ changed, alreadyRight, notReached: plan.steps.length - i, failure: { path: entry.path, reason } });
    if ('error' in step) return stop(step.error);
    if (!step.change) {
      alreadyRight++;
      continue;
    }
    let now: Stats;
    try {
      now = lstatSync(entry.absolute);
    } catch (err) {
      return stop(`gone since it was planned (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    if (now.dev !== entry.dev || now.ino !== entry.ino || typeOf(now) !== entry.type) return stop('replaced since it was planned; not changed');
    try {
      lchownSync(entry.absolute, step.to.uid, step.to.gid);
    } catch (err) {
      return stop(`lchown failed (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
    changed++;
  }
  return { changed, alreadyRight, notReached: 0 };
}
