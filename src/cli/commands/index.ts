/**
 * Every CLI command, in the order `seccomp-ts --help` lists them: its name and summary here, its code loaded only
 * when it runs (so that starting the CLI parses one command's modules, not all of them).
 */
import type { Command } from '../command.js';

/** A command as the CLI lists it, before its module is loaded. */
export interface CommandEntry {
  readonly name: string;
  /** One line for `seccomp-ts --help`. */
  readonly summary: string;
  /** Loads the command's module. */
  load(): Promise<Command>;
}

export const commands: readonly CommandEntry[] = [
  {
    name: 'compile',
    summary: 'compile a policy, a Docker/OCI profile or a built-in profile into a seccomp filter',
    load: async () => (await import('./compile.js')).compileCommand,
  },
  {
    name: 'resolve',
    summary: 'syscall name to number, or number to name, on any ABI (x86_64, aarch64, s390x, …)',
    load: async () => (await import('./resolve.js')).resolveCommand,
  },
  {
    name: 'syscalls',
    summary: "list an ABI's syscalls with their numbers",
    load: async () => (await import('./syscalls.js')).syscallsCommand,
  },
  {
    name: 'disasm',
    summary: 'disassemble a BPF program (raw bytes, C, hex, JSON) into readable text',
    load: async () => (await import('./disasm.js')).disasmCommand,
  },
  {
    name: 'asm',
    summary: 'assemble filter text (with labels) into raw bytes, C, hex or JSON',
    load: async () => (await import('./asm.js')).asmCommand,
  },
  {
    name: 'check',
    summary: 'check that the kernel would accept a BPF program as a seccomp filter',
    load: async () => (await import('./check.js')).checkCommand,
  },
  {
    name: 'emu',
    summary: 'run a filter on a syscall (or a batch from stdin) and print the verdict',
    load: async () => (await import('./emu.js')).emuCommand,
  },
  {
    name: 'stats',
    summary: 'size, executed instructions per syscall, verdicts and kernel-cacheable syscalls of a filter or policy',
    load: async () => (await import('./stats.js')).statsCommand,
  },
  {
    name: 'explain',
    summary: 'decompile any filter (or policy) into per-syscall conditions and verdicts',
    load: async () => (await import('./explain.js')).explainCommand,
  },
  {
    name: 'diff',
    summary: 'every class of inputs on which two filters (or policies) decide differently, with witnesses',
    load: async () => (await import('./diff.js')).diffCommand,
  },
  {
    name: 'subset',
    summary: 'whether A allows nothing that B denies (exit 0), or the calls that show otherwise (exit 1)',
    load: async () => (await import('./subset.js')).subsetCommand,
  },
  {
    name: 'intersect',
    summary: 'one filter equal to several installed together (the strictest verdict wins)',
    load: async () => (await import('./combine.js')).intersectCommand,
  },
  {
    name: 'merge',
    summary: 'one filter that lets a call through when any input does (the least restrictive verdict wins)',
    load: async () => (await import('./combine.js')).mergeCommand,
  },
  {
    name: 'userns',
    summary: 'user-namespace ID maps: check, translate, allocate, chown (:U)',
    load: async () => (await import('./userns.js')).usernsCommand,
  },
  {
    name: 'run',
    summary: 'run a command with filters installed (stdio, environment and exit status passed through)',
    load: async () => (await import('./run.js')).runCommand,
  },
  {
    name: 'record',
    summary: 'run a command and write the profile that allows exactly the syscalls it made (no root needed)',
    load: async () => (await import('./record.js')).recordCommandCli,
  },
  {
    name: 'audit',
    summary: "decode the kernel's seccomp records (audit.log, dmesg, journalctl, ausearch -i) and explain them",
    load: async () => (await import('./audit.js')).auditCommand,
  },
];
