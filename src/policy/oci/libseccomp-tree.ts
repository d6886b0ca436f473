/**
 * How libseccomp 2.5.4 combines the conditional rules of one syscall, modelled so that overlapping rules of
 * different actions get the verdicts runc's filter gives them.
 *
 * libseccomp turns each rule into a chain of 32-bit comparisons (three per ordered test of a 64-bit argument,
 * two per equality, one per test on a 32-bit ABI) and merges each new chain into the syscall's decision tree:
 * first it prunes parts of the tree the new chain makes redundant, then it walks the tree level by level,
 * sharing equal comparisons, inserting new ones in an order of its own (argument, then operator, then value)
 * and refusing some conflicts (EEXIST). The generated filter tries the comparisons of a level in that order;
 * a comparison without an outcome on one side falls through to the next comparison of its level, and the end
 * of a level continues after the comparison that led to it. So when rules of different actions overlap, the
 * verdict depends on where their comparisons landed, which depends on the order runc adds the rules.
 *
 * The model keeps libseccomp's data structure (levels as doubly linked lists, shared and reference-counted
 * nodes) because the merge edits shared nodes in place and that sharing decides verdicts. Its quirks are part
 * of what is reproduced, such as the merge of two equal 64-bit comparisons of different actions that keeps the
 * action of the rule with the larger constant, and a code generator that trusts the accumulator to still hold
 * a word after a nested level loaded another (see {@link generatedCode}). Where libseccomp never finishes adding
 * a rule, the model stops after a fixed amount of work and says so.
 */
import type { ArgCondition } from '../types.js';

const U32 = 0xffffffffn;

/** A comparison on one 32-bit word, as the filter performs it: `(word & mask) op datum`. */
type NodeOp = 'eq' | 'gt' | 'ge' | 'masked_eq';

/** An outcome of a comparison: an action code and the index of the rule that put it there (-1: none). */
interface Outcome {
  readonly code: number;
  readonly origin: number;
}

interface TreeNode {
  readonly arg: number;
  /** Compares the upper half of a 64-bit argument. */
  readonly high: boolean;
  readonly op: NodeOp;
  /** The rule's operator, which orders comparisons within a level. */
  readonly ruleOp: ArgCondition['op'];
  readonly mask: number;
  readonly datum: number;
  /** The rule's whole 64-bit constant. */
  readonly datumFull: bigint;
  onTrue: TreeNode | null;
  onFalse: TreeNode | null;
  /** The outcome when the comparison holds, or null; `rawTrue` is the stored value even when none is set. */
  ifTrue: Outcome | null;
  ifFalse: Outcome | null;
  /** libseccomp keeps an action value beside the flag and can change it while the flag is off. */
  rawTrue: number;
  rawFalse: number;
  prev: TreeNode | null;
  next: TreeNode | null;
  refs: number;
}

/** Where a pointer to a node lives, so that operations can read and replace it. */
interface Slot {
  get(): TreeNode | null;
  set(n: TreeNode | null): void;
}

const fieldSlot = (n: TreeNode, side: 'onTrue' | 'onFalse'): Slot => ({ get: () => n[side], set: (v) => { n[side] = v; } });
const varSlot = (initial: TreeNode | null): Slot & { value: TreeNode | null } => {
  const s = { value: initial, get: () => s.value, set: (v: TreeNode | null) => { s.value = v; } };
  return s;
};

/** libseccomp never returns for some rule pairs (its level lists become cycles); the model gives up instead. */
export class TreeHang extends Error {}

/** libseccomp refused the rule (EEXIST): runc fails. */
export class TreeConflict extends Error {}

/** One syscall's rules as libseccomp holds them. */
interface SyscallEntry {
  chains: TreeNode | null;
  /** Set when the syscall has no conditional chain (an unconditional rule). */
  unconditional: Outcome | null;
  present: boolean;
}

// db_iter_state flags
const MATCH = 0x1;
const MATCH_ONCE = 0x2;
const X_FINISHED = 0x10;
const N_FINISHED = 0x20;
const X_PREFIX = 0x100;
const N_PREFIX = 0x200;
const MATCHSET = MATCH | MATCH_ONCE;
const REDUNDANT = MATCH | X_FINISHED | N_PREFIX;

