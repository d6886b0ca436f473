/**
 * Algebra on policies: the intersection (the inputs stacked as filters, as the kernel combines them) and the merge
 * (the least restrictive verdict) of several policies, each as one policy whose verdict equals the combination
 * for every call.
 *
 * How: per ABI and syscall number, every argument's value space is cut into cells at the constants of all the
 * conditions (a 64-bit argument compared both as 64 and as 32 bits is seen as its upper and lower halves), masked
 * comparisons split cells further by their truth values, and the combined verdict is computed once per cell. Cells
 * with the same outcome are joined back (adjacent ranges merged), and the cells whose verdict differs from the
 * result's default become rules. Everything is exact; what one policy cannot express is refused with a
 * {@link AlgebraError} saying why.
 */
import { compareActions, encodeAction, type Action } from '../syscalls/actions.js';
import { LINUX_ARCHES, LINUX_ARCH_NAMES, SKIPPED_SYSCALL_NR, type LinuxArchName } from '../syscalls/arch.js';
import type { ArgIndex } from '../bpf/seccomp-data.js';
import { compareVerdicts } from './precedence.js';
import { resolvePolicy, type ResolvedPolicy, type ResolvedRule } from './resolve.js';
import { formatAction, lookupSyscall, syscallName } from '../syscalls/index.js';
import type { ArgCondition, Policy, Rule, SyscallRef } from './types.js';

/** The inputs cannot be combined into one policy exactly; the message says why. */
export class AlgebraError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AlgebraError';
  }
}

const U32 = 0xffffffffn;
const U64 = (1n << 64n) - 1n;
const ENOSYS_ACTION: Action = { kind: 'ERRNO', data: 38 };
/** Masked comparisons on one argument half beyond which the cell split is refused (it doubles with each). */
const MAX_MASKS = 10;
/** Rules one cell may need (a negated masked comparison is a disjunction over its bits). */
const MAX_TERMS = 256;

type Mode = 'intersect' | 'merge';

/**
 * The kernel's combination of stacked filters' verdicts, oldest first: the strongest action wins, and among
 * equal actions the newest filter's data (`seccomp_run_filters` keeps a value only when strictly lower).
 */
function strictest(actions: readonly Action[]): Action {
  let kept: Action = { kind: 'ALLOW' };
  for (let i = actions.length - 1; i >= 0; i--) if (compareActions(actions[i]!, kept) < 0) kept = actions[i]!;
  return kept;
}

/** The least restrictive verdict: the weakest action wins, and among equal actions the first input's data. */
function loosest(actions: readonly Action[]): Action {
  let kept = actions[0]!;
  for (const a of actions.slice(1)) if (compareActions(a, kept) > 0) kept = a;
  return kept;
}

const same = (a: Action, b: Action): boolean => encodeAction(a) === encodeAction(b);
const actionKey = (a: Action): string => encodeAction(a).toString(16);

// ---------------------------------------------------------------------------------------------------------------
// Value sets on one coordinate (an argument, or the upper or lower half of one)

type Interval = readonly [bigint, bigint];

/** One coordinate of the argument space: a whole argument, or its upper or lower 32 bits. */
interface Coord {
  readonly arg: ArgIndex;
  readonly part: 'full' | 'hi' | 'lo';
  /** Largest value (2^64 - 1 for a whole 64-bit argument, else 2^32 - 1). */
  readonly max: bigint;
  /** Width of conditions written on it: 32 for a lower half of a 64-bit argument. */
  readonly width?: 32;
}

/** An internal condition on one coordinate; `wide` is a 64-bit condition on an argument seen as two halves. */
type Cond =
  | { readonly coord: number; readonly kind: 'set'; readonly set: readonly Interval[] }
  | { readonly coord: number; readonly kind: 'mask'; readonly mask: bigint; readonly value: bigint }
  | { readonly coord: number; readonly kind: 'wide'; readonly set: readonly Interval[] };

function opSet(op: ArgCondition['op'], v: bigint, max: bigint): Interval[] {
  switch (op) {
    case 'eq': return v <= max ? [[v, v]] : [];
    case 'ne': return v > max ? [[0n, max]] : ([[0n, v - 1n], [v + 1n, max]] as Interval[]).filter(([a, b]) => a <= b);
    case 'lt': return v === 0n ? [] : [[0n, v - 1n > max ? max : v - 1n]];
    case 'le': return [[0n, v > max ? max : v]];
    case 'gt': return v >= max ? [] : [[v + 1n, max]];
    case 'ge': return v > max ? [] : [[v, max]];
    default: throw new Error(`not an ordered comparison: ${op}`);
  }
}

