/**
 * Shared tails: two instructions that do the same thing and continue at the same places are one instruction.
 * Applied from the end of the program backwards, this leaves one return per distinct verdict and emits every
 * identical argument check once. Branches whose two edges meet are dropped on the way.
 *
 * A straight-line instruction must be followed by its successor, so when it cannot join a shared copy itself
 * but its successor did, the successor is given back its own copy (and so on down a straight-line run):
 * sharing never puts an extra `ja` on a path.
 */
import { toRaw, type Instruction } from '../../bpf/instructions.js';
import { implies, transfer } from './facts.js';
import { isBranchNode, NONE, type FlowGraph, type FlowNode } from './graph.js';
import { int32Scratch, uint8Scratch } from './scratch.js';
import { ShareTable } from './share-table.js';

/** Instructions whose only effect is to overwrite the accumulator (so they can go when nothing reads it). */
function onlyWritesA(insn: Instruction): boolean {
  switch (insn.kind) {
    case 'ld_abs': return insn.size === 4 && insn.offset >= 0 && insn.offset < 64 && insn.offset % 4 === 0;
    case 'ld_imm':
    case 'ld_len':
    case 'ld_mem': return insn.dst === 'A';
    case 'txa': return true;
    default: return false;
  }
}

function readsA(insn: Instruction): boolean {
  switch (insn.kind) {
    case 'jmp':
    case 'alu':
    case 'neg':
    case 'tax': return true;
    case 'st': return insn.src === 'A';
    case 'ret': return insn.src === 'A';
    default: return false;
  }
}

export interface TailOptions {
  /** Share identical instructions with identical continuations. */
  readonly merge: boolean;
  /** Drop loads into the accumulator that nothing reads. */
  readonly dropDeadLoads: boolean;
}

const liveAScratch = uint8Scratch();
const canonScratch = int32Scratch();
const nextScratch = int32Scratch();
const mergedScratch = uint8Scratch();
const table = new ShareTable();

export function mergeTails(graph: FlowGraph, live: Uint8Array, options: TailOptions): void {
  const { merge, dropDeadLoads } = options;
  const { nodes } = graph;
  const n = nodes.length;
  // Whether the accumulator's value on entry to a node can still be read.
  const liveA = liveAScratch.get(n).fill(1, 0, n);
  const canon = canonScratch.get(n);
  const originalNext = nextScratch.get(n);
  for (let i = 0; i < n; i++) {
    canon[i] = i;
    originalNext[i] = nodes[i]?.next ?? NONE;
  }
  const saved: (FlowNode | undefined)[] = nodes.slice();
  const merged = mergedScratch.get(n).fill(0, 0, n);
  let seen: ShareTable | undefined;
  if (merge) {
    seen = table;
    seen.reset(n);
  }

  const restore = (i: number): number => {
    const node = saved[i] as FlowNode;
    nodes[i] = node;
    canon[i] = i;
    merged[i] = 0;
    const m = originalNext[i] as number;
    if (node.next !== NONE && merged[m] === 1) node.next = restore(m);
    return i;
  };

  for (let i = n - 1; i >= 0; i--) {
    const node = nodes[i];
    if (node === undefined || live[i] === 0) continue;
    if (node.next !== NONE) {
      node.next = canon[node.next] as number;
      // Layout may send the node back to its source successor (see `layout`): what that one reads counts too.
      const back = node.fallthrough;
      const after = liveA[node.next] === 1 || (back !== NONE && back !== node.next && live[back] === 1 && liveA[back] === 1);
      if (dropDeadLoads && onlyWritesA(node.insn) && !after) {
        canon[i] = node.next;
        nodes[i] = undefined;
        liveA[i] = 0;
        continue;
      }
      liveA[i] = readsA(node.insn) || (after && !onlyWritesA(node.insn) && node.insn.kind !== 'alu' && node.insn.kind !== 'neg') ? 1 : 0;
    } else if (node.t !== NONE) {
      liveA[i] = 1;
    } else {
      liveA[i] = readsA(node.insn) ? 1 : 0;
    }
    if (node.t !== NONE) {
      node.t = canon[node.t] as number;
      node.f = canon[node.f] as number;
      if (node.t === node.f) {
        canon[i] = node.t;
        nodes[i] = undefined;
        continue;
      }
    }
    if (seen === undefined) continue;
    const raw = toRaw(node.insn);
    // A branch continues at t and f, anything else at next (NONE for a return); opcodes tell the two apart.
    const existing = isBranchNode(node) ? seen.findOrAdd(raw.code, raw.k, node.t, node.f, i) : seen.findOrAdd(raw.code, raw.k, node.next, NONE, i);
    if (existing !== NONE) {
      const keeper = nodes[existing] as FlowNode;
      // Layout may send a threaded edge back to its source successor, which was threaded for the paths through
      // the keeper only: unless those cover this copy's paths, that way back is closed.
      if (keeper.fallthrough !== NONE && keeper.next !== keeper.fallthrough && !pathsCovered(graph, i, existing)) {
        keeper.fallthrough = NONE;
      }
      canon[i] = existing;
      nodes[i] = undefined;
      merged[i] = 1;
      continue;
    }
    const m = originalNext[i] as number;
    if (node.next !== NONE && merged[m] === 1) node.next = restore(m);
  }
  graph.entry = canon[graph.entry] as number;
}

/**
 * Whether every state leaving node `copy` is one the threader allowed for when leaving node `keeper` (the two
 * run the same instruction, so what it overwrites need not agree on entry).
 */
function pathsCovered(graph: FlowGraph, copy: number, keeper: number): boolean {
  if (graph.facts === undefined) return true; // nothing was threaded: every edge is where the program put it
  const copyFacts = graph.facts[copy];
  const keeperFacts = graph.facts[keeper];
  if (copyFacts === undefined || keeperFacts === undefined) return false;
  const insn = (graph.nodes[keeper] as FlowNode).insn;
  return implies(transfer(copyFacts, insn), transfer(keeperFacts, insn));
}