interface IterState {
  flags: number;
  readonly action: number;
  readonly entry: SyscallEntry;
}

/** A rule as runc hands it to libseccomp: its action code and its tests (at most one per argument). */
export interface TreeRule {
  readonly code: number;
  readonly conditions: readonly ArgCondition[];
}

/** The merged decision tree of one syscall. */
export interface SyscallTree {
  readonly root: TreeNode | null;
  /** The outcome when the syscall ended up unconditional. */
  readonly unconditional: Outcome | null;
  readonly wide: boolean;
}

const WORK_LIMIT = 2_000_000;

class Model {
  private work = 0;

  step(): void {
    if (++this.work > WORK_LIMIT) throw new TreeHang('libseccomp does not finish merging these rules');
  }

  get(n: TreeNode | null): TreeNode | null {
    if (n !== null) n.refs++;
    return n;
  }

  /** Drops one reference; a node left without any is unlinked from its level and its subtrees are dropped. */
  put(slot: Slot): number {
    this.step();
    const n = slot.get();
    if (n === null) return 0;
    n.refs--;
    if (n.refs !== 0) return 0;
    let freed = 0;
    const before = varSlot(n.prev);
    const after = varSlot(n.next);
    const { onTrue, onFalse } = n;
    if (before.value !== null) before.value.next = null;
    if (after.value !== null) after.value.prev = null;
    if (before.value !== null) freed += this.put(before);
    if (after.value !== null) freed += this.put(after);
    if (before.value !== null) before.value.next = this.get(after.value);
    if (after.value !== null) after.value.prev = this.get(before.value);
    slot.set(before.value ?? after.value ?? null);
    freed += this.treePut(varSlot(onTrue));
    freed += this.treePut(varSlot(onFalse));
    return freed + 1;
  }

  treePut(slot: Slot): number {
    let freed = this.put(slot);
    const left = slot.get();
    if (left !== null) freed += this.levelClean(left);
    return freed;
  }

  /** Frees a whole level when nothing but its own links refers to it. */
  private levelClean(node: TreeNode): number {
    let n: TreeNode | null = levelStart(node, this);
    const start = n;
    while (n !== null) {
      this.step();
      const links = (n.prev !== null ? 1 : 0) + (n.next !== null ? 1 : 0);
      if (n.refs > links) return 0;
      n = n.next;
    }
    let freed = 0;
    const cursor = varSlot(start);
    while (cursor.value !== null) freed += this.put(cursor);
    return freed;
  }

  /** Removes `node` (found anywhere below `tree`) and its subtrees; empty leaves met on the way go too. */
  treeRemove(tree: Slot, node: TreeNode): number {
    const head = tree.get();
    if (head === null) return 0;
    let c: TreeNode | null = levelStart(head, this);
    let removed = 0;
    do {
      this.step();
      if (c === node || (removed += this.treeRemove(fieldSlot(c, 'onTrue'), node) + this.treeRemove(fieldSlot(c, 'onFalse'), node),
        isLeaf(c) && c.ifTrue === null && c.ifFalse === null)) {
        if (c === tree.get()) tree.set(c.prev ?? c.next);
        if (c.prev !== null) c.prev.next = c.next;
        if (c.next !== null) c.next.prev = c.prev;
        c.prev = null;
        c.next = null;
        return removed + this.put(varSlot(c));
      }
      c = c.next;
    } while (c !== null && removed === 0);
    return removed;
  }

  /** Whether every outcome on the level of `tree` and below is `code`. */
  sameActions(tree: TreeNode | null, code: number): boolean {
    if (tree === null) return true;
    for (let c: TreeNode | null = levelStart(tree, this); c !== null; c = c.next) {
      this.step();
      if (c.ifTrue !== null && c.ifTrue.code !== code) return false;
      if (c.ifFalse !== null && c.ifFalse.code !== code) return false;
      if (!this.sameActions(c.onTrue, code) || !this.sameActions(c.onFalse, code)) return false;
    }
    return true;
  }

