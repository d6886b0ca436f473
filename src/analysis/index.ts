/**
 * Filter analysis: explain any filter as per-syscall conditions, compare two filters semantically, and report
 * what the kernel's action cache will do with a filter.
 */
export {
  explain, explanationText, explanationJson, predictVerdict, behaviourText, conjunctionHolds,
  type Explanation, type ExplainGroup, type ExplainOptions, type Behaviour, type Outcome, type Term, type Conjunction,
  type ArgField, type NamedSyscall, type DataWords,
} from './explain.js';
export { diffPrograms, diffText, witnessText, inDifference, type DiffResult, type Difference, type DiffOptions, type Witness } from './diff.js';
export { subsetOf, letsThrough, type SubsetResult } from './subset.js';
export {
  cacheReport, cacheReportText, constAllow, KERNEL_CACHE_ABIS,
  type CacheReport, type AbiCache, type CacheOptions, type CacheDecision, type CacheMiss,
} from './cache.js';
export { symbolicExecute, AnalysisError, type Leaf, type SymbolicResult, type SymbolicOptions } from './symbolic.js';
export { abiOf, abisOf, type AbiName } from './partition.js';
export { AnalysisTimeout, type AnalysisProgress, type BudgetOptions } from './budget.js';
export type { SampleSummary } from './sampling.js';
export { actionText } from './verdict-text.js';
