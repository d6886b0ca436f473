/** `seccomp-ts check`: does the kernel accept this program as a seccomp filter? */
import { CliError, inputName, parseFlags, readInput, type CliIO, type Command } from '../command.js';
import { ProgramFormatError } from '../../bpf/format-error.js';
import { PROGRAM_FORMATS, readProgram, type ProgramFormat } from '../../bpf/formats.js';
import type { Instruction } from '../../bpf/instructions.js';
import { validate } from '../../bpf/validator.js';

/** The `--format` flag's value, or a CliError listing the choices. */
export function formatOption(value: string | undefined, command: string, allowed: readonly ProgramFormat[] = PROGRAM_FORMATS): ProgramFormat | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new CliError(`${command}: unknown format "${value}" (one of ${allowed.join(', ')})`);
  }
  return value as ProgramFormat;
}

/** Reads FILE or stdin as a program in the given (or detected) format; bad input is a CliError naming the place. */
export async function loadProgram(path: string, format: ProgramFormat | undefined, io: CliIO): Promise<Instruction[]> {
  const bytes = await readInput(path, io);
  try {
    return readProgram(bytes, format);
  } catch (err) {
    if (err instanceof ProgramFormatError) throw new CliError(`${inputName(path)}: ${err.message}`);
    throw err;
  }
}

/** The single FILE|- positional argument. */
export function fileArgument(positionals: readonly string[], command: string): string {
  if (positionals.length !== 1) {
    throw new CliError(`${command}: expected one FILE (or - for stdin), got ${positionals.length === 0 ? 'none' : positionals.join(' ')}`);
  }
  return positionals[0] as string;
}

export const checkCommand: Command = {
  name: 'check',
  summary: 'check that the kernel would accept a BPF program as a seccomp filter',
  usage: `usage: seccomp-ts check FILE|- [--format raw|c|hex|json|asm] [--all]

Applies every rule Linux applies to a seccomp filter (bpf_check_classic, seccomp_check_filter).
Prints "valid: N instructions" and exits 0, or prints the first broken rule with the instruction
index and exits 1. The input format is detected unless --format is given.

  --format F   input format: raw (struct sock_filter bytes), c, hex, json, asm (disassembly text)
  --all        list every broken rule, not just the first`,
  async run(argv, io) {
    const { values, positionals } = parseFlags(argv, { format: { type: 'string' }, all: { type: 'boolean' } }, 'check');
    const path = fileArgument(positionals, 'check');
    const program = await loadProgram(path, formatOption(values.format, 'check'), io);
    const result = validate(program);
    if (result.ok) {
      io.stdout(`valid: ${program.length} instruction${program.length === 1 ? '' : 's'}\n`);
      return 0;
    }
    const shown = values.all ? result.errors : result.errors.slice(0, 1);
    for (const e of shown) io.stdout(`invalid: ${e.message}\n`);
    if (!values.all && result.errors.length > 1) io.stdout(`(${result.errors.length - 1} more; --all lists them)\n`);
    return 1;
  },
};
