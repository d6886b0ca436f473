/**
 * Stacked filters: a process may install several, and the kernel runs every one of them on each syscall.
 * `seccomp_run_filters` starts from ALLOW and walks from the newest filter to the oldest, keeping a filter's
 * return value only when its action is strictly lower as a signed 32-bit number (`ret & SECCOMP_RET_ACTION_FULL`):
 * KILL_PROCESS beats everything, and among equal actions the newest filter's data wins.
 */
import type { Program } from '../bpf/instructions.js';
import { SECCOMP_RET_ACTION_FULL, SECCOMP_RET_ALLOW } from '../syscalls/actions.js';
import { prepareFilter, type PreparedFilter } from './executor.js';
import { dataWords, verdictOf, type DataLike, type Verdict } from './interpreter.js';

const actionOnly = (raw: number): number => raw & SECCOMP_RET_ACTION_FULL;

/**
 * The return value the kernel acts on when stacked filters returned `raws`, given in installation order
 * (oldest first). With no filter at all, the call is allowed.
 */
export function combineVerdicts(raws: readonly number[]): number {
  let ret = SECCOMP_RET_ALLOW;
  for (let i = raws.length - 1; i >= 0; i--) {
    const cur = (raws[i] as number) >>> 0;
    if (actionOnly(cur) < actionOnly(ret)) ret = cur;
  }
  return ret >>> 0;
}

const compiled = new WeakMap<Program, PreparedFilter>();

function compiledOnce(program: Program): PreparedFilter {
  let filter = compiled.get(program);
  if (filter === undefined) {
    filter = prepareFilter(program);
    compiled.set(program, filter);
  }
  return filter;
}

/** Runs every filter of a stack (oldest first) on `data` and combines their verdicts as the kernel does. */
export function evaluateStack(programs: readonly (Program | PreparedFilter)[], data: DataLike): Verdict {
  const words = dataWords(data);
  const raws = programs.map((p) => ('runWords' in p ? p : compiledOnce(p)).runWords(words));
  return verdictOf(combineVerdicts(raws));
}