  /** Removes the parts of the existing tree that the new chain makes redundant (libseccomp's prune pass). */
  prune(existing: Slot, added: TreeNode | null, state: IterState): number {
    let removed = 0;
    const mine = { ...state };
    let x = existing.get();
    const n = added;
    const finish = (): number => {
      if ((mine.flags & MATCH) !== 0) state.flags |= mine.flags;
      else state.flags &= ~MATCH;
      return removed;
    };
    if (n === null || x === null) return finish();
    if ((state.flags & MATCHSET) === MATCH_ONCE) return finish();
    x = levelStart(x, this);
    /** Recurses with `x` held; returns false when the caller must return, null when `x` is gone. */
    const descend = (into: Slot, chain: TreeNode, set: number, clear: number, stopOnMatch: boolean): 'return' | 'gone' | 'on' => {
      const held = varSlot(this.get(x));
      const sub: IterState = { ...state, flags: (state.flags & ~clear) | set };
      removed += this.prune(into, chain, sub);
      removed += this.put(held);
      x = held.value;
      if ((sub.flags & MATCH) !== 0) {
        mine.flags |= sub.flags;
        if (stopOnMatch) return 'return';
      }
      return x === null ? 'gone' : 'on';
    };
    do {
      this.step();
      const cur: TreeNode = x!;
      const following = cur.next;
      let r: 'return' | 'gone' | 'on' = 'on';
      if (sameComparison(cur, n)) {
        mine.flags |= MATCHSET;
        if (isLeaf(n)) mine.flags |= N_FINISHED;
        if (isLeaf(cur)) mine.flags |= X_FINISHED;
        if ((cur.ifTrue !== null || cur.onTrue !== null) && !(n.ifTrue !== null || n.onTrue !== null)) return finish();
        if ((cur.ifFalse !== null || cur.onFalse !== null) && !(n.ifFalse !== null || n.onFalse !== null)) return finish();
        if ((mine.flags & N_FINISHED) !== 0 && (mine.flags & X_FINISHED) !== 0) {
          if ((n.ifTrue === null) !== (cur.ifTrue === null) || n.rawTrue !== cur.rawTrue) return finish();
          if ((n.ifFalse === null) !== (cur.ifFalse === null) || n.rawFalse !== cur.rawFalse) return finish();
        }
        if (n.onTrue !== null) r = descend(fieldSlot(cur, 'onTrue'), n.onTrue, MATCHSET, 0, false);
        if (r === 'on' && n.onFalse !== null) r = descend(fieldSlot(x!, 'onFalse'), n.onFalse, MATCHSET, 0, false);
        if (r === 'on') {
          const here: TreeNode = x!;
          const uniform = this.sameActions(here, mine.action);
          const has = (f: number): boolean => (mine.flags & f) !== 0;
          if (uniform && has(MATCH) && has(N_FINISHED) && has(X_PREFIX)) {
            removed += this.treeRemove({ get: () => state.entry.chains, set: (v) => { state.entry.chains = v; } }, here);
            if (state.entry.chains === null) return finish();
          } else if (uniform && has(MATCH) && has(X_FINISHED) && has(N_PREFIX)) {
            return finish();
          }
        }
      } else if (orderedBefore(cur, n)) {
        if ((state.flags & N_PREFIX) !== 0) return finish();
        if (cur.onTrue !== null) r = descend(fieldSlot(cur, 'onTrue'), n, X_PREFIX, MATCH, true);
        if (r === 'on' && x!.onFalse !== null) r = descend(fieldSlot(x!, 'onFalse'), n, X_PREFIX, MATCH, true);
      } else {
        if ((state.flags & X_PREFIX) !== 0) return finish();
        if (n.onTrue !== null) {
          const local = varSlot(x);
          r = descend(local, n.onTrue, N_PREFIX, MATCH, true);
        }
        if (r === 'on' && n.onFalse !== null) {
          const local = varSlot(x);
          r = descend(local, n.onFalse, N_PREFIX, MATCH, true);
        }
      }
      if (r === 'return') return finish();
      x = following;
    } while (x !== null);
    mine.flags &= ~MATCH;
    return finish();
  }