const inSet = (set: readonly Interval[], x: bigint): boolean => set.some(([a, b]) => a <= x && x <= b);

/** Builds a set condition: `true` when it always holds, `false` when never. */
function setCond(coord: number, set: readonly Interval[], max: bigint): Cond | boolean {
  if (set.length === 0) return false;
  if (set.length === 1 && set[0]![0] === 0n && set[0]![1] === max) return true;
  return { coord, kind: 'set', set };
}

function maskCond(coord: number, mask: bigint, value: bigint, max: bigint): Cond | boolean {
  if (value > max) return false;
  const m = mask & max;
  if ((value & ~m) !== 0n) return false;
  if (m === 0n) return true;
  // A mask of high bits only (every bit, at the extreme) is a range: exact, and cheaper than a mask.
  const low = max ^ m;
  if ((low & (low + 1n)) === 0n) return setCond(coord, [[value, value | low]], max);
  return { coord, kind: 'mask', mask: m, value };
}

/**
 * Whether some x in [a, b] has `(x & pos.mask) == pos.value` and `(x & n.mask) != n.value` for every n in negs:
 * a search over the bits from the top, remembering which range bounds are still tight and which negated
 * comparisons are still all equal.
 */
function feasible(a: bigint, b: bigint, bits: number, pos: { mask: bigint; value: bigint }, negs: readonly { mask: bigint; value: bigint }[]): boolean {
  if (a > b) return false;
  const memo = new Map<string, boolean>();
  const all = (1 << negs.length) - 1;
  const rec = (i: number, lowTight: boolean, highTight: boolean, live: number): boolean => {
    if (i < 0) return live === 0;
    if (!lowTight && !highTight && live === 0) return true;
    const key = `${i} ${lowTight ? 1 : 0}${highTight ? 1 : 0} ${live}`;
    const known = memo.get(key);
    if (known !== undefined) return known;
    const bit = 1n << BigInt(i);
    let found = false;
    for (const c of [0n, bit]) {
      if ((pos.mask & bit) !== 0n && (pos.value & bit) !== c) continue;
      if (lowTight && c < (a & bit)) continue;
      if (highTight && c > (b & bit)) continue;
      let next = live;
      negs.forEach((n, j) => {
        if ((next & (1 << j)) !== 0 && (n.mask & bit) !== 0n && (n.value & bit) !== c) next &= ~(1 << j);
      });
      if (rec(i - 1, lowTight && c === (a & bit), highTight && c === (b & bit), next)) {
        found = true;
        break;
      }
    }
    memo.set(key, found);
    return found;
  };
  return rec(bits - 1, true, true, all);
}

// ---------------------------------------------------------------------------------------------------------------
// The combined verdict of one syscall as a decision diagram over the coordinates

interface IRule {
  readonly action: Action;
  readonly conds: readonly Cond[];
}

/** What one input decides for one syscall number: a constant, or its rules over a background verdict. */
type Piece = { readonly kind: 'const'; readonly action: Action } | { readonly kind: 'rules'; readonly rules: readonly IRule[]; readonly background: Action };

/** A cell of one coordinate: a range, and the truth of each masked comparison on it (undefined when none). */
interface Atom {
  readonly range: Interval;
  readonly truth?: ReadonlyMap<string, boolean>;
}

type Tree =
  | { readonly id: number; readonly kind: 'leaf'; readonly action: Action }
  | { readonly id: number; readonly kind: 'node'; readonly coord: number; readonly branches: readonly { readonly terms: readonly (readonly ArgCondition[])[]; readonly child: Tree }[] };

const maskKey = (c: { mask: bigint; value: bigint }): string => `${c.mask.toString(16)}/${c.value.toString(16)}`;

function condKey(c: Cond): string {
  switch (c.kind) {
    case 'set':
    case 'wide': return `${c.coord}${c.kind[0]}${c.set.map(([a, b]) => `${a.toString(16)}-${b.toString(16)}`).join(',')}`;
    case 'mask': return `${c.coord}m${maskKey(c)}`;
  }
}

function pieceKey(p: Piece): string {
  if (p.kind === 'const') return `C${actionKey(p.action)}`;
  return `R${actionKey(p.background)}[${p.rules.map((r) => `${actionKey(r.action)}:${r.conds.map(condKey).join('&')}`).join(';')}]`;
}

/** Builds the decision diagrams of one ABI's syscalls (shared nodes, so equal outcomes compare by id). */
class DiagramBuilder {
  private readonly nodes = new Map<string, Tree>();
  private readonly memo = new Map<string, Tree>();

  constructor(private readonly coords: readonly Coord[], private readonly combine: (actions: readonly Action[]) => Action) {}

