/** `seccomp-ts disasm`: print a BPF program as readable, re-assemblable text. */
import { CliError, inputName, parseFlags, type Command } from '../command.js';
import { disassemble } from '../../bpf/disasm.js';
import { fileArgument, formatOption, loadProgram } from './check.js';

export const disasmCommand: Command = {
  name: 'disasm',
  summary: 'disassemble a BPF program (raw bytes, C, hex, JSON) into readable text',
  usage: `usage: seccomp-ts disasm FILE|- [--format raw|c|hex|json|asm] [--no-columns]

Prints one row per instruction: index, raw fields (CODE JT JF K) and what it does, with
seccomp_data fields, architectures, syscall names (through the architecture checked on that
path) and actions spelled out. 'seccomp-ts asm' reads the text back to the same bytes.

  --format F     input format (detected when omitted)
  --no-columns   print only the instruction text`,
  async run(argv, io) {
    const { values, positionals } = parseFlags(argv, {
      format: { type: 'string' }, 'no-columns': { type: 'boolean' },
    }, 'disasm');
    const path = fileArgument(positionals, 'disasm');
    const program = await loadProgram(path, formatOption(values.format, 'disasm'), io);
    if (program.length === 0) throw new CliError(`${inputName(path)}: no instructions to disassemble`);
    io.stdout(disassemble(program, { columns: !values['no-columns'] }));
    return 0;
  },
};
