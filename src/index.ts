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
export * from './syscalls/index.js';
export type * from './policy/types.js';