  private intern(key: string, make: (id: number) => Tree): Tree {
    let t = this.nodes.get(key);
    if (t === undefined) {
      t = make(this.nodes.size);
      this.nodes.set(key, t);
    }
    return t;
  }

  leaf(action: Action): Tree {
    return this.intern(`L${actionKey(action)}`, (id) => ({ id, kind: 'leaf', action }));
  }

  build(k: number, pieces: readonly Piece[]): Tree {
    if (k === this.coords.length) {
      return this.leaf(this.combine(pieces.map((p) => {
        if (p.kind === 'const') return p.action;
        let verdict: Action | undefined;
        for (const r of p.rules) if (verdict === undefined || compareVerdicts(r.action, verdict) < 0) verdict = r.action;
        return verdict ?? p.background;
      })));
    }
    const key = `${k}|${pieces.map(pieceKey).join('|')}`;
    const known = this.memo.get(key);
    if (known !== undefined) return known;
    const conds = pieces.flatMap((p) => (p.kind === 'rules' ? p.rules.flatMap((r) => r.conds.filter((c) => c.coord === k)) : []));
    let tree: Tree;
    if (conds.length === 0) {
      tree = this.build(k + 1, pieces);
    } else {
      const atoms = this.atoms(k, conds);
      const children = atoms.map((atom) => this.build(k + 1, pieces.map((p) => specialise(p, k, atom))));
      const groups = new Map<number, { child: Tree; atoms: Atom[] }>();
      atoms.forEach((atom, i) => {
        const child = children[i]!;
        const g = groups.get(child.id);
        if (g === undefined) groups.set(child.id, { child, atoms: [atom] });
        else g.atoms.push(atom);
      });
      if (groups.size === 1) {
        tree = children[0]!;
      } else {
        const branches = [...groups.values()].map((g) => ({ terms: this.region(k, g.atoms, atoms), child: g.child }));
        const nodeKey = `N${k}:${branches.map((b) => `${b.child.id}=${JSON.stringify(b.terms, (_, v) => (typeof v === 'bigint' ? v.toString(16) : v))}`).join(';')}`;
        tree = this.intern(nodeKey, (id) => ({ id, kind: 'node', coord: k, branches }));
      }
    }
    this.memo.set(key, tree);
    return tree;
  }

  /** The cells of coordinate k: ranges cut at every constant, split by the truth of each masked comparison. */
  private atoms(k: number, conds: readonly Cond[]): Atom[] {
    const { max } = this.coords[k]!;
    const cuts = new Set<bigint>([0n]);
    const masks = new Map<string, { mask: bigint; value: bigint }>();
    const cut = (x: bigint): void => {
      if (x <= max) cuts.add(x);
    };
    for (const c of conds) {
      if (c.kind === 'set') for (const [a, b] of c.set) { cut(a); cut(b + 1n); }
      else if (c.kind === 'wide') {
        for (const [a, b] of c.set) for (const h of [a >> 32n, b >> 32n]) { cut(h); cut(h + 1n); }
      } else masks.set(maskKey(c), c);
    }
    const sorted = [...cuts].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
    const ranges: Interval[] = sorted.map((a, i) => [a, i + 1 < sorted.length ? sorted[i + 1]! - 1n : max]);
    if (masks.size === 0) return ranges.map((range) => ({ range }));
    if (masks.size > MAX_MASKS) {
      const c = this.coords[k]!;
      throw new AlgebraError(`argument ${c.arg} of one syscall is compared with more than ${MAX_MASKS} different masks, too many to combine exactly`);
    }
    const bits = max === U64 ? 64 : 32;
    const list = [...masks.entries()];
    const atoms: Atom[] = [];
    for (const range of ranges) {
      const walk = (j: number, pos: { mask: bigint; value: bigint }, negs: { mask: bigint; value: bigint }[], truth: Map<string, boolean>): void => {
        if (j === list.length) {
          atoms.push({ range, truth: new Map(truth) });
          return;
        }
        const [key, m] = list[j]!;
        const overlap = pos.mask & m.mask;
        if ((pos.value & overlap) === (m.value & overlap)) {
          const withIt = { mask: pos.mask | m.mask, value: pos.value | m.value };
          if (feasible(range[0], range[1], bits, withIt, negs)) walk(j + 1, withIt, negs, new Map(truth).set(key, true));
        }
        if (feasible(range[0], range[1], bits, pos, [...negs, m])) walk(j + 1, pos, [...negs, m], new Map(truth).set(key, false));
      };
      walk(0, { mask: 0n, value: 0n }, [], new Map());
    }
    return atoms;
  }

