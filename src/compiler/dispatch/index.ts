/**
 * How a compiled section finds a syscall's body: the strategy contract and the linear chain
 * (`strategy.ts`), the range tree (`range.ts`), and the value search both the range tree and the optimizer's
 * case-tree pass emit (`value-search.ts`).
 */
export { linearDispatch, type DispatchCase, type DispatchEmitter, type DispatchSection, type DispatchStrategy } from './strategy.js';
export { dispatchRuns, rangeDispatch, rangeTreeDispatch, type RangeDispatchOptions } from './range.js';
export { emitValueSearch, type DispatchOutcome, type DispatchRun, type ValueRun } from './value-search.js';
