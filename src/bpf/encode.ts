/**
 * The kernel's in-memory form of a filter: `struct sock_filter[]`, 8 bytes per instruction, little-endian
 * (`u16 code`, `u8 jt`, `u8 jf`, `u32 k`). This is what `seccomp(2)`, `prctl(PR_SET_SECCOMP)` and
 * `bwrap --seccomp FD` take.
 */
import { fromRaw, toRaw, type Instruction, type Program, type RawInstruction } from './instructions.js';
import { ProgramFormatError } from './format-error.js';

/** Bytes per `struct sock_filter`. */
export const SOCK_FILTER_SIZE = 8;

/** Encodes raw instructions as `struct sock_filter[]` bytes. */
export function encodeRaw(raws: readonly RawInstruction[]): Uint8Array {
  const bytes = new Uint8Array(raws.length * SOCK_FILTER_SIZE);
  const view = new DataView(bytes.buffer);
  raws.forEach((r, i) => {
    const o = i * SOCK_FILTER_SIZE;
    view.setUint16(o, r.code, true);
    view.setUint8(o + 2, r.jt);
    view.setUint8(o + 3, r.jf);
    view.setUint32(o + 4, r.k >>> 0, true);
  });
  return bytes;
}

/** Encodes a program as `struct sock_filter[]` bytes. */
export function encodeProgram(program: Program): Uint8Array {
  return encodeRaw(program.map(toRaw));
}

/** Decodes `struct sock_filter[]` bytes into raw instructions; a length that is not a multiple of 8 is an error. */
export function decodeRaw(bytes: Uint8Array): RawInstruction[] {
  const extra = bytes.length % SOCK_FILTER_SIZE;
  if (extra !== 0) {
    const at = bytes.length - extra;
    throw new ProgramFormatError(
      `${bytes.length} bytes is not a whole number of 8-byte instructions: ${extra} stray byte${extra === 1 ? '' : 's'} at byte offset ${at}`,
      { byteOffset: at },
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: RawInstruction[] = [];
  for (let o = 0; o < bytes.length; o += SOCK_FILTER_SIZE) {
    out.push({ code: view.getUint16(o, true), jt: view.getUint8(o + 2), jf: view.getUint8(o + 3), k: view.getUint32(o + 4, true) });
  }
  return out;
}

/** Decodes `struct sock_filter[]` bytes into typed instructions (lossless: unknown codes are kept). */
export function decodeProgram(bytes: Uint8Array): Instruction[] {
  return decodeRaw(bytes).map(fromRaw);
}