  /** The conditions (a disjunction of conjunctions) describing a group of cells of coordinate k. */
  private region(k: number, group: readonly Atom[], all: readonly Atom[]): ArgCondition[][] {
    const coord = this.coords[k]!;
    const rangeKey = (r: Interval): string => `${r[0]}-${r[1]}`;
    const total = new Map<string, number>();
    for (const a of all) total.set(rangeKey(a.range), (total.get(rangeKey(a.range)) ?? 0) + 1);
    const inGroup = new Map<string, Atom[]>();
    for (const a of group) inGroup.set(rangeKey(a.range), [...(inGroup.get(rangeKey(a.range)) ?? []), a]);
    // Ranges whose every cell is in the group need no masked comparison; adjacent ones merge.
    const whole: Interval[] = [];
    const partial: Atom[] = [];
    for (const [key, atoms] of inGroup) {
      if (atoms.length === total.get(key)) whole.push(atoms[0]!.range);
      else partial.push(...atoms);
    }
    whole.sort((x, y) => (x[0] < y[0] ? -1 : 1));
    const merged: [bigint, bigint][] = [];
    for (const [a, b] of whole) {
      const last = merged[merged.length - 1];
      if (last !== undefined && last[1] + 1n === a) last[1] = b;
      else merged.push([a, b]);
    }
    const terms: ArgCondition[][] = [];
    if (partial.length === 0 && coord.part !== 'hi' && merged.length === 2 && merged[0]![0] === 0n && merged[1]![1] === coord.max &&
      merged[0]![1] + 2n === merged[1]![0]) {
      return [[this.condition(coord, 'ne', merged[0]![1] + 1n)]];
    }
    for (const r of merged) terms.push(this.rangeConditions(coord, r));
    for (const atom of partial) terms.push(...this.maskedTerms(coord, atom));
    return terms;
  }

  private condition(coord: Coord, op: ArgCondition['op'], value: bigint): ArgCondition {
    if (op === 'masked_eq') throw new Error('masked_eq needs a mask');
    return { arg: coord.arg, op, value, ...(coord.width !== undefined && { width: coord.width }) } as ArgCondition;
  }

  private rangeConditions(coord: Coord, [a, b]: Interval): ArgCondition[] {
    if (coord.part === 'hi') {
      const out: ArgCondition[] = [];
      if (a > 0n) out.push(this.condition(coord, 'ge', a << 32n));
      if (b < U32) out.push(this.condition(coord, 'le', (b << 32n) | U32));
      return out;
    }
    if (a === b) return [this.condition(coord, 'eq', a)];
    const out: ArgCondition[] = [];
    if (a > 0n) out.push(this.condition(coord, 'ge', a));
    if (b < coord.max) out.push(this.condition(coord, 'le', b));
    return out;
  }

  private maskCondition(coord: Coord, m: { mask: bigint; value: bigint }): ArgCondition {
    const shift = coord.part === 'hi' ? 32n : 0n;
    return { arg: coord.arg, op: 'masked_eq', mask: m.mask << shift, value: m.value << shift, ...(coord.width !== undefined && { width: coord.width }) };
  }

  /** One cell with masked comparisons: a negated one is a disjunction (some bit of its mask differs). */
  private maskedTerms(coord: Coord, atom: Atom): ArgCondition[][] {
    const [a, b] = atom.range;
    const bits = coord.max === U64 ? 64 : 32;
    let pos = { mask: 0n, value: 0n };
    const negsAll: { mask: bigint; value: bigint }[] = [];
    for (const [key, holds] of atom.truth ?? []) {
      const [m, v] = key.split('/').map((h) => BigInt(`0x${h}`)) as [bigint, bigint];
      if (holds) pos = { mask: pos.mask | m, value: pos.value | v };
      else negsAll.push({ mask: m, value: v });
    }
    // A negated comparison that cannot hold in the range together with the others is implied: dropped.
    const negs = negsAll.filter((n) => {
      const overlap = pos.mask & n.mask;
      if ((pos.value & overlap) !== (n.value & overlap)) return false;
      return feasible(a, b, bits, { mask: pos.mask | n.mask, value: pos.value | n.value }, []);
    });
    if (pos.mask !== 0n && !feasible(a, b, bits, { mask: 0n, value: 0n }, [...negs, pos])) pos = { mask: 0n, value: 0n };
    let combos: { mask: bigint; value: bigint }[] = [pos];
    for (const n of negs) {
      const next: { mask: bigint; value: bigint }[] = [];
      for (const c of combos) {
        for (let i = 0; i < bits; i++) {
          const bit = 1n << BigInt(i);
          if ((n.mask & bit) === 0n) continue;
          const want = (n.value & bit) ^ bit;
          if ((c.mask & bit) !== 0n) {
            if ((c.value & bit) === want) { next.push(c); break; }
            continue;
          }
          next.push({ mask: c.mask | bit, value: c.value | want });
        }
      }
      const unique = new Map(next.map((c) => [maskKey(c), c]));
      combos = [...unique.values()].filter((c) => feasible(a, b, bits, c, []));
      // A combination implied by a looser one is redundant.
      combos = combos.filter((c) => !combos.some((d) => d !== c && (d.mask & c.mask) === d.mask && (c.value & d.mask) === d.value && d.mask !== c.mask));
      if (combos.length > MAX_TERMS) {
        throw new AlgebraError(`argument ${coord.arg} of one syscall needs more than ${MAX_TERMS} rules to express a negated masked comparison`);
      }
    }
    const range = a === 0n && b === coord.max ? [] : this.rangeConditions(coord, [a, b]);
    return combos.map((c) => (c.mask === 0n || a === b ? range : [...range, this.maskCondition(coord, c)]));
  }
}

