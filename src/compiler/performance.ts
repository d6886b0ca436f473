/**
 * The compile options behind `seccomp-ts compile` (unless `--unoptimized`): range-tree dispatch and every
 * optimizer pass. The library's `compilePolicy` defaults to linear dispatch and no passes, the form that is
 * easiest to read and to check against the policy; these options give the smallest and fastest filters.
 */
import type { CompileOptions } from './compile.js';
import { rangeDispatch, type RangeDispatchOptions } from './dispatch/index.js';
import { optimizerPass, type OptimizeOptions } from './optimize/index.js';

/**
 * Compile options for the smallest and fastest filters: range-tree dispatch and every optimizer pass.
 * `compilePolicy(policy, performanceCompileOptions())`.
 */
export function performanceCompileOptions(
  options: { readonly dispatch?: RangeDispatchOptions; readonly optimize?: OptimizeOptions } = {},
): CompileOptions {
  return { dispatch: rangeDispatch(options.dispatch), passes: [optimizerPass(options.optimize)] };
}
