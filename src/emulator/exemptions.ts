/**
 * Calls the kernel never shows to any filter. Linux lets the native x86_64 `uretprobe` (335) and `uprobe` (336)
 * syscalls through without running seccomp filters (`seccomp_uprobe_exception`), since uprobes would break
 * otherwise; the kernel oracle confirms it on Linux 6.18. Their x32 and i386 numbers are filtered as usual.
 */
import type { SeccompData } from './data.js';

/** x86_64 syscall numbers exempt from seccomp filtering on current kernels. */
export const UNFILTERED_X86_64_SYSCALLS: ReadonlyMap<number, string> = new Map([
  [335, 'uretprobe'],
  [336, 'uprobe'],
]);

/**
 * True when the kernel lets this call through without running any filter: whatever a filter says about it
 * (and whatever the emulator computes) has no effect.
 */
export function bypassesFilters(data: Pick<SeccompData, 'arch' | 'nr'>): boolean {
  return data.arch === 'x86_64' && UNFILTERED_X86_64_SYSCALLS.has(data.nr);
}
