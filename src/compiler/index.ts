/** The compiler: policy → seccomp BPF. */
export {
  compilePolicy, CompileError, type CompileOptions, type CompileResult, type ProgramPass,
} from './compile.js';
export {
  linearDispatch, type DispatchStrategy, type DispatchSection, type DispatchCase, type DispatchEmitter,
} from './dispatch/index.js';
export type { Decision, WordTest } from './conditions.js';
export { performanceCompileOptions } from './performance.js';
