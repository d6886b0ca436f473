/**
 * Calls Linux never shows to any seccomp filter: the native x86_64 `uretprobe` (335, since 6.11) and `uprobe`
 * (336, since 6.17) go through without running filters (`seccomp_uprobe_exception`), since uprobes would break
 * otherwise; the kernel oracle confirms it on Linux 6.18. Their x32 and i386 numbers are filtered as usual.
 * Whatever a filter or a policy says about them has no effect, so every place that shows a verdict says so.
 */

/** x86_64 syscall numbers exempt from seccomp filtering on current kernels, with their names. */
export const UNFILTERED_X86_64_SYSCALLS: ReadonlyMap<number, string> = new Map([
  [335, 'uretprobe'],
  [336, 'uprobe'],
]);

/** True for a call of ABI `abi` and number `nr` (as `seccomp_data.nr`) that no filter ever sees. */
export function isUnfiltered(abi: string, nr: number): boolean {
  return abi === 'x86_64' && UNFILTERED_X86_64_SYSCALLS.has(nr);
}

/** The note every command prints for such a call: one line, naming it and what the kernel does instead. */
export function unfilteredNote(nr: number): string {
  return `Linux runs no seccomp filter for x86_64 ${UNFILTERED_X86_64_SYSCALLS.get(nr) ?? 'syscall'} (${nr}): the call goes through whatever the filter says`;
}
