/** Policies: the model, its JSON form, the builder, validation, the reference evaluator, tuning and the hardened rules. */
export type * from './types.js';
export { PolicyError } from './errors.js';
export {
  resolvePolicy, partialSyscallsMessage, DEFAULT_BAD_ARCH_ACTION, type PolicyWarning, type PartialSyscall, type ResolvedPolicy,
  type ResolvedAbi, type ResolvedRule,
} from './resolve.js';
export {
  evaluatePolicy, policyWarnings, callAbi, argumentValue, conditionHolds, compareVerdicts, ENOSYS, type PolicyCall,
} from './evaluate.js';
export { policy, arg, arg32, PolicyBuilder, type ArgConditions, type ActionInput, type SyscallsInput } from './builder.js';
export {
  policyFromJson, policyFromJsonText, policyToJson, formatPolicyJson, parseJsonValue, jsonValue,
  type PolicyJson, type RuleJson, type ConditionJson, type JsonInteger,
} from './json.js';
export { tunePolicy, parseTuning, DEFAULT_DENY_ACTION, type Tuning, type TuneOptions } from './tune.js';
export { HARDENED_EPERM_SYSCALLS } from './profiles/hardened.js';