  /** Merges the new chain into the tree (libseccomp's add pass); throws TreeConflict where libseccomp fails. */
  add(existing: Slot, added: TreeNode): void {
    let x = existing.get()!;
    const n = added;
    for (;;) {
      this.step();
      if (sameComparison(x, n)) {
        if (n.ifTrue !== null) {
          if (x.ifTrue === null) {
            if (!this.sameActions(x.onTrue, n.ifTrue.code)) throw new TreeConflict('EEXIST');
            this.put(fieldSlot(x, 'onTrue'));
            x.onTrue = null;
            x.ifTrue = n.ifTrue;
            x.rawTrue = n.rawTrue;
          } else if (n.ifTrue.code !== x.ifTrue.code) {
            if (n.high && n.datumFull > x.datumFull) {
              x.ifTrue = n.ifTrue;
              x.rawTrue = n.rawTrue;
            }
            if (isLeaf(x) || isLeaf(n)) throw new TreeConflict('EEXIST');
          }
        }
        if (n.ifFalse !== null) {
          if (x.ifFalse === null) {
            if (!this.sameActions(x.onFalse, n.ifFalse.code)) throw new TreeConflict('EEXIST');
            this.put(fieldSlot(x, 'onFalse'));
            x.onFalse = null;
            x.ifFalse = n.ifFalse;
            x.rawFalse = n.rawFalse;
          } else if (n.ifFalse.code !== x.ifFalse.code) {
            // libseccomp updates the true action here, with the new node's true action value (0 when unset).
            if (n.high && n.datumFull < x.datumFull) {
              x.rawTrue = n.rawTrue;
              if (x.ifTrue !== null) x.ifTrue = { code: n.rawTrue, origin: n.ifTrue?.origin ?? -1 };
            }
            if (isLeaf(x) || isLeaf(n)) throw new TreeConflict('EEXIST');
          }
        }
        if (n.onTrue !== null) {
          if (x.onTrue !== null) this.add(fieldSlot(x, 'onTrue'), n.onTrue);
          else if (x.ifTrue === null) x.onTrue = this.get(n.onTrue);
          else return;
        }
        if (n.onFalse !== null) {
          if (x.onFalse !== null) this.add(fieldSlot(x, 'onFalse'), n.onFalse);
          else if (x.ifFalse === null) x.onFalse = this.get(n.onFalse);
          else return;
        }
        return;
      }
      if (!orderedBefore(x, n)) {
        if (x.next === null) {
          n.prev = this.get(x);
          x.next = this.get(n);
          return;
        }
        x = x.next;
        continue;
      }
      if (x.prev !== null) {
        x.prev.next = this.get(n);
        n.prev = x.prev;
        x.prev = this.get(n);
        n.next = x;
      } else {
        x.prev = this.get(n);
        n.next = this.get(x);
      }
      if (existing.get() === x) {
        existing.set(this.get(n));
        this.put(varSlot(x));
      }
      return;
    }
  }

