/**
 * seccomp-ts/linux: the kernel side (Node on Linux, with the optional dependency koffi). Runs commands under
 * filters and reads the kernel log; the main entry stays free of Node and FFI imports.
 */
export { linuxUnavailable, LinuxUnavailableError } from './ffi.js';
export { runFiltered, type RunOptions, type RunResult } from './run.js';
export { recordCommand, abiOf, type RecordOptions, type RecordResult } from './record.js';
export { listInheritedFds } from './fds.js';
export { CommandNotFoundError, resolveCommand, type Exit } from './spawn.js';
export { openKernelLog, readKernelLog, type KernelLog } from './kmsg.js';
export { openAuditStream, type AuditStream } from './audit-netlink.js';
export type { LaunchPlan } from './launch-steps.js';
