/**
 * Layout of `struct seccomp_data` as a filter sees it (little-endian on x86):
 * `nr` u32 @0, `arch` u32 @4, `instruction_pointer` u64 @8, `args[6]` u64 @16 + 8i.
 * A filter loads aligned 32-bit words only, so 64-bit fields are read as two halves.
 */

/** Size in bytes of `struct seccomp_data`; also what a `LEN` load yields. */
export const SECCOMP_DATA_SIZE = 64;
export const OFFSET_NR = 0;
export const OFFSET_ARCH = 4;
export const OFFSET_IP_LO = 8;
export const OFFSET_IP_HI = 12;
export const ARG_COUNT = 6;

export type ArgIndex = 0 | 1 | 2 | 3 | 4 | 5;
export type WordHalf = 'lo' | 'hi';

/** Byte offset of the low or high 32-bit half of `args[index]` (little-endian: low half first). */
export function argOffset(index: ArgIndex, half: WordHalf): number {
  return 16 + 8 * index + (half === 'hi' ? 4 : 0);
}

/** What a 32-bit word at a given offset of `seccomp_data` holds. */
export type DataField =
  | { field: 'nr' }
  | { field: 'arch' }
  | { field: 'instruction_pointer'; half: WordHalf }
  | { field: 'arg'; index: ArgIndex; half: WordHalf };

/** Names the field behind an aligned offset, or `undefined` for offsets a seccomp filter may not load. */
export function fieldAt(offset: number): DataField | undefined {
  if (!Number.isInteger(offset) || offset < 0 || offset >= SECCOMP_DATA_SIZE || offset % 4 !== 0) return undefined;
  if (offset === OFFSET_NR) return { field: 'nr' };
  if (offset === OFFSET_ARCH) return { field: 'arch' };
  if (offset === OFFSET_IP_LO) return { field: 'instruction_pointer', half: 'lo' };
  if (offset === OFFSET_IP_HI) return { field: 'instruction_pointer', half: 'hi' };
  const rel = offset - 16;
  return { field: 'arg', index: Math.floor(rel / 8) as ArgIndex, half: rel % 8 === 0 ? 'lo' : 'hi' };
}
