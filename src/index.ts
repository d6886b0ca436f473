/**
 * seccomp-ts: compile syscall policies and Docker/OCI profiles into classic-BPF seccomp filters, and validate,
 * disassemble, emulate and analyse any such filter exactly as Linux does. The property-testing kit (fast-check
 * arbitraries, `expectFilter`) is the separate entry point `seccomp-ts/testing`.
 *
 * @packageDocumentation
 */
export * from './bpf/instructions.js';
export * from './bpf/seccomp-data.js';
export * from './bpf/builder.js';
export * from './bpf/validator.js';
export { encodeProgram, decodeProgram, encodeRaw, decodeRaw, SOCK_FILTER_SIZE } from './bpf/encode.js';
export { ProgramFormatError } from './bpf/format-error.js';
export { readProgram, writeProgram, detectFormat, PROGRAM_FORMATS, type ProgramFormat } from './bpf/formats.js';
export { formatC, parseC } from './bpf/format-c.js';
export { formatHex, parseHex } from './bpf/format-hex.js';
export { formatJson, parseJson } from './bpf/format-json.js';
export { disassemble, disassembleLines, type DisassembleOptions, type DisassembledLine } from './bpf/disasm.js';
export { assemble } from './bpf/asm.js';
export { complainProgram, ComplainError } from './bpf/complain.js';
export {
  addCall, emptyRecording, mergeRecordings, formatRecording, parseRecording, recordingPolicy, syscallKey, RecordingError,
  RECORDED_ARGUMENTS, MAX_CONDITION_VALUES, type Recording, type SyscallCalls, type RecordedPolicyOptions,
} from './record/recording.js';
export {
  parseSeccompRecord, renderSeccompRecord, isSeccompRecordLine, auditFields, AuditRecordError, RECORD_FORMS,
  type SeccompRecord, type SeccompEvent, type RecordForm,
} from './audit/record.js';
export { RecordExplainer, type InForce } from './audit/explain-record.js';
export { analyzeFlow, type FlowFacts, type Holds } from './bpf/flow.js';
export * from './syscalls/index.js';
export * from './emulator/index.js';
export type * from './policy/types.js';
export {
  PolicyError, policy, PolicyBuilder, arg, arg32, evaluatePolicy, policyWarnings, callAbi, compareVerdicts, resolvePolicy,
  policyFromJson, policyToJson, formatPolicyJson, tunePolicy, parseTuning,
  HARDENED_EPERM_SYSCALLS, DEFAULT_DENY_ACTION,
  type PolicyCall, type ArgConditions, type ActionInput, type SyscallsInput, type PolicyJson, type RuleJson,
  type ConditionJson, type Tuning, type TuneOptions, type ResolvedPolicy, type ResolvedAbi,
  type ResolvedRule, type PolicyWarning, type PartialSyscall,
} from './policy/index.js';
export { getProfile, registerProfile, listProfiles, findProfile, type ProfileInfo } from './policy/profiles/index.js';
export {
  importProfile, exportProfile, loadProfile, isOciProfile, formatProfileJson, ProfileError, importDockerDefault,
  dockerDefaultPolicy, DOCKER_DEFAULT_PROFILE_JSON, DOCKER_DEFAULT_CAPABILITIES, CAPABILITIES,
  type ImportOptions, type ImportResult, type ProfileMeta, type ExportOptions, type ExportResult, type ProfileJson,
  type ProfileSyscallJson, type ProfileArgJson, type TargetArch, type SeccompFlag,
} from './policy/oci/index.js';
export {
  compilePolicy, CompileError, linearDispatch,
  type CompileOptions as CompilePolicyOptions, type CompileResult, type ProgramPass, type DispatchStrategy, type DispatchSection,
  type DispatchCase, type DispatchEmitter, type Decision, type WordTest,
} from './compiler/index.js';
export { performanceCompileOptions } from './compiler/performance.js';
export {
  optimizeProgram, optimizerPass, ALL_OPTIMIZATIONS, NO_OPTIMIZATIONS, type OptimizeOptions,
} from './compiler/optimize/index.js';
export { lowerCaseChains, MIN_CASE_CHAIN } from './compiler/optimize/cases.js';
export {
  rangeDispatch, rangeTreeDispatch, dispatchRuns, emitValueSearch, type RangeDispatchOptions, type ValueRun, type DispatchRun,
  type DispatchOutcome,
} from './compiler/dispatch/index.js';
export {
  explain, explanationText, explanationJson, predictVerdict, behaviourText, diffPrograms, diffText, witnessText,
  subsetOf, letsThrough, type SubsetResult,
  cacheReport, cacheReportText, constAllow, symbolicExecute, AnalysisError, AnalysisTimeout, abiOf, actionText,
  type Explanation, type ExplainGroup, type ExplainOptions, type Behaviour, type Outcome, type Term, type Conjunction,
  type ArgField, type NamedSyscall, type DiffResult, type Difference, type DiffOptions, type Witness, type CacheReport,
  type AbiCache, type CacheOptions, type CacheDecision, type CacheMiss, type Leaf, type SymbolicResult,
  type SymbolicOptions, type AbiName, type SampleSummary, type AnalysisProgress, type BudgetOptions,
} from './analysis/index.js';
