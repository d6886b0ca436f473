/**
 * seccomp-ts: compile syscall policies and Docker/OCI profiles into classic-BPF seccomp filters, and validate,
 * disassemble, emulate and analyse any such filter exactly as Linux does.
 *
 * @packageDocumentation
 */
export * from './bpf/instructions.js';
export * from './bpf/seccomp-data.js';
export * from './bpf/builder.js';
export * from './bpf/validator.js';
export { encodeProgram, decodeProgram, encodeRaw, decodeRaw, SOCK_FILTER_SIZE } from './bpf/encode.js';
export { ProgramFormatError } from './bpf/format-error.js';
export { readProgram, writeProgram, detectFormat, PROGRAM_FORMATS, type ProgramFormat } from './bpf/formats.js';
export { formatC, parseC } from './bpf/format-c.js';
export { formatHex, parseHex } from './bpf/format-hex.js';
export { formatJson, parseJson } from './bpf/format-json.js';
export { disassemble, disassembleLines, type DisassembleOptions, type DisassembledLine } from './bpf/disasm.js';
export { assemble } from './bpf/asm.js';
export { analyzeFlow, type FlowFacts, type Holds } from './bpf/flow.js';
export * from './syscalls/index.js';
export type * from './policy/types.js';
