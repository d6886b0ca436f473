/**
 * Reading and writing a program in any of its forms: raw `struct sock_filter[]` bytes, C source, hex bytes,
 * JSON, or the disassembler's text. `readProgram` tells them apart when no format is given.
 */
import { assemble } from './asm.js';
import { disassemble } from './disasm.js';
import { decodeProgram, encodeProgram } from './encode.js';
import { formatC, looksLikeC, parseC } from './format-c.js';
import { ProgramFormatError } from './format-error.js';
import { formatHex, looksLikeHex, parseHex } from './format-hex.js';
import { formatJson, parseJson } from './format-json.js';
import type { Instruction, Program } from './instructions.js';
import type { ProgramFormat } from './program-format.js';

export { PROGRAM_FORMATS, type ProgramFormat } from './program-format.js';

/**
 * Guesses the format of `bytes`. Raw filters always hold NUL bytes (the high byte of every classic opcode is 0),
 * text never does; text is JSON when it starts with `[`, C when it has `BPF_STMT`/`BPF_JUMP`/`sock_filter` or
 * `{n, n, …}` initialisers, hex when it is only hex digits, and assembler text otherwise.
 */
export function detectFormat(bytes: Uint8Array): ProgramFormat {
  if (bytes.includes(0)) return 'raw';
  const text = new TextDecoder().decode(bytes);
  if (/^\uFEFF?\s*\[/.test(text)) return 'json';
  if (looksLikeC(text)) return 'c';
  // A JSON object is no program, but reading it as JSON gives the error that says so.
  if (/^\uFEFF?\s*\{/.test(text)) return 'json';
  if (looksLikeHex(text)) return 'hex';
  if (text.trim() === '') return 'raw';
  return 'asm';
}

/** Reads a program; without `format`, detects it. Throws `ProgramFormatError` naming the place. */
export function readProgram(bytes: Uint8Array, format: ProgramFormat = detectFormat(bytes)): Instruction[] {
  if (format === 'raw') return decodeProgram(bytes);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ProgramFormatError(`input is not UTF-8 text, so it cannot be ${format} (use --format raw for binary filters)`);
  }
  switch (format) {
    case 'c': return parseC(text);
    case 'hex': return parseHex(text);
    case 'json': return parseJson(text);
    case 'asm': return assemble(text);
  }
}

/** Writes a program: bytes for `raw`, text for the others (`asm` is the disassembly with its columns). */
export function writeProgram(program: Program, format: ProgramFormat): Uint8Array | string {
  switch (format) {
    case 'raw': return encodeProgram(program);
    case 'c': return formatC(program);
    case 'hex': return formatHex(program);
    case 'json': return formatJson(program);
    case 'asm': return disassemble(program);
  }
}
