/**
 * What the policy layer uses from the syscall tables, in one place.
 */
export {
  lookupSyscall,
  resolveSyscall,
  maxSyscallNr,
  syscallName,
  parseAction,
  formatAction,
  errnoNumber,
} from '../syscalls/index.js';
