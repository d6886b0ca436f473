/**
 * Syscall tables for x86_64, i386 and x32, the resolver over them, and the constants policies use:
 * architectures, actions, errno names, socket address families.
 */
export * from './arch.js';
export * from './actions.js';
export type { SyscallEntry, SyscallRow } from './types.js';
export {
  SyscallError, UnknownSyscallError, syscallTable, maxSyscallNr, lookupSyscall, resolveSyscall, syscallName,
  syscallByNr, suggestSyscalls, SYSCALL_NAME_MAX, quoteName, isOverlongSyscallName,
} from './resolve.js';
export { SYSCALL_DATA_SOURCE } from './tables/source.js';
export * from './errno.js';
export * from './families.js';
export * from './action-text.js';
