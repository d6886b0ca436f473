/**
 * Case trees: a chain of `JEQ` tests of the accumulator against different constants (how a list of allowed
 * argument values compiles) costs one test per value. Long chains become a search tree over the values, so
 * a lookup costs about log2 of the chain's length: the same search the syscall dispatch uses, over the
 * argument's values instead of syscall numbers.
 */
import { BuildError, ProgramBuilder, type Label } from '../../bpf/builder.js';
import type { Instruction, JumpIf, Program } from '../../bpf/instructions.js';
import { emitValueSearch, type ValueRun } from '../dispatch/value-search.js';

/** Chains shorter than this stay chains: the tree would save little and cost size. */
export const MIN_CASE_CHAIN = 6;

const isJeqK = (insn: Instruction | undefined): insn is JumpIf => insn?.kind === 'jmp' && insn.cond === 'jeq' && insn.src === 'K';

/** Counts, for every position up to `n`, the instructions that may continue there. */
function countPredecessors(program: Program, preds: Int32Array): void {
  const n = program.length;
  const add = (s: number): void => {
    if (s <= n) preds[s] = (preds[s] as number) + 1;
  };
  for (let i = 0; i < n; i++) {
    const insn = program[i] as Instruction;
    if (insn.kind === 'ret') continue;
    if (insn.kind === 'ja') add(i + 1 + insn.offset);
    else if (insn.kind === 'jmp') {
      add(i + 1 + insn.jt);
      add(i + 1 + insn.jf);
    } else {
      add(i + 1);
    }
  }
}

/** The runs of values a chain maps, covering all 32-bit values (those it does not name go to `fallback`). */
function chainRuns(program: Program, members: readonly number[], label: (i: number) => Label): ValueRun<Label>[] {
  const last = members[members.length - 1] as number;
  const fallback = last + 1 + (program[last] as JumpIf).jf;
  const byValue = new Map<number, number>();
  for (const m of members) {
    const j = program[m] as JumpIf;
    // The first test of a value is the one that fires.
    if (!byValue.has(j.value >>> 0)) byValue.set(j.value >>> 0, m + 1 + j.jt);
  }
  const runs: ValueRun<Label>[] = [];
  const push = (lo: number, hi: number, target: number): void => {
    const prev = runs[runs.length - 1];
    if (prev !== undefined && prev.hi + 1 === lo && prev.id === `${target}`) {
      runs[runs.length - 1] = { ...prev, hi };
    } else {
      runs.push({ lo, hi, id: `${target}`, target: label(target) });
    }
  };
  let next = 0;
  // The values are distinct 32-bit numbers: a typed array sorts them numerically without a comparator.
  for (const v of Float64Array.from(byValue.keys()).sort()) {
    const target = byValue.get(v) as number;
    if (v > next) push(next, v - 1, fallback);
    push(v, v, target);
    next = v + 1;
  }
  if (next <= 0xffffffff) push(next, 0xffffffff, fallback);
  return runs;
}

/**
 * Whether `minChain` `JEQ` tests follow one another, each falling through to the next: what a chain is before
 * asking whether anything else jumps into it. Most programs have no such run, and this answers without the
 * predecessor counts.
 */
function hasLongRun(program: Program, minChain: number): boolean {
  let run = 0;
  let continues = false;
  for (const insn of program) {
    if (!isJeqK(insn)) {
      run = 0;
      continues = false;
      continue;
    }
    run = continues ? run + 1 : 1;
    if (run >= minChain) return true;
    continues = insn.jf === 0 && insn.jt !== 0;
  }
  return false;
}

/**
 * Replaces every chain of at least `minChain` `JEQ` tests (each falling through to the next, which nothing
 * else reaches) by a search tree. Returns the program unchanged when there is no such chain or the result
 * would not be a valid filter.
 */
export function lowerCaseChains(program: Program, minChain = MIN_CASE_CHAIN): Program {
  const n = program.length;
  if (!hasLongRun(program, minChain)) return program;
  const preds = new Int32Array(n + 1);
  countPredecessors(program, preds);
  const chains = new Map<number, number[]>();
  const inside = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    if (!isJeqK(program[i])) continue;
    const members = [i];
    for (let j = i; (program[j] as JumpIf).jf === 0 && (program[j] as JumpIf).jt !== 0; ) {
      const next = j + 1;
      if (!isJeqK(program[next]) || preds[next] !== 1) break;
      members.push(next);
      j = next;
    }
    if (members.length >= minChain) {
      chains.set(i, members);
      for (const m of members) inside[m] = 1;
    }
    i = members[members.length - 1] as number;
  }
  if (chains.size === 0) return program;

  const b = new ProgramBuilder();
  const labels: Label[] = [];
  for (let i = 0; i < n; i++) labels.push(b.newLabel());
  const label = (i: number): Label => labels[i] as Label;
  for (let i = 0; i < n; i++) {
    const members = chains.get(i);
    if (members !== undefined) {
      b.bind(label(i));
      const runs = chainRuns(program, members, label);
      emitValueSearch(b, runs, new Float64Array(runs.length).fill(1));
      continue;
    }
    if (inside[i]) continue;
    b.bind(label(i));
    const insn = program[i] as Instruction;
    if (insn.kind === 'ja') b.jump(label(i + 1 + insn.offset));
    else if (insn.kind === 'jmp' && insn.src === 'K') b.jumpIf(insn.cond, insn.value, label(i + 1 + insn.jt), label(i + 1 + insn.jf));
    else if (insn.kind === 'jmp') b.jumpIfX(insn.cond, label(i + 1 + insn.jt), label(i + 1 + insn.jf));
    else b.emit(insn);
  }
  try {
    return b.build();
  } catch (err) {
    if (err instanceof BuildError) return program;
    throw err;
  }
}
