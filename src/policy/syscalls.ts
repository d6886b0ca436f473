/**
 * What the policy layer uses from the syscall tables, in one place.
 */
export {
  lookupSyscall,
  quoteName,
  resolveSyscall,
  maxSyscallNr,
  syscallName,
  parseAction,
  formatAction,
  errnoNumber,
} from '../syscalls/index.js';