  /** The chain libseccomp generates for one rule. */
  chain(rule: TreeRule, origin: number, wide: boolean): { head: TreeNode | null } {
    const byArg = [...rule.conditions].sort((a, b) => a.arg - b.arg);
    const outcome: Outcome = { code: rule.code, origin };
    let head: TreeNode | null = null;
    let ends: TreeNode[] = [];
    let onTrueSide = false;
    const link = (first: TreeNode): void => {
      for (const e of ends) {
        if (onTrueSide) e.onTrue = this.get(first);
        else e.onFalse = this.get(first);
      }
      if (head === null) head = this.get(first);
    };
    for (const c of byArg) {
      const mask = c.op === 'masked_eq' ? c.mask : (1n << 64n) - 1n;
      const value = c.op === 'masked_eq' ? c.value : c.value;
      if (wide) {
        if (c.op === 'masked_eq' && mask === 0n) continue;
        const node = (high: boolean, op: NodeOp): TreeNode => {
          const m = Number(high ? (mask >> 32n) & U32 : mask & U32);
          const d = Number(high ? (value >> 32n) & U32 : value & U32);
          return newNode(c.arg, high, op, c.op, m, (d & m) >>> 0, value);
        };
        if (c.op === 'eq' || c.op === 'ne' || c.op === 'masked_eq') {
          const op: NodeOp = c.op === 'masked_eq' ? 'masked_eq' : 'eq';
          const hi = node(true, op);
          const lo = node(false, op);
          link(hi);
          hi.onTrue = this.get(lo);
          ends = c.op === 'ne' ? [hi, lo] : [lo];
          onTrueSide = c.op !== 'ne';
        } else {
          const hiGt = node(true, 'gt');
          const hiEq = node(true, 'eq');
          const lo = node(false, c.op === 'gt' || c.op === 'le' ? 'gt' : 'ge');
          link(hiGt);
          hiGt.onFalse = this.get(hiEq);
          hiEq.onTrue = this.get(lo);
          const greater = c.op === 'gt' || c.op === 'ge';
          ends = greater ? [hiGt, lo] : [hiEq, lo];
          onTrueSide = greater;
        }
      } else {
        const m = Number(mask & U32);
        if (c.op === 'masked_eq' && m === 0) continue;
        const op: NodeOp = c.op === 'ne' || c.op === 'eq' ? 'eq' : c.op === 'lt' || c.op === 'ge' ? 'ge' : c.op === 'le' || c.op === 'gt' ? 'gt' : 'masked_eq';
        const n = newNode(c.arg, false, op, c.op, m, (Number(value & U32) & m) >>> 0, value);
        link(n);
        ends = [n];
        // `!=`, `<` and `<=` are the false side of `==`, `>=` and `>`.
        onTrueSide = !(c.op === 'ne' || c.op === 'lt' || c.op === 'le');
      }
    }
    for (const e of head === null ? [] : ends) {
      if (onTrueSide) {
        e.ifTrue = outcome;
        e.rawTrue = outcome.code;
      } else {
        e.ifFalse = outcome;
        e.rawFalse = outcome.code;
      }
    }
    return { head };
  }

  /** libseccomp's db_rule_add for one syscall. */
  addRule(entry: SyscallEntry, rule: TreeRule, origin: number, wide: boolean): void {
    const { head } = this.chain(rule, origin, wide);
    const outcome: Outcome = { code: rule.code, origin };
    if (!entry.present) {
      entry.present = true;
      entry.chains = head;
      entry.unconditional = head === null ? outcome : null;
      return;
    }
    if (entry.chains === null) return; // already unconditional: the new rule changes nothing
    if (head === null) {
      this.treePut({ get: () => entry.chains, set: (v) => { entry.chains = v; } });
      entry.chains = null;
      entry.unconditional = outcome;
      return;
    }
    const state: IterState = { flags: 0, action: rule.code, entry };
    const root: Slot = { get: () => entry.chains, set: (v) => { entry.chains = v; } };
    const removed = this.prune(root, head, state);
    if (removed > 0) {
      if (entry.chains === null) {
        entry.chains = head;
        return;
      }
    } else if ((state.flags & REDUNDANT) === REDUNDANT) {
      this.treePut(varSlot(head));
      return;
    }
    this.add(root, head);
    this.treePut(varSlot(head));
  }
}

function newNode(arg: number, high: boolean, op: NodeOp, ruleOp: ArgCondition['op'], mask: number, datum: number, datumFull: bigint): TreeNode {
  return { arg, high, op, ruleOp, mask, datum, datumFull, onTrue: null, onFalse: null, ifTrue: null, ifFalse: null, rawTrue: 0, rawFalse: 0, prev: null, next: null, refs: 0 };
}

function levelStart(n: TreeNode, model: Model): TreeNode {
  let s = n;
  while (s.prev !== null) {
    model.step();
    s = s.prev;
  }
  return s;
}

const isLeaf = (n: TreeNode): boolean => n.onTrue === null && n.onFalse === null;

/** Same argument word, operator, constant and mask: libseccomp shares the node. */
function sameComparison(a: TreeNode, b: TreeNode): boolean {
  return a.arg === b.arg && a.high === b.high && a.op === b.op && a.datum === b.datum && a.mask === b.mask;
}

const opRank = (op: ArgCondition['op']): number => (op === 'masked_eq' || op === 'eq' || op === 'ne' ? 3 : op === 'le' || op === 'lt' ? 2 : 1);