/** A piece with coordinate k fixed to one cell: conditions on it become true or false (or, for `wide`, a lower-half condition). */
function specialise(p: Piece, k: number, atom: Atom): Piece {
  if (p.kind === 'const') return p;
  const rules: IRule[] = [];
  outer: for (const r of p.rules) {
    const conds: Cond[] = [];
    for (const c of r.conds) {
      if (c.coord !== k) {
        conds.push(c);
        continue;
      }
      let holds: Cond | boolean;
      if (c.kind === 'set') holds = inSet(c.set, atom.range[0]);
      else if (c.kind === 'mask') holds = atom.truth?.get(maskKey(c)) === true;
      else if (atom.range[0] === atom.range[1]) {
        const base = atom.range[0] << 32n;
        const slice: Interval[] = [];
        for (const [a, b] of c.set) {
          const lo = a > base ? a : base;
          const hi = b < (base | U32) ? b : base | U32;
          if (lo <= hi) slice.push([lo - base, hi - base]);
        }
        holds = setCond(k + 1, slice, U32);
      } else holds = inSet(c.set, atom.range[0] << 32n);
      if (holds === false) continue outer;
      if (holds !== true) conds.push(holds);
    }
    rules.push({ action: r.action, conds });
  }
  return { kind: 'rules', rules, background: p.background };
}

/** The coordinates of one syscall's arguments on one ABI, given every condition that names them. */
function coordinatesOf(abi: LinuxArchName, conditions: readonly ArgCondition[]): { coords: Coord[]; index: Map<string, number> } {
  const wordSize = LINUX_ARCHES[abi].wordSize;
  const widths = new Map<number, Set<number>>();
  for (const c of conditions) widths.set(c.arg, (widths.get(c.arg) ?? new Set()).add(c.width ?? 64));
  const coords: Coord[] = [];
  const index = new Map<string, number>();
  const add = (c: Coord): void => {
    index.set(`${c.arg}${c.part}`, coords.length);
    coords.push(c);
  };
  for (const arg of [...widths.keys()].sort((x, y) => x - y) as ArgIndex[]) {
    const w = widths.get(arg)!;
    if (wordSize === 32) add({ arg, part: 'full', max: U32 });
    else if (!w.has(32)) add({ arg, part: 'full', max: U64 });
    else if (!w.has(64)) add({ arg, part: 'lo', max: U32, width: 32 });
    else {
      add({ arg, part: 'hi', max: U32 });
      add({ arg, part: 'lo', max: U32, width: 32 });
    }
  }
  return { coords, index };
}

/** A policy condition as internal conditions on the coordinates (`false`: it never holds). */
function toConds(c: ArgCondition, coords: readonly Coord[], index: ReadonlyMap<string, number>): Cond[] | false {
  const out: Cond[] = [];
  const push = (x: Cond | boolean): boolean => {
    if (x === false) return false;
    if (x !== true) out.push(x);
    return true;
  };
  const full = index.get(`${c.arg}full`);
  const lo = index.get(`${c.arg}lo`);
  const hi = index.get(`${c.arg}hi`);
  // The whole argument (a 32-bit ABI's, or a 64-bit one compared at one width only), or the lower half at width 32.
  const single = full ?? (c.width === 32 || hi === undefined ? lo : undefined);
  if (single !== undefined) {
    const max = coords[single]!.max;
    const ok = c.op === 'masked_eq' ? push(maskCond(single, c.mask, c.value, max)) : push(setCond(single, opSet(c.op, c.value, max), max));
    return ok ? out : false;
  }
  // A 64-bit condition on an argument also compared at width 32: its halves.
  const h = hi!;
  const l = lo!;
  if (c.op === 'masked_eq') {
    return push(maskCond(h, c.mask >> 32n, c.value >> 32n, U32)) && push(maskCond(l, c.mask & U32, c.value & U32, U32)) ? out : false;
  }
  if (c.op === 'eq') {
    return push(setCond(h, [[c.value >> 32n, c.value >> 32n]], U32)) && push(setCond(l, [[c.value & U32, c.value & U32]], U32)) ? out : false;
  }
  const set = opSet(c.op, c.value, U64);
  if (set.length === 0) return false;
  if (set.length === 1 && set[0]![0] === 0n && set[0]![1] === U64) return out;
  out.push({ coord: h, kind: 'wide', set });
  return out;
}

