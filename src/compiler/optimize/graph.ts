/**
 * A program as a flow graph: one node per instruction, edges as absolute node ids.
 *
 * Unconditional jumps (`ja`) and conditional jumps whose two targets coincide are not nodes of their own:
 * they are resolved into the edges that reach them, so every edge points at a node that does work.
 * Classic BPF only jumps forward, so node ids in ascending order are a topological order.
 */
import type { Instruction, JumpIf, Program } from '../../bpf/instructions.js';
import type { Facts } from './facts.js';
import { uint8Scratch } from './scratch.js';

/** No successor (a return). */
export const NONE = -1;

export interface FlowNode {
  readonly insn: Instruction;
  /** Successor of a straight-line instruction; NONE for returns and branches. */
  next: number;
  /** Successors of a conditional jump; NONE otherwise. */
  t: number;
  f: number;
  /**
   * For a straight-line instruction, the successor it had in the source program, to which layout may send it
   * back; NONE once that is no longer sound (see `mergeTails`).
   */
  fallthrough: number;
}

export interface FlowGraph {
  /** Indexed by the instruction's position in the source program; `undefined` for resolved jumps. */
  readonly nodes: (FlowNode | undefined)[];
  entry: number;
  /** What holds on entry to each node, once jump threading has run (by node id). */
  facts?: readonly (Facts | undefined)[];
}

// What a node is, read from its edges (the same for every node) rather than from its instruction, whose shape
// varies with its kind: the passes ask this of every edge.
/** A conditional jump: both edges set. */
export const isBranchNode = (node: FlowNode): boolean => node.t !== NONE;
/** A return: no successor at all. */
export const isReturnNode = (node: FlowNode): boolean => node.next === NONE && node.t === NONE;

/**
 * Builds the graph of a program, or returns `undefined` when the program is not one the optimizer can
 * safely rewrite (a jump out of bounds, an unknown opcode, a path that runs off the end).
 */
export function toGraph(program: Program): FlowGraph | undefined {
  const n = program.length;
  if (n === 0) return undefined;
  const alias: number[] = new Array<number>(n).fill(NONE);
  // Resolve from the end so that every alias already points at a real node.
  const target = (i: number): number => {
    if (i >= n) return NONE;
    return alias[i] === NONE ? i : (alias[i] as number);
  };
  const nodes: (FlowNode | undefined)[] = new Array<FlowNode | undefined>(n).fill(undefined);
  for (let i = n - 1; i >= 0; i--) {
    const insn = program[i] as Instruction;
    switch (insn.kind) {
      case 'unknown':
        return undefined;
      case 'ret':
        nodes[i] = { insn, next: NONE, t: NONE, f: NONE, fallthrough: NONE };
        break;
      case 'ja': {
        const to = target(i + 1 + insn.offset);
        if (insn.offset < 0 || to === NONE) return undefined;
        alias[i] = to;
        break;
      }
      case 'jmp': {
        const t = target(i + 1 + insn.jt);
        const f = target(i + 1 + insn.jf);
        if (t === NONE || f === NONE) return undefined;
        if (t === f) alias[i] = t;
        else nodes[i] = { insn, next: NONE, t, f, fallthrough: NONE };
        break;
      }
      default: {
        const next = target(i + 1);
        if (next === NONE) return undefined;
        nodes[i] = { insn, next, t: NONE, f: NONE, fallthrough: next };
      }
    }
  }
  return { nodes, entry: target(0) };
}

const seenScratch = uint8Scratch();

/** Marks the nodes reachable from the entry (1 = reachable); the array is valid until the next call. */
export function reachable(graph: FlowGraph): Uint8Array {
  const { nodes } = graph;
  const seen = seenScratch.get(nodes.length).fill(0, 0, nodes.length);
  seen[graph.entry] = 1;
  for (let i = graph.entry; i < nodes.length; i++) {
    const node = nodes[i];
    if (seen[i] === 0 || node === undefined) continue;
    if (node.next !== NONE) seen[node.next] = 1;
    else if (node.t !== NONE) {
      seen[node.t] = 1;
      seen[node.f] = 1;
    }
  }
  return seen;
}
