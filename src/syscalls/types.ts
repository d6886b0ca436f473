/** Shapes of the syscall tables. */
import type { SyscallNr } from './arch.js';

/** One row of a generated table: the ABI's own number (for x32 without the x32 bit), the name, and the
 * kernel version that introduced the call when the source data records it. */
export type SyscallRow = readonly [nr: number, name: string, minKernel?: string];

/** A system call of one ABI. */
export interface SyscallEntry {
  readonly name: string;
  /** The number as a filter sees it in `seccomp_data.nr`: for x32 it includes `X32_SYSCALL_BIT`. */
  readonly nr: SyscallNr;
  /** Kernel version that introduced the call (e.g. `"5.3"`), when known. */
  readonly minKernel?: string;
}
