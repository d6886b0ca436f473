/**
 * Symbolic execution of a seccomp filter: its cases, each a conjunction of constraints on the loaded 32-bit
 * words and the value returned under them.
 *
 * The program is first turned into a reduced decision diagram (`diagram.ts`), which visits every instruction
 * once per distinct abstract state instead of once per path; the cases are then the paths through that
 * diagram that some input can take, found with the constraints carried along (a branch no input can take is
 * dropped). Because each test splits the inputs in two, the exact cases partition the input space: for any
 * input exactly one exact case admits it.
 *
 * Comparisons on values computed by arithmetic on input data cannot be summarised: both branches are then
 * followed without a constraint and the resulting cases are marked inexact, with the reason. Arithmetic follows
 * the kernel exactly (`../emulator/semantics.ts`): shift amounts modulo 32, and `A /= X` with X = 0 ends the
 * program with return value 0, so such a division is a branch too.
 */
import type { Program } from '../bpf/instructions.js';
import { validate } from '../bpf/validator.js';
import { Budget, type BudgetOptions } from './budget.js';
import { ANY_WORD, WORD_COUNT, constraintsEqual, solve, withAtom, type WordConstraint } from './constraints.js';
import { DiagramTooLarge, buildDiagram, type Diagram, type DiagramNode } from './diagram.js';
import { complement } from './intervals.js';

export { aluConst, holds, type SymValue } from './diagram.js';

/** One path of a symbolically executed filter: the conditions on the input and the value returned. */
export interface Leaf {
  /** Constraint on each of the 16 words (index = byte offset / 4). */
  readonly words: readonly WordConstraint[];
  /** Raw 32-bit value returned, or undefined when it depends on the input (`RET A` of loaded data). */
  readonly verdict: number | undefined;
  /** False when a branch on this path could not be turned into a constraint. */
  readonly exact: boolean;
  /** Index of the RET instruction (or of the division by a zero X that ended the program). */
  readonly retPc: number;
}

/** A filter's paths as symbolic execution found them, and whether they are exact. */
export interface SymbolicResult {
  readonly leaves: readonly Leaf[];
  /** True when every leaf is exact and the search was not cut short. */
  readonly exact: boolean;
  /** Why the result is not exact (empty when it is). */
  readonly reasons: readonly string[];
  /** True when a limit cut the search short: then the leaves do not cover every input. */
  readonly truncated: boolean;
  /** Size of the work: abstract states visited and nodes of the reduced decision diagram. */
  readonly stats: { readonly states: number; readonly nodes: number };
  /** The diagram the cases come from (absent when it grew past `maxStates`). */
  readonly diagram?: Diagram;
}

/** A program this analysis cannot run at all (it would not pass the kernel's checks). */
export class AnalysisError extends Error {
  constructor(message: string, readonly index?: number) {
    super(index === undefined ? message : `instruction ${index}: ${message}`);
    this.name = 'AnalysisError';
  }
}

/** Limits on the symbolic execution of a filter. */
export interface SymbolicOptions extends BudgetOptions {
  /** Stop after this many cases (the result is then marked inexact). Default 20 000. */
  readonly maxPaths?: number;
  /** Stop after this many abstract states while building the diagram (the result is then inexact). Default 400 000. */
  readonly maxStates?: number;
  /** The time limit and progress reports, shared by every step of one analysis (made from the options otherwise). */
  readonly budget?: Budget;
}

/**
 * Refuses a program the kernel would not load (the project's validator: `bpf_check_classic` and
 * `seccomp_check_filter`), naming the first broken rule and its instruction.
 */
export function checkStructure(program: Program): void {
  const result = validate(program);
  if (!result.ok) {
    const first = result.errors[0];
    throw new AnalysisError(`invalid seccomp filter: ${first?.message ?? 'unknown error'}`);
  }
}

/**
 * Runs the filter symbolically. Throws `AnalysisError` for a program the kernel would refuse, and
 * `AnalysisTimeout` when `timeoutMs` passes.
 */
export function symbolicExecute(program: Program, options: SymbolicOptions = {}): SymbolicResult {
  checkStructure(program);
  const budget = options.budget ?? new Budget(options);
  let diagram: Diagram;
  try {
    diagram = buildDiagram(program, { ...(options.maxStates !== undefined && { maxStates: options.maxStates }), budget });
  } catch (err) {
    if (!(err instanceof DiagramTooLarge)) throw err;
    return { leaves: [], exact: false, truncated: true, reasons: [err.message], stats: { states: err.limit, nodes: 0 } };
  }
  return listCases(diagram, options.maxPaths ?? 20_000, budget);
}

interface Frame {
  readonly node: number;
  readonly words: readonly WordConstraint[];
  readonly exact: boolean;
}

/** Applies `(word & mask) ∈ set`; undefined when no input satisfies it. */
function constrain(f: Frame, node: number, w: number, mask: number, set: Parameters<typeof withAtom>[2], notes: Set<string>): Frame | undefined {
  const before = f.words[w] as WordConstraint;
  const next = withAtom(before, mask, set);
  // A test the path already decides changes nothing: no need to solve again.
  if (constraintsEqual(before, next)) return { node, words: f.words, exact: f.exact };
  const s = solve(next);
  if (s === 'none') return undefined;
  const words = f.words.slice();
  words[w] = next;
  if (s === 'unknown') {
    notes.add('a constraint was too complex to decide exactly');
    return { node, words, exact: false };
  }
  return { node, words, exact: f.exact };
}

/**
 * The paths through the diagram that some input can take, in program order (the taken branch first); with
 * `within`, only the inputs satisfying those word constraints (each case's words then include them).
 */
export function listCases(diagram: Diagram, maxPaths: number, budget: Budget, within?: readonly WordConstraint[]): SymbolicResult {
  const leaves: Leaf[] = [];
  const notes = new Set<string>();
  const stack: Frame[] = [{ node: diagram.root, words: within ?? Array.from({ length: WORD_COUNT }, () => ANY_WORD), exact: true }];
  let truncated = false;
  while (stack.length > 0) {
    const f = stack.pop() as Frame;
    budget.tick('cases', leaves.length);
    const n = diagram.nodes[f.node] as DiagramNode;
    if (n.kind === 'ret') {
      if (leaves.length >= maxPaths) {
        truncated = true;
        break;
      }
      if (n.reason !== undefined) notes.add(n.reason);
      leaves.push({ words: f.words, verdict: n.verdict, exact: f.exact && n.verdict !== undefined, retPc: n.retPc });
    } else if (n.kind === 'test') {
      const other = constrain(f, n.else, n.word, n.mask, complement(n.set), notes);
      const then = constrain(f, n.then, n.word, n.mask, n.set, notes);
      if (other) stack.push(other);
      if (then) stack.push(then);
    } else {
      notes.add(n.reason);
      stack.push({ ...f, node: n.else, exact: false }, { ...f, node: n.then, exact: false });
    }
  }
  budget.check('cases', leaves.length);
  const reasons = [...notes];
  if (truncated) reasons.push(`the filter has more than ${maxPaths} paths through its decision diagram; only the first ones were explored`);
  return {
    leaves, exact: !truncated && leaves.every((l) => l.exact), reasons, truncated,
    stats: { states: diagram.states, nodes: diagram.nodes.length }, diagram,
  };
}