/** libseccomp's order within a level: by argument word, then operator group, then constant. */
function orderedBefore(a: TreeNode, b: TreeNode): boolean {
  const ka = a.arg * 2 + (a.high ? 1 : 0);
  const kb = b.arg * 2 + (b.high ? 1 : 0);
  if (ka !== kb) return ka < kb;
  const ra = opRank(a.ruleOp);
  const rb = opRank(b.ruleOp);
  if (ra !== rb) return ra < rb;
  return a.ruleOp === 'le' || a.ruleOp === 'lt' ? a.datum > b.datum : a.datum < b.datum;
}

/**
 * Adds the rules in order, as runc does, and returns the merged tree. `wide`: the ABI compares 64-bit
 * arguments (x86_64), else 32-bit ones (i386, x32). Throws TreeConflict where libseccomp refuses a rule and
 * TreeHang where it never returns; `at` on the error is the index of that rule.
 */
export function buildSyscallTree(rules: readonly TreeRule[], wide: boolean): SyscallTree {
  const model = new Model();
  const entry: SyscallEntry = { chains: null, unconditional: null, present: false };
  rules.forEach((rule, i) => {
    try {
      model.addRule(entry, rule, i, wide);
    } catch (err) {
      if (err instanceof TreeConflict || err instanceof TreeHang) Object.assign(err, { at: i });
      throw err;
    }
  });
  return { root: entry.chains, unconditional: entry.unconditional, wide };
}

/** One comparison on the path to an outcome, and whether it held. */
export interface WordTest {
  readonly arg: number;
  readonly high: boolean;
  readonly op: NodeOp;
  readonly mask: number;
  readonly datum: number;
  readonly holds: boolean;
}

function wordOf(args: readonly bigint[], arg: number, high: boolean): number {
  const v = BigInt.asUintN(64, args[arg] ?? 0n);
  return Number(high ? v >> 32n : v & U32);
}

function compare(op: NodeOp, word: number, mask: number, datum: number): boolean {
  const w = (word & mask) >>> 0;
  return op === 'gt' ? w > datum : op === 'ge' ? w >= datum : w === datum;
}

/** What the accumulator holds: an argument word (`arg * 2 + 1` for an upper half) with the bits of `mask`. */
interface Acc {
  readonly word: number;
  readonly mask: number;
}

const sameAcc = (a: Acc | null, b: Acc | null): boolean => a !== null && b !== null && a.word === b.word && a.mask === b.mask;

/** Where a comparison's code goes on one side: another comparison, an action, or the default action. */
type Target = { readonly kind: 'block'; readonly block: Block } | { readonly kind: 'outcome'; readonly outcome: Outcome } | { readonly kind: 'default' };

/** The code libseccomp generates for one comparison at one place in the tree. */
interface Block {
  readonly node: TreeNode;
  /** What the generator assumed the accumulator holds on entry (null: nothing it relies on). */
  readonly assumed: Acc | null;
  /** The block loads its word itself. */
  readonly loads: boolean;
  /** The mask it applies (0xffffffff: none). */
  readonly andMask: number;
  /** What it leaves in the accumulator, as the generator assumes. */
  readonly leaves: Acc;
  /** Its content, with targets named by id: equal keys, equal blocks (a nested key would grow with the depth). */
  readonly key: string;
  /** Its number among the blocks of the filter. */
  readonly id: number;
  ifTrue: Target;
  ifFalse: Target;
  /** Set by the layout: a load was put in front of the block. */
  reloaded: boolean;
}

const targetKey = (t: Target): string => (t.kind === 'block' ? `b${t.block.id}` : t.kind === 'outcome' ? `r${t.outcome.code}` : 'd');

/**
 * The blocks libseccomp generates for the tree, deduplicated by content as libseccomp does, and the loads its
 * layout puts in front of some of them.
 *
 * The generator emits each comparison assuming the accumulator holds what the comparison generated before it
 * left there (the previous one on its level, or the one leading to its level: then only when that one did not
 * load by itself), and loads a word only when that assumption names another word or a narrower mask. The
 * layout then places blocks depth first from the syscall's test (a block's true target before its false one),
 * and puts a load in front of a block that relies on the accumulator when the block that places it left
 * something else there. A comparison that follows a nested level can be reached from the end of that level
 * with another word in the accumulator: without such a load it compares that word.
 */
