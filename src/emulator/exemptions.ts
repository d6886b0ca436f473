/**
 * Calls the kernel never shows to any filter (see `syscalls/unfiltered.ts`, the one home of that fact).
 */
import { isUnfiltered } from '../syscalls/unfiltered.js';
import type { SeccompData } from './data.js';

export { UNFILTERED_X86_64_SYSCALLS } from '../syscalls/unfiltered.js';

/**
 * True when the kernel lets this call through without running any filter: whatever a filter says about it
 * (and whatever the emulator computes) has no effect.
 */
export function bypassesFilters(data: Pick<SeccompData, 'arch' | 'nr'>): boolean {
  return isUnfiltered(data.arch, data.nr);
}
