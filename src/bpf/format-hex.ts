/**
 * Hex text of the raw bytes: one instruction (8 bytes, as in memory) per line, `20 00 00 00 04 00 00 00`.
 * Reading accepts any whitespace, optional `0x` prefixes and commas, and `#` comments.
 */
import { decodeProgram, encodeProgram } from './encode.js';
import { textError } from './format-error.js';
import type { Instruction, Program } from './instructions.js';

/** Writes a program as hexadecimal `sock_filter` records, one per line. */
export function formatHex(program: Program): string {
  const bytes = encodeProgram(program);
  const lines: string[] = [];
  for (let o = 0; o < bytes.length; o += 8) {
    lines.push(Array.from(bytes.subarray(o, o + 8), (b) => b.toString(16).padStart(2, '0')).join(' '));
  }
  return lines.map((l) => `${l}\n`).join('');
}

/** True when `text` looks like hex bytes (only hex digits, whitespace, `0x`, commas and comments). */
export function looksLikeHex(text: string): boolean {
  const body = text.replace(/#[^\n]*/g, '').replace(/0x/gi, '').replace(/[\s,]/g, '');
  return body.length > 0 && /^[0-9a-f]+$/i.test(body);
}

/** Reads a program from hexadecimal `sock_filter` records. */
export function parseHex(text: string): Instruction[] {
  const bytes: number[] = [];
  text.split('\n').forEach((raw, li) => {
    const line = raw.replace(/#.*$/, '');
    const re = /(0x)?([0-9a-fA-F]+)|[\s,]+|(.)/g;
    for (let m = re.exec(line); m !== null; m = re.exec(line)) {
      if (m[3] !== undefined) throw textError(`unexpected "${m[3]}" in hex input`, li + 1, m.index + 1);
      const digits = m[2];
      if (digits === undefined) continue;
      if (digits.length % 2 !== 0) {
        throw textError(`odd number of hex digits in "${m[0]}"`, li + 1, m.index + 1);
      }
      for (let i = 0; i < digits.length; i += 2) bytes.push(Number.parseInt(digits.slice(i, i + 2), 16));
    }
  });
  return decodeProgram(new Uint8Array(bytes));
}