function generatedCode(tree: SyscallTree, model: Model): Block | null {
  if (tree.root === null) return null;
  const unique = new Map<string, Block>();
  const level = (first: TreeNode, genIn: Acc | null, after: Target): Block => {
    const nodes: TreeNode[] = [];
    for (let c: TreeNode | null = levelStart(first, model); c !== null; c = c.next) {
      model.step();
      nodes.push(c);
    }
    // The generator's assumptions run through the level in order, whatever way the code reaches each block.
    const assumed: Array<Acc | null> = [];
    const shape: Array<{ loads: boolean; andMask: number; leaves: Acc }> = [];
    let gen = genIn;
    for (const c of nodes) {
      const word = c.arg * 2 + (c.high ? 1 : 0);
      const loads = gen === null || gen.word !== word || ((c.mask & gen.mask) >>> 0) !== c.mask;
      const loaded: Acc = loads || gen === null ? { word, mask: 0xffffffff } : gen;
      const andMask = c.mask !== loaded.mask ? c.mask : 0xffffffff;
      const leaves: Acc = andMask !== 0xffffffff ? { word, mask: c.mask } : loaded;
      assumed.push(gen);
      shape.push({ loads, andMask, leaves });
      gen = leaves;
    }
    let next: Target = after;
    for (let i = nodes.length - 1; i >= 0; i--) {
      model.step();
      const c = nodes[i]!;
      const { loads, andMask, leaves } = shape[i]!;
      const sideTarget = (sub: TreeNode | null, out: Outcome | null): Target =>
        sub !== null ? { kind: 'block', block: level(sub, loads ? null : assumed[i]!, next) } : out !== null ? { kind: 'outcome', outcome: out } : next;
      const ifTrue = sideTarget(c.onTrue, c.ifTrue);
      const ifFalse = sideTarget(c.onFalse, c.ifFalse);
      const key = `${c.arg}.${c.high ? 1 : 0}.${c.op}.${c.mask}.${c.datum}.${loads ? 1 : 0}.${andMask}(${targetKey(ifTrue)},${targetKey(ifFalse)})`;
      let block = unique.get(key);
      if (block === undefined) {
        block = { node: c, assumed: loads ? null : assumed[i]!, loads, andMask, leaves, key, id: unique.size, ifTrue, ifFalse, reloaded: false };
        unique.set(key, block);
      }
      next = { kind: 'block', block };
    }
    return (next as { block: Block }).block;
  };
  const head = level(tree.root, null, { kind: 'default' });
  const placed = new Set<Block>();
  const place = (b: Block, placerLeaves: Acc | null): void => {
    if (placed.has(b)) return;
    model.step();
    placed.add(b);
    if (!b.loads && !sameAcc(placerLeaves, b.assumed)) b.reloaded = true;
    for (const t of [b.ifTrue, b.ifFalse]) if (t.kind === 'block') place(t.block, b.leaves);
  };
  place(head, null);
  return head;
}

/** The comparison a block performs when the accumulator holds `held`: on which word, with which mask. */
function performedBy(b: Block, held: Acc | null): Acc {
  if (b.loads || b.reloaded) return b.leaves;
  const h = held ?? { word: -1, mask: 0xffffffff };
  return { word: h.word, mask: (h.mask & b.andMask) >>> 0 };
}

/** The word a key names (-1: the syscall number, the only thing the accumulator can hold before a load). */
function wordValue(args: readonly bigint[], key: number, nr: number): number {
  return key < 0 ? nr >>> 0 : wordOf(args, key >> 1, (key & 1) === 1);
}

/** The outcome libseccomp's filter reaches for a call's arguments, or undefined for the default action. */
export function treeVerdict(tree: SyscallTree, args: readonly bigint[], nr = 0): Outcome | undefined {
  if (tree.unconditional !== null) return tree.unconditional;
  const model = new Model();
  let t: Target = tree.root === null ? { kind: 'default' } : { kind: 'block', block: generatedCode(tree, model)! };
  let held: Acc | null = null;
  while (t.kind === 'block') {
    model.step();
    const b: Block = t.block;
    held = performedBy(b, held);
    t = compare(b.node.op, wordValue(args, held.word, nr), held.mask, b.node.datum) ? b.ifTrue : b.ifFalse;
  }
  return t.kind === 'outcome' ? t.outcome : undefined;
}