/**
 * Conditions on an argument split into halves, written back as 64-bit ones where the upper half is one value:
 * `hi == h` with `lo` in [a, b] is the 64-bit range [h:a, h:b], and a mask on the lower half needs no width then.
 */
function joinHalves(conditions: readonly ArgCondition[], split: ReadonlySet<number>): ArgCondition[] {
  let out = [...conditions];
  for (const arg of split) {
    const mine = out.filter((c) => c.arg === arg);
    const high = mine.filter((c) => c.width !== 32);
    const low = mine.filter((c) => c.width === 32);
    if (high.some((c) => c.op !== 'ge' && c.op !== 'le') || low.some((c) => c.op === 'ne' || c.op === 'lt' || c.op === 'gt')) continue;
    const hiMin = high.filter((c) => c.op === 'ge').reduce((m, c) => (c.value >> 32n > m ? c.value >> 32n : m), 0n);
    const hiMax = high.filter((c) => c.op === 'le').reduce((m, c) => (c.value >> 32n < m ? c.value >> 32n : m), U32);
    if (hiMin !== hiMax) continue;
    const base = hiMin << 32n;
    let loMin = 0n;
    let loMax = U32;
    const masks: ArgCondition[] = [];
    for (const c of low) {
      if (c.op === 'eq') { loMin = c.value; loMax = c.value; }
      else if (c.op === 'ge') loMin = c.value > loMin ? c.value : loMin;
      else if (c.op === 'le') loMax = c.value < loMax ? c.value : loMax;
      else if (c.op === 'masked_eq') masks.push({ arg: c.arg, op: 'masked_eq', mask: c.mask, value: c.value });
    }
    const joined: ArgCondition[] = [];
    const lo = base | loMin;
    const hi = base | loMax;
    if (lo === hi) joined.push({ arg: arg as ArgIndex, op: 'eq', value: lo });
    else {
      if (lo > 0n) joined.push({ arg: arg as ArgIndex, op: 'ge', value: lo });
      if (hi < U64) joined.push({ arg: arg as ArgIndex, op: 'le', value: hi });
    }
    if (lo !== hi) joined.push(...masks);
    const at = out.findIndex((c) => c.arg === arg);
    out = [...out.slice(0, at).filter((c) => c.arg !== arg), ...joined, ...out.slice(at).filter((c) => c.arg !== arg)];
  }
  return out;
}

