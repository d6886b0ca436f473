/**
 * Lays a flow graph out as a program. Nodes keep their relative order (so every jump stays forward);
 * a conditional jump farther than 255 instructions gets a stub right after it: a copy of the return when the
 * target is a return (no extra instruction executed), a `ja` otherwise. Only the jumps that need one get one.
 */
import { ins, type Instruction, type JumpIf, type Program } from '../../bpf/instructions.js';
import { isBranchNode, isReturnNode, NONE, type FlowGraph, type FlowNode } from './graph.js';
import { int32Scratch } from './scratch.js';

const MAX_SHORT = 255;
const NO_STUBS: readonly number[] = [];
const posScratch = int32Scratch();

/**
 * The program of the nodes marked in `emit`, or `undefined` when it would have `limit` or more instructions
 * (a round that does not shrink the program is thrown away: its instructions are not worth writing out).
 */
export function layout(graph: FlowGraph, emit: Uint8Array, limit = Infinity): Program | undefined {
  const { nodes } = graph;
  const order: number[] = [];
  for (let i = graph.entry; i < nodes.length; i++) if (nodes[i] !== undefined && emit[i] === 1) order.push(i);
  const stubs = new Map<number, number[]>();
  const addStub = (at: number, target: number): void => {
    const list = stubs.get(at);
    if (list === undefined) stubs.set(at, [target]);
    else if (!list.includes(target)) list.push(target);
  };
  for (let k = 0; k < order.length; k++) {
    const id = order[k] as number;
    const node = nodes[id] as FlowNode;
    if (node.next === NONE || order[k + 1] === node.next) continue;
    // A threaded edge that would need a stub costs as much as the instructions it skips: fall through instead
    // (the threader widened that successor's facts for this node's paths; `mergeTails` closes the way when not).
    if (order[k + 1] === node.fallthrough) node.next = node.fallthrough;
    else addStub(id, node.next);
  }

  const pos = posScratch.get(nodes.length).fill(-1, 0, nodes.length);
  // Whether an edge is too long for a conditional jump and has no stub yet (then it gets one).
  const needsStub = (id: number, target: number): boolean =>
    (pos[target] as number) - (pos[id] as number) - 1 > MAX_SHORT && !stubs.get(id)?.includes(target);
  let size = 0;
  for (;;) {
    size = 0;
    for (const id of order) {
      pos[id] = size;
      size += stubs.size === 0 ? 1 : 1 + (stubs.get(id)?.length ?? 0);
    }
    let changed = false;
    for (const id of order) {
      const node = nodes[id] as FlowNode;
      if (!isBranchNode(node)) continue;
      if (needsStub(id, node.t)) {
        addStub(id, node.t);
        changed = true;
      }
      if (needsStub(id, node.f)) {
        addStub(id, node.f);
        changed = true;
      }
    }
    if (!changed) break;
  }
  if (size >= limit) return undefined;

  const out: Instruction[] = [];
  // The offset of a branch at `here` to `target`: direct when in reach, else to its stub right after the branch.
  const offset = (here: number, target: number, list: readonly number[]): number => {
    const direct = (pos[target] as number) - here - 1;
    return direct > MAX_SHORT ? list.indexOf(target) : direct;
  };
  for (let k = 0; k < order.length; k++) {
    const id = order[k] as number;
    const node = nodes[id] as FlowNode;
    const here = pos[id] as number;
    const list = (stubs.size === 0 ? undefined : stubs.get(id)) ?? NO_STUBS;
    if (isBranchNode(node)) {
      const j = node.insn as JumpIf;
      const jt = offset(here, node.t, list);
      const jf = offset(here, node.f, list);
      // Written out field by field: every jump then has one object shape, which keeps the next round's reads of
      // them monomorphic (a spread copy has the shape of whatever it copied, and copies slowly).
      out.push(j.ignored === undefined ? { kind: 'jmp', cond: j.cond, src: j.src, value: j.value, jt, jf } : { ...j, jt, jf });
    } else {
      out.push(node.insn);
    }
    for (let s = 0; s < list.length; s++) {
      const target = list[s] as number;
      const t = nodes[target] as FlowNode;
      out.push(isReturnNode(t) ? t.insn : ins.ja((pos[target] as number) - (here + 1 + s) - 1));
    }
  }
  return out;
}
