/** The names of a program's forms, apart from the readers and writers (bpf/formats.ts), which are larger. */

/** A format a program can be read from or written to. */
export type ProgramFormat = 'raw' | 'c' | 'hex' | 'json' | 'asm';
/** The program formats `readProgram` and `writeProgram` know. */
export const PROGRAM_FORMATS: readonly ProgramFormat[] = ['raw', 'c', 'hex', 'json', 'asm'];
