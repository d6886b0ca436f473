/**
 * Jump threading and redundant-load removal, in one forward pass over the flow graph.
 *
 * Every edge carries the facts known when it is taken. An edge that enters a branch its facts decide is moved
 * to the branch's outcome; an edge that enters a load of what the accumulator already holds is moved past the
 * load. Edges only move forward and only skip instructions, so no path gets longer and no node is added.
 */
import { decide, isRedundantLoad, join, KEEP, refine, refineRange, transfer, TOP, withARange, type Facts, type Range } from './facts.js';
import type { JumpIf } from '../../bpf/instructions.js';
import { isBranchNode, isReturnNode, NONE, type FlowGraph, type FlowNode } from './graph.js';

export interface ThreadOptions {
  /** Move edges past branches their facts decide. */
  readonly decideBranches: boolean;
  /** Move edges past loads of what the accumulator already holds. */
  readonly skipRedundantLoads: boolean;
}

export function threadGraph(graph: FlowGraph, options: ThreadOptions): void {
  const { nodes } = graph;
  const incoming: (Facts | undefined)[] = new Array<Facts | undefined>(nodes.length).fill(undefined);

  // Where `follow` stopped and the facts there (two variables rather than a tuple allocated per edge).
  let reached: Facts = TOP;
  const follow = (start: number, facts: Facts): number => {
    let at = start;
    let f = facts;
    for (;;) {
      const node = nodes[at] as FlowNode;
      if (options.decideBranches && isBranchNode(node)) {
        const insn = node.insn as JumpIf;
        const outcome = decide(f, insn);
        if (outcome === undefined) break;
        f = refine(f, insn, outcome) ?? f;
        at = outcome ? node.t : node.f;
      } else if (options.skipRedundantLoads && node.next !== NONE && isRedundantLoad(f, node.insn)) {
        at = node.next;
      } else {
        break;
      }
    }
    reached = f;
    return at;
  };
  const send = (from: Facts, to: number): number => {
    const target = follow(to, from);
    // A return uses no facts: skip the join (most edges end at one of a few returns).
    if (!isReturnNode(nodes[target] as FlowNode)) incoming[target] = join(incoming[target], reached);
    else incoming[target] ??= TOP;
    return target;
  };
  // An edge out of a branch, with the accumulator's range on it: the facts are built only when the edge leads
  // somewhere that uses them (not to a return).
  const sendRefined = (facts: Facts, range: Range | typeof KEEP | undefined, to: number): number => {
    if (isReturnNode(nodes[to] as FlowNode)) {
      incoming[to] ??= TOP;
      return to;
    }
    return send(range === undefined || range === KEEP ? facts : withARange(facts, range), to);
  };

  graph.facts = incoming;
  const entry = follow(graph.entry, TOP);
  graph.entry = entry;
  incoming[entry] = reached;
  for (let i = graph.entry; i < nodes.length; i++) {
    const node = nodes[i];
    const facts = incoming[i];
    if (node === undefined || facts === undefined) continue;
    if (node.next !== NONE) {
      if (isReturnNode(nodes[node.next] as FlowNode)) {
        incoming[node.next] ??= TOP;
        continue;
      }
      const after = transfer(facts, node.insn);
      const moved = send(after, node.next);
      // Layout may undo a moved edge and fall through again (when a stub would cost as much): the node it then
      // enters must have been threaded knowing these facts too.
      if (moved !== node.next && node.next === node.fallthrough && !isReturnNode(nodes[node.next] as FlowNode)) {
        incoming[node.next] = join(incoming[node.next], after);
      }
      node.next = moved;
    } else if (isBranchNode(node)) {
      const insn = node.insn as JumpIf;
      const rt = refineRange(facts, insn, true);
      const rf = refineRange(facts, insn, false);
      // An infeasible edge may point anywhere; pointing it at the other target lets the branch disappear.
      if (rt === undefined && rf !== undefined) node.t = node.f = sendRefined(facts, rf, node.f);
      else if (rf === undefined && rt !== undefined) node.t = node.f = sendRefined(facts, rt, node.t);
      else {
        node.t = sendRefined(facts, rt, node.t);
        node.f = sendRefined(facts, rf, node.f);
      }
    }
  }
}