/** The rules (action and conditions) giving `tree` over a background verdict. */
function rulesOf(tree: Tree, background: Action, split: ReadonlySet<number> = new Set()): { action: Action; conditions: ArgCondition[] }[] {
  const out: { action: Action; conditions: ArgCondition[] }[] = [];
  const walk = (t: Tree, path: readonly ArgCondition[]): void => {
    if (t.kind === 'leaf') {
      if (!same(t.action, background)) out.push({ action: t.action, conditions: split.size > 0 ? joinHalves(path, split) : [...path] });
      if (out.length > MAX_TERMS * 16) throw new AlgebraError(`one syscall would need more than ${MAX_TERMS * 16} rules`);
      return;
    }
    for (const b of t.branches) for (const term of b.terms) walk(b.child, [...path, ...term]);
  };
  walk(tree, []);
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Whole policies

const conditionText = (c: ArgCondition): string =>
  `${c.arg}${c.op}${c.value.toString(16)}${c.op === 'masked_eq' ? `/${c.mask.toString(16)}` : ''}${c.width === 32 ? 'w' : ''}`;

function refLabel(ref: SyscallRef): string {
  return typeof ref === 'string' ? ref : `~${LINUX_ARCH_NAMES.indexOf(ref.arch).toString().padStart(2, '0')}:${ref.nr.toString(16).padStart(8, '0')}`;
}

function combinePolicies(policies: readonly Policy[], mode: Mode): Policy {
  if (policies.length === 0) throw new AlgebraError(`${mode}: no policies to combine`);
  const combine = mode === 'intersect' ? strictest : loosest;
  const resolved: ResolvedPolicy[] = policies.map((p) => resolvePolicy(p));
  const badArch = combine(resolved.map((r) => r.badArchAction));
  const union = LINUX_ARCH_NAMES.filter((a) => resolved.some((r) => r.abis.some((x) => x.arch === a)));

  interface AbiResult {
    readonly arch: LinuxArchName;
    readonly low: Action;
    readonly high: Action;
    readonly maxKnownNr: number;
    readonly trees: Map<number, Tree>;
    /** Per number, the arguments seen as two halves. */
    readonly splits: Map<number, Set<number>>;
  }
  const results: AbiResult[] = union.map((arch) => {
    const abis = resolved.map((r) => r.abis.find((x) => x.arch === arch));
    const maxKnownNr = abis.find((x) => x !== undefined)!.maxKnownNr;
    const numbers = new Set<number>();
    for (const abi of abis) for (const nr of abi?.rules.keys() ?? []) numbers.add(nr);
    if (arch === 'x32') numbers.add(SKIPPED_SYSCALL_NR);
    const low = combine(resolved.map((r, i) => (abis[i] !== undefined ? r.defaultAction : r.badArchAction)));
    const high = combine(resolved.map((r, i) => (abis[i] === undefined ? r.badArchAction : r.enosysGuard ? ENOSYS_ACTION : r.defaultAction)));
    const trees = new Map<number, Tree>();
    const splits = new Map<number, Set<number>>();
    for (const nr of [...numbers].sort((x, y) => x - y)) {
      const rulesPer = abis.map((abi) => abi?.rules.get(nr) ?? []);
      const { coords, index } = coordinatesOf(arch, rulesPer.flat().flatMap((r) => r.conditions));
      const builder = new DiagramBuilder(coords, combine);
      const pieces: Piece[] = resolved.map((r, i): Piece => {
        const abi = abis[i];
        if (abi === undefined) {
          const skipped = arch === 'x32' && nr === SKIPPED_SYSCALL_NR && r.abis.some((x) => x.arch === 'x86_64');
          return { kind: 'const', action: skipped ? r.defaultAction : r.badArchAction };
        }
        const rules: IRule[] = [];
        for (const rule of rulesPer[i] as readonly ResolvedRule[]) {
          const conds: Cond[] = [];
          let never = false;
          for (const c of rule.conditions) {
            const cs = toConds(c, coords, index);
            if (cs === false) never = true;
            else conds.push(...cs);
          }
          if (!never) rules.push({ action: rule.action, conds });
        }
        return { kind: 'rules', rules, background: r.enosysGuard && nr > abi.maxKnownNr ? ENOSYS_ACTION : r.defaultAction };
      });
      trees.set(nr, builder.build(0, pieces));
      splits.set(nr, new Set(coords.filter((c) => c.part === 'hi').map((c) => c.arg)));
    }
    return { arch, low, high, maxKnownNr, trees, splits };
  });

  const constantly = (t: Tree, a: Action): boolean => t.kind === 'leaf' && same(t.action, a);
  const trivial = (r: AbiResult, skipped: Action): boolean => same(r.low, badArch) && same(r.high, badArch) &&
    [...r.trees].every(([nr, t]) => constantly(t, r.arch === 'x32' && nr === SKIPPED_SYSCALL_NR ? skipped : badArch));
  // ABIs whose every call gets the bad-arch verdict are left out (x32 last: its nr -1 depends on x86_64's default).
  let covered = results.filter((r) => r.arch !== 'x32' && !trivial(r, badArch));
  const x32 = results.find((r) => r.arch === 'x32');
  let defaultAction = covered[0]?.low ?? x32?.low ?? results[0]!.low;
  if (x32 !== undefined && !trivial(x32, covered.some((r) => r.arch === 'x86_64') ? defaultAction : badArch)) covered.push(x32);
  if (covered.length === 0) {
    covered = [results[0]!];
    defaultAction = results[0]!.low;
  }
  covered.sort((x, y) => LINUX_ARCH_NAMES.indexOf(x.arch) - LINUX_ARCH_NAMES.indexOf(y.arch));

  const differing = covered.find((r) => !same(r.low, defaultAction));
  if (differing !== undefined) {
    throw new AlgebraError(`${mode}: the result would need a different default action per ABI (${formatAction(covered[0]!.low)} on ` +
      `${covered[0]!.arch}, ${formatAction(differing.low)} on ${differing.arch}), and a policy has one; give every input the same ABIs`);
  }
  const guarded = covered.filter((r) => !same(r.high, defaultAction));
  const enosysGuard = guarded.length > 0;
  if (enosysGuard) {
    const odd = covered.find((r) => !same(r.high, ENOSYS_ACTION));
    if (odd !== undefined) {
      throw new AlgebraError(`${mode}: on ${odd.arch}, numbers above the syscall table would need ${formatAction(odd.high)}, ` +
        `neither the default ${formatAction(defaultAction)} nor the ENOSYS guard's ERRNO(ENOSYS) (${guarded[0]!.arch} needs the guard)`);
    }
  }

  // Rules per ABI and number, then by name where every covered ABI that knows the name agrees.
  const perNumber = new Map<LinuxArchName, Map<number, { rules: { action: Action; conditions: ArgCondition[] }[]; key: string }>>();
  for (const r of covered) {
    const m = new Map<number, { rules: { action: Action; conditions: ArgCondition[] }[]; key: string }>();
    for (const [nr, tree] of r.trees) {
      const background = enosysGuard && nr > r.maxKnownNr ? ENOSYS_ACTION : defaultAction;
      const rules = rulesOf(tree, background, r.splits.get(nr));
      if (rules.length === 0) continue;
      const key = rules.map((x) => `${actionKey(x.action)}:${x.conditions.map(conditionText).join('&')}`).sort().join('|');
      m.set(nr, { rules, key });
    }
    perNumber.set(r.arch, m);
  }
  const out = new Map<string, { action: Action; conditions: ArgCondition[]; syscalls: SyscallRef[] }>();
  const emit = (ref: SyscallRef, rules: readonly { action: Action; conditions: ArgCondition[] }[]): void => {
    for (const rule of rules) {
      const key = `${actionKey(rule.action)}:${rule.conditions.map(conditionText).join('&')}`;
      const entry = out.get(key);
      if (entry === undefined) out.set(key, { ...rule, syscalls: [ref] });
      else if (!entry.syscalls.some((s) => refLabel(s) === refLabel(ref))) entry.syscalls.push(ref);
    }
  };
  const byName = new Set<string>();
  for (const r of covered) {
    for (const [nr, entry] of perNumber.get(r.arch)!) {
      const name = syscallName(r.arch, nr);
      if (name !== undefined && !byName.has(name)) {
        const agree = covered.every((o) => {
          const n = lookupSyscall(o.arch, name)?.nr;
          return n === undefined || perNumber.get(o.arch)!.get(n)?.key === entry.key;
        });
        if (agree) {
          byName.add(name);
          emit(name, entry.rules);
          continue;
        }
      }
      if (name !== undefined && byName.has(name)) continue;
      emit({ arch: r.arch, nr }, entry.rules);
    }
  }
  const rules: Rule[] = [...out.values()].map((e) => {
    const syscalls = [...e.syscalls].sort((x, y) => (refLabel(x) < refLabel(y) ? -1 : refLabel(x) > refLabel(y) ? 1 : 0));
    return { syscalls, action: e.action, ...(e.conditions.length > 0 && { conditions: e.conditions }) };
  });
  rules.sort((x, y) => {
    const a = refLabel(x.syscalls[0]!);
    const b = refLabel(y.syscalls[0]!);
    if (a !== b) return a < b ? -1 : 1;
    const byAction = compareVerdicts(x.action, y.action);
    if (byAction !== 0) return byAction;
    const ca = (x.conditions ?? []).map(conditionText).join('&');
    const cb = (y.conditions ?? []).map(conditionText).join('&');
    return ca < cb ? -1 : ca > cb ? 1 : 0;
  });
  let result: Policy = {
    defaultAction,
    arches: covered.map((r) => r.arch),
    badArchAction: badArch,
    ...(enosysGuard && { enosysGuard: true }),
    rules,
  };
  // The socketcall verdicts are already the inputs' (their own implicit denials included): nothing may be added.
  if (resolvePolicy(result).warnings.some((w) => w.code === 'socketcall-denied')) result = { ...result, allowSocketcallHole: true };
  return result;
}

/**
 * The policy whose verdict for every call equals the kernel's verdict for the inputs installed together as
 * filters, oldest first: the strongest action wins, and among equal actions the last input's data.
 */
export function intersectPolicies(policies: readonly Policy[]): Policy {
  return combinePolicies(policies, 'intersect');
}

/**
 * The policy whose verdict for every call is the least restrictive of the inputs' verdicts: the weakest action
 * wins (ALLOW over LOG over TRACE … over KILL_PROCESS), and among equal actions the first input's data.
 */
export function mergePolicies(policies: readonly Policy[]): Policy {
  return combinePolicies(policies, 'merge');
}
