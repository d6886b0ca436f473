/**
 * seccomp-ts: compile syscall policies and Docker/OCI profiles into classic-BPF seccomp filters, and validate,
 * disassemble, emulate and analyse any such filter exactly as Linux does. The property-testing kit (fast-check
 * arbitraries, `expectFilter`) is the separate entry point `seccomp-ts/testing`.
 *
 * @packageDocumentation
 */
export {
  type Alu, type AluOp, fromRaw, type IgnoredFields, ins, type Instruction, type InstructionKind, type JumpAlways,
  type JumpCond, type JumpIf, type LoadAbsolute, type LoadConstant, type LoadIndirect, type LoadLength,
  type LoadMemShift, type LoadScratch, type LoadSize, type Negate, type Operand, type Program, type RawInstruction,
  type Register, type ReturnA, type ReturnConstant, type StoreScratch, type Tax, toRaw, type Txa, type Unknown,
} from './bpf/instructions.js';
export {
  ARG_COUNT, type ArgIndex, argOffset, type DataField, fieldAt, OFFSET_ARCH, OFFSET_IP_HI, OFFSET_IP_LO, OFFSET_NR,
  SECCOMP_DATA_SIZE, type WordHalf,
} from './bpf/seccomp-data.js';
export {
  BuildError, type Label, ProgramBuilder,
} from './bpf/builder.js';
export {
  assertValid, InvalidProgramError, validate, type ValidationError, type ValidationResult, type ValidationRule,
} from './bpf/validator.js';
export { encodeProgram, decodeProgram, encodeRaw, decodeRaw, SOCK_FILTER_SIZE } from './bpf/encode.js';
export { ProgramFormatError } from './bpf/format-error.js';
export { readProgram, writeProgram, detectFormat, PROGRAM_FORMATS, type ProgramFormat } from './bpf/formats.js';
export { formatC, parseC } from './bpf/format-c.js';
export { formatHex, parseHex } from './bpf/format-hex.js';
export { formatJson, parseJson } from './bpf/format-json.js';
export { disassemble, disassembleLines, type DisassembleOptions, type DisassembledLine } from './bpf/disasm.js';
export { assemble } from './bpf/asm.js';
export { complainProgram, ComplainError } from './bpf/complain.js';
export { stackPrograms, loosestOf, StackError } from './bpf/stack.js';
export {
  addCall, emptyRecording, mergeRecordings, formatRecording, parseRecording, recordingPolicy, syscallKey, RecordingError,
  RECORDED_ARGUMENTS, MAX_CONDITION_VALUES, type Recording, type SyscallCalls, type RecordedPolicyOptions,
} from './record/recording.js';
export { recordingFromStrace, StraceError, type StraceRecording } from './record/strace.js';
export {
  parseSeccompRecord, renderSeccompRecord, isSeccompRecordLine, auditFields, AuditRecordError, RECORD_FORMS,
  type SeccompRecord, type SeccompEvent, type RecordForm,
} from './audit/record.js';
export { RecordExplainer, type InForce } from './audit/explain-record.js';
export { analyzeFlow, type FlowFacts, type Holds } from './bpf/flow.js';
export {
  type Action, ACTION_CODES, ACTION_KEYWORDS, ACTION_PRECEDENCE, type ActionKind, actionsEqual, ActionSyntaxError,
  type ActionWithData, ADDRESS_FAMILIES, ADDRESS_FAMILY_ALIASES, addressFamilyName, addressFamilyNumber, AF_MAX,
  ARCH_NAMES, type ArchDescriptor, ARCHES, archesOfAuditArch, type ArchName, asAuditArch, asSyscallNr,
  AUDIT_ARCH_I386, AUDIT_ARCH_LE, AUDIT_ARCH_X86_64, type AuditArch, auditArchOf, compareActions, compareRaw,
  decodeAction, encodeAction, type Endian, ERRNO, ERRNO_ALIASES, errnoName, errnoNumber, formatAction, hasData,
  I386_IPC_NR, I386_SOCKETCALL_NR, IPC_CALLS, isArchName, isLinuxArchName, isOverlongSyscallName, LINUX_ARCH_NAMES,
  LINUX_ARCHES, type LinuxArchDescriptor, type LinuxArchName, lookupSyscall, MAX_ERRNO, maxSyscallNr,
  type Multiplexer, parseAction, parseArch, parseLinuxArch, quoteName, resolveSyscall, SECCOMP_RET_ACTION_FULL,
  SECCOMP_RET_ALLOW, SECCOMP_RET_DATA, SECCOMP_RET_ERRNO, SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_KILL_THREAD,
  SECCOMP_RET_LOG, SECCOMP_RET_TRACE, SECCOMP_RET_TRAP, SECCOMP_RET_USER_NOTIF, SKIPPED_SYSCALL_NR,
  SOCKETCALL_CALLS, strongerAction, suggestSyscalls, SYSCALL_DATA_SOURCE, SYSCALL_NAME_MAX, syscallByNr,
  type SyscallEntry, SyscallError, syscallName, type SyscallNr, type SyscallRow, syscallTable, type TableColumn,
  UnknownSyscallError, X32_SYSCALL_BIT,
} from './syscalls/index.js';
export {
  bypassesFilters, callData, type CallInput, combineVerdicts, type CountedRun, type DataLike, type DataValue,
  dataWords, evaluateStack, type ExecutionMode, type ExecutorOptions, formatVerdict, interpret, type Interpretation,
  type InterpretOptions, type PreparedFilter, prepareFilter, seccompData, type SeccompData, seccompDataFromBytes,
  type SeccompDataInput, type Step, UNFILTERED_X86_64_SYSCALLS, type Verdict, verdictOf,
} from './emulator/index.js';
export {
  type ArgCondition, type CompareOp, type Policy, type Rule, type SyscallRef,
} from './policy/types.js';
export {
  PolicyError, policy, PolicyBuilder, arg, arg32, evaluatePolicy, policyWarnings, callAbi, compareVerdicts, resolvePolicy,
  policyFromJson, policyToJson, formatPolicyJson, tunePolicy, parseTuning,
  HARDENED_EPERM_SYSCALLS, DEFAULT_DENY_ACTION,
  type PolicyCall, type ArgConditions, type ActionInput, type SyscallsInput, type PolicyJson, type RuleJson,
  type ConditionJson, type Tuning, type TuneOptions, type ResolvedPolicy, type ResolvedAbi,
  type ResolvedRule, type PolicyWarning, type PartialSyscall,
} from './policy/index.js';
export { policyFromJsonText } from './policy/json.js';
export { identifyPolicyDocument, type PolicyDocument } from './policy/detect.js';
export { getProfile, registerProfile, listProfiles, findProfile, type ProfileInfo } from './policy/profiles/index.js';
export { intersectPolicies, mergePolicies, AlgebraError } from './policy/algebra.js';
export {
  importProfile, exportProfile, loadProfile, isOciProfile, formatProfileJson, ProfileError, importDockerDefault,
  dockerDefaultPolicy, DOCKER_DEFAULT_PROFILE_JSON, DOCKER_DEFAULT_CAPABILITIES, CAPABILITIES,
  type ImportOptions, type ImportResult, type ProfileMeta, type ExportOptions, type ExportResult, type ProfileJson,
  type ProfileSyscallJson, type ProfileArgJson, type TargetArch, type SeccompFlag, TARGETS,
} from './policy/oci/index.js';
export {
  importFirecracker, firecrackerFilterNames, FIRECRACKER_ARCHES,
  type FirecrackerArch, type FirecrackerImport, type FirecrackerImportOptions,
} from './policy/formats/firecracker.js';
export {
  importSystemd, exportSystemd, isSystemdUnit, SYSTEMD_ARCHES, SYSTEMD_IMPLICIT_ALLOW, type SystemdExport, type SystemdImport,
} from './policy/formats/systemd.js';
export {
  exportFirecracker,
  type FirecrackerExport, type FirecrackerExportOptions, type FirecrackerFilter, type FirecrackerRule,
  type FirecrackerCondition, type FirecrackerAction,
} from './policy/formats/firecracker-export.js';
export {
  compilePolicy, CompileError, linearDispatch,
  type CompileOptions as CompilePolicyOptions, type CompileResult, type ProgramPass, type DispatchStrategy, type DispatchSection,
  type DispatchCase, type DispatchEmitter, type Decision, type WordTest,
} from './compiler/index.js';
export { performanceCompileOptions } from './compiler/performance.js';
export {
  optimizeProgram, optimizerPass, ALL_OPTIMIZATIONS, NO_OPTIMIZATIONS, type OptimizeOptions,
} from './compiler/optimize/index.js';
export { rangeDispatch, rangeTreeDispatch, type RangeDispatchOptions } from './compiler/dispatch/index.js';
export {
  explain, explanationText, explanationJson, predictVerdict, behaviourText, diffPrograms, diffText, witnessText,
  subsetOf, letsThrough, type SubsetResult,
  cacheReport, cacheReportText, constAllow, KERNEL_CACHE_ABIS, symbolicExecute, AnalysisError, AnalysisTimeout, abiOf, abisOf,
  actionText,
  type Explanation, type ExplainGroup, type ExplainOptions, type Behaviour, type Outcome, type Term, type Conjunction,
  type ArgField, type NamedSyscall, type DiffResult, type Difference, type DiffOptions, type Witness, type CacheReport,
  type AbiCache, type CacheOptions, type CacheDecision, type CacheMiss, type Leaf, type SymbolicResult,
  type SymbolicOptions, type AbiName, type SampleSummary, type AnalysisProgress, type BudgetOptions,
} from './analysis/index.js';
export { filterStats, filterStatsText, type FilterStats, type AbiStats } from './analysis/stats.js';
export {
  parseWorkload, workloadStats, workloadStatsText, WorkloadError,
  type Workload, type WorkloadStats, type AbiWorkloadStats, type WorkloadSyscall, type WorkloadStatsOptions,
} from './analysis/workload.js';
