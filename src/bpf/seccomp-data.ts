/**
 * Layout of `struct seccomp_data` as a filter sees it, in the host's byte order:
 * `nr` u32 @0, `arch` u32 @4, `instruction_pointer` u64 @8, `args[6]` u64 @16 + 8i.
 * A filter loads aligned 32-bit words only, so 64-bit fields are read as two halves: the low half first on
 * little-endian ABIs, the high half first on big-endian ones (s390x, ppc64, mips, parisc, m68k, sheb).
 */
import type { Endian } from '../syscalls/arch.js';

/** Size in bytes of `struct seccomp_data`; also what a `LEN` load yields. */
export const SECCOMP_DATA_SIZE = 64;
/** Offset of `nr` in `seccomp_data`. */
export const OFFSET_NR = 0;
/** Offset of `arch` in `seccomp_data`. */
export const OFFSET_ARCH = 4;
/** Offset of the low half of `instruction_pointer` in `seccomp_data` (little-endian hosts). */
export const OFFSET_IP_LO = 8;
/** Offset of the high half of `instruction_pointer` in `seccomp_data` (little-endian hosts). */
export const OFFSET_IP_HI = 12;
/** How many arguments `seccomp_data` holds. */
export const ARG_COUNT = 6;

/** The index of a syscall argument, 0 to 5. */
export type ArgIndex = 0 | 1 | 2 | 3 | 4 | 5;
/** The low or high 32-bit half of a 64-bit field. */
export type WordHalf = 'lo' | 'hi';

/** Byte offset of the low or high 32-bit half of `args[index]` (little-endian: low half first; big: high first). */
export function argOffset(index: ArgIndex, half: WordHalf, endian: Endian = 'little'): number {
  const second = endian === 'little' ? 'hi' : 'lo';
  return 16 + 8 * index + (half === second ? 4 : 0);
}

/** What a 32-bit word at a given offset of `seccomp_data` holds. */
export type DataField =
  | { field: 'nr' }
  | { field: 'arch' }
  | { field: 'instruction_pointer'; half: WordHalf }
  | { field: 'arg'; index: ArgIndex; half: WordHalf };

/**
 * Names the field behind an aligned offset, or `undefined` for offsets a seccomp filter may not load. On a
 * big-endian ABI the first word of a 64-bit field is its high half.
 */
export function fieldAt(offset: number, endian: Endian = 'little'): DataField | undefined {
  if (!Number.isInteger(offset) || offset < 0 || offset >= SECCOMP_DATA_SIZE || offset % 4 !== 0) return undefined;
  if (offset === OFFSET_NR) return { field: 'nr' };
  if (offset === OFFSET_ARCH) return { field: 'arch' };
  const first: WordHalf = endian === 'little' ? 'lo' : 'hi';
  const second: WordHalf = endian === 'little' ? 'hi' : 'lo';
  if (offset === OFFSET_IP_LO) return { field: 'instruction_pointer', half: first };
  if (offset === OFFSET_IP_HI) return { field: 'instruction_pointer', half: second };
  const rel = offset - 16;
  return { field: 'arg', index: Math.floor(rel / 8) as ArgIndex, half: rel % 8 === 0 ? first : second };
}
