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
import { isBranch, NONE, type FlowGraph, type FlowNode } from './graph.js';

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

export function mergeTails(graph: FlowGraph, live: readonly boolean[], options: TailOptions): void {
  const { merge, dropDeadLoads } = options;
  // Whether the accumulator's value on entry to a node can still be read.
  const liveA: boolean[] = graph.nodes.map(() => true);
  const { nodes } = graph;
  const canon: number[] = nodes.map((_, i) => i);
  const saved: (FlowNode | undefined)[] = [...nodes];
  const originalNext: number[] = nodes.map((n) => n?.next ?? NONE);
  const merged: boolean[] = nodes.map(() => false);
  const seen = new Map<string, number>();

  const restore = (i: number): number => {
    const node = saved[i] as FlowNode;
    nodes[i] = node;
    canon[i] = i;
    merged[i] = false;
    const m = originalNext[i] as number;
    if (node.next !== NONE && merged[m]) node.next = restore(m);
    return i;
  };

  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i];
    if (node === undefined || !live[i]) continue;
    if (node.next !== NONE) {
      node.next = canon[node.next] as number;
      const after = liveA[node.next] as boolean;
      if (dropDeadLoads && onlyWritesA(node.insn) && !after) {
        canon[i] = node.next;
        nodes[i] = undefined;
        liveA[i] = false;
        continue;
      }
      liveA[i] = readsA(node.insn) || (after && !onlyWritesA(node.insn) && node.insn.kind !== 'alu' && node.insn.kind !== 'neg');
    } else if (node.t !== NONE) {
      liveA[i] = true;
    } else {
      liveA[i] = readsA(node.insn);
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
    if (!merge) continue;
    const raw = toRaw(node.insn);
    const key = isBranch(node.insn)
      ? `${raw.code}:${raw.k}:${node.t}:${node.f}`
      : `${raw.code}:${raw.k}:${node.next}`;
    const existing = seen.get(key);
    if (existing !== undefined) {
      canon[i] = existing;
      nodes[i] = undefined;
      merged[i] = true;
      continue;
    }
    seen.set(key, i);
    const m = originalNext[i] as number;
    if (node.next !== NONE && merged[m]) node.next = restore(m);
  }
  graph.entry = canon[graph.entry] as number;
}
