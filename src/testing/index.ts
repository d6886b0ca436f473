/**
 * `seccomp-ts/testing`: fast-check arbitraries and assertion helpers for seccomp filters and policies.
 * fast-check is a peer dependency of this entry point only.
 *
 * @packageDocumentation
 */
export {
  syscallArb, wordArb, argArb, argsArb, seccompDataArb, dataWordsArb, sampleWords, actionArb, conditionArb, ruleArb,
  policyArb, programArb, COMMON_SYSCALLS,
  type SyscallSample, type BiasOptions, type DataSample, type DataOptions, type PolicyOptions, type ProgramOptions,
} from './arbitraries.js';
export {
  expectFilter, FilterExpectation, FilterAssertionError, programOf, pathText,
  type FilterInput, type ArgsInput, type ExpectOptions,
} from './expect.js';