/** A way through the filter that ends in an outcome. */
export interface TreePath {
  readonly tests: WordTest[];
  readonly outcome: Outcome;
}

/**
 * Every way through libseccomp's filter for the tree that ends in an outcome, with the comparisons it performs
 * on the way and their results (the paths are disjoint, and a call that follows none gets the default action).
 * Paths whose comparisons contradict each other are left out where that is evident from the words' ranges. A
 * comparison of the syscall number has `arg` -1.
 */
export function treePaths(tree: SyscallTree): TreePath[] {
  if (tree.unconditional !== null) return [{ tests: [], outcome: tree.unconditional }];
  const model = new Model();
  const head = generatedCode(tree, model);
  const paths: TreePath[] = [];
  const walk = (t: Target, tests: WordTest[], held: Acc | null): void => {
    if (t.kind === 'default') return;
    if (t.kind === 'outcome') {
      paths.push({ tests, outcome: t.outcome });
      return;
    }
    model.step();
    const b = t.block;
    const now = performedBy(b, held);
    for (const holds of [true, false]) {
      // A masked test under a full mask is an equality.
      const op: NodeOp = b.node.op === 'masked_eq' && now.mask === 0xffffffff ? 'eq' : b.node.op;
      const test: WordTest = { arg: now.word < 0 ? -1 : now.word >> 1, high: (now.word & 1) === 1, op, mask: now.mask, datum: b.node.datum, holds };
      const known = decided(tests, test);
      if (known !== undefined && known !== holds) continue;
      const t2 = known === undefined ? [...tests, test] : tests;
      if (known === undefined && wordRange(t2.filter((x) => x.arg === test.arg && x.high === test.high)) === undefined) continue;
      walk(holds ? b.ifTrue : b.ifFalse, t2, now);
    }
  };
  if (head !== null) walk({ kind: 'block', block: head }, [], null);
  return paths;
}

/** Whether earlier tests on the same word already decide `test`: true, false, or undefined when they do not. */
function decided(tests: readonly WordTest[], test: WordTest): boolean | undefined {
  if (test.mask === 0) return compare(test.op, 0, 0, test.datum);
  // An equality whose constant has bits the mask clears never holds (a stale accumulator can meet one).
  if ((test.op === 'eq' || test.op === 'masked_eq') && ((test.datum & ~test.mask) >>> 0) !== 0) return false;
  const same = tests.filter((t) => t.arg === test.arg && t.high === test.high);
  if (same.length === 0) return undefined;
  for (const t of same) {
    if (t.op === test.op && t.mask === test.mask && t.datum === test.datum) return t.holds;
  }
  const r = wordRange(same);
  if (r === undefined) return undefined;
  const [lo, hi] = r;
  if (test.mask !== 0xffffffff) return lo === hi ? compare(test.op, lo, test.mask, test.datum) : undefined;
  if (test.op === 'gt') return lo > test.datum ? true : hi <= test.datum ? false : undefined;
  if (test.op === 'ge') return lo >= test.datum ? true : hi < test.datum ? false : undefined;
  if (test.datum < lo || test.datum > hi) return false;
  if (lo === hi) return true;
  return undefined;
}

/** The range a word is confined to by its whole-word tests (undefined when it is empty). */
export function wordRange(tests: readonly WordTest[]): [number, number] | undefined {
  let lo = 0;
  let hi = 0xffffffff;
  for (const t of tests) {
    if (t.mask !== 0xffffffff) continue;
    if (t.op === 'gt') {
      if (t.holds) lo = Math.max(lo, t.datum + 1);
      else hi = Math.min(hi, t.datum);
    } else if (t.op === 'ge') {
      if (t.holds) lo = Math.max(lo, t.datum);
      else hi = Math.min(hi, t.datum - 1);
    } else if (t.holds) {
      lo = Math.max(lo, t.datum);
      hi = Math.min(hi, t.datum);
    }
  }
  return lo > hi ? undefined : [lo, hi];
}
