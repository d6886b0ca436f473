/** `seccomp-ts disasm`: print a BPF program as readable, re-assemblable text. */
import { CliError, parseFlags, type Command } from '../command.js';
import { formatOption, loadFilterSource, profileOptionHelp, refuseUnoptimizedFilters, singleSource } from '../inputs.js';
import { disassemble } from '../../bpf/disasm.js';

export const disasmCommand: Command = {
  name: 'disasm',
  get usage() {
    return `usage: seccomp-ts disasm FILE|-|profile:NAME|--profile NAME [--format raw|c|hex|json|asm] [--no-columns]
                         [--unoptimized]

Prints one row per instruction: index, raw fields (CODE JT JF K) and what it does, with
seccomp_data fields, architectures, syscall names (through the architecture checked on that
path) and actions spelled out. 'seccomp-ts asm' reads the text back to the same bytes.
A policy (seccomp-ts JSON, Docker/OCI profile) or a built-in profile is compiled first.

  --format F       input format (detected when omitted)
  --no-columns     print only the instruction text
${profileOptionHelp(17)}
  --unoptimized    compile a policy with linear dispatch and no optimizer passes (refused for a filter)`;
  },
  async run(argv, io) {
    const { values, positionals } = parseFlags(argv, {
      format: { type: 'string' }, 'no-columns': { type: 'boolean' }, profile: { type: 'string' }, unoptimized: { type: 'boolean' },
    }, 'disasm');
    const source = singleSource(positionals, values.profile, 'disasm');
    const loaded = await loadFilterSource(source, io, {
      command: 'disasm', format: formatOption(values.format, 'disasm'), optimize: values.unoptimized !== true,
    });
    refuseUnoptimizedFilters(values.unoptimized, [loaded], 'disasm');
    const { program, name } = loaded;
    if (program.length === 0) throw new CliError(`${name}: no instructions to disassemble`);
    io.stdout(disassemble(program, { columns: !values['no-columns'] }));
    return 0;
  },
};
