/**
 * The emulator: runs any seccomp filter exactly as Linux does (reference interpreter and compiled executor),
 * lays out `seccomp_data`, and combines the verdicts of stacked filters.
 */
export { seccompData, seccompDataFromBytes, type DataValue, type SeccompData, type SeccompDataInput } from './data.js';
export { callData, type CallInput } from './call.js';
export {
  interpret,
  verdictOf,
  formatVerdict,
  dataWords,
  type DataLike,
  type Interpretation,
  type InterpretOptions,
  type Step,
  type Verdict,
} from './interpreter.js';
export {
  prepareFilter,
  type PreparedFilter,
  type ExecutorOptions,
  type CountedRun,
  type ExecutionMode,
} from './executor.js';
export { combineVerdicts, evaluateStack } from './stack.js';

/** @deprecated The former name of {@link prepareFilter}, kept for code written before the rename. */
export { prepareFilter as compileFilter } from './executor.js';
export { bypassesFilters, UNFILTERED_X86_64_SYSCALLS } from './exemptions.js';
