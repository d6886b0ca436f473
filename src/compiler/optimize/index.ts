/**
 * Program-level optimizer: pure `Program → Program` rewrites that keep every verdict. Jump threading, load
 * removal, shared tails and dead-code removal never make a path or the program longer; case trees trade a
 * little size and the first values of a long chain for a logarithmic worst case. Each pass can be switched
 * off; with every pass off the program comes back unchanged.
 */
import type { Program } from '../../bpf/instructions.js';
import { BPF_MAXINSNS } from '../../bpf/opcodes.js';
import type { ProgramPass } from '../compile.js';
import { lowerCaseChains } from './cases.js';
import { reachable, toGraph } from './graph.js';
import { layout } from './layout.js';
import { mergeTails } from './tails.js';
import { threadGraph } from './thread.js';

/** Which optimizer passes run (all on by default). */
export interface OptimizeOptions {
  /** Move jumps past branches already decided by the tests on the way (jump threading). */
  readonly threadJumps?: boolean;
  /** Skip loads of a word the accumulator already holds. */
  readonly removeRedundantLoads?: boolean;
  /** Emit identical instructions with identical continuations once (one return per verdict, shared blocks). */
  readonly mergeTails?: boolean;
  /** Drop instructions no path reaches. */
  readonly removeDeadCode?: boolean;
  /** Turn long chains of `JEQ` tests on one value (lists of allowed argument values) into search trees. */
  readonly caseTrees?: boolean;
}

/** Optimizer options with every pass on. */
export const ALL_OPTIMIZATIONS: Required<OptimizeOptions> = {
  threadJumps: true,
  removeRedundantLoads: true,
  mergeTails: true,
  removeDeadCode: true,
  caseTrees: true,
};

/** Optimizer options with every pass off. */
export const NO_OPTIMIZATIONS: Required<OptimizeOptions> = {
  threadJumps: false,
  removeRedundantLoads: false,
  mergeTails: false,
  removeDeadCode: false,
  caseTrees: false,
};

/**
 * Optimizes a classic-BPF program (any valid filter, not only compiled ones). The result returns the same
 * value as the input for every input; jumps longer than 255 instructions are re-expressed with `ja` or copied
 * returns only where needed. A program the optimizer cannot analyse (unknown opcodes, jumps out of bounds)
 * comes back unchanged.
 */
export function optimizeProgram(program: Program, options: OptimizeOptions = {}): Program {
  const o = { ...ALL_OPTIMIZATIONS, ...options };
  if (!o.threadJumps && !o.removeRedundantLoads && !o.mergeTails && !o.removeDeadCode && !o.caseTrees) return program;
  // A load dropped as dead can make the next one redundant: repeat while the program keeps shrinking.
  let best = optimizeOnce(program, o);
  for (let round = 1; round < MAX_ROUNDS; round++) {
    const next = optimizeOnce(best, o, best.length);
    if (next === undefined) break;
    best = next;
  }
  if (o.caseTrees) {
    const trees = lowerCaseChains(best);
    if (trees !== best) best = optimizeOnce(trees, o);
  }
  return best;
}

const MAX_ROUNDS = 3;

/** One round of every pass; with `limit`, `undefined` unless the result is shorter than `limit`. */
function optimizeOnce(program: Program, o: Required<OptimizeOptions>): Program;
function optimizeOnce(program: Program, o: Required<OptimizeOptions>, limit: number): Program | undefined;
function optimizeOnce(program: Program, o: Required<OptimizeOptions>, limit = Infinity): Program | undefined {
  const graph = toGraph(program);
  if (graph === undefined) return program.length < limit ? program : undefined;
  if (o.threadJumps || o.removeRedundantLoads) {
    threadGraph(graph, { decideBranches: o.threadJumps, skipRedundantLoads: o.removeRedundantLoads });
  }
  const everything = o.removeDeadCode ? undefined : new Uint8Array(graph.nodes.length).fill(1);
  mergeTails(graph, everything ?? reachable(graph), { merge: o.mergeTails, dropDeadLoads: o.removeDeadCode });
  const result = layout(graph, everything ?? reachable(graph), limit);
  if (result === undefined) return undefined;
  // Long-jump stubs could in principle push a program that fitted over the kernel's limit: keep the one that fits.
  return result.length > BPF_MAXINSNS && program.length <= BPF_MAXINSNS ? program : result;
}

/** The optimizer as a compiler pass (`compilePolicy(policy, { passes: [optimizerPass()] })`). */
export function optimizerPass(options: OptimizeOptions = {}): ProgramPass {
  return (program) => [...optimizeProgram(program, options)];
}

