/** `seccomp-ts asm`: assemble text (the disassembler's, or hand-written with labels) into a filter. */
import { CliError, parseFlags, refuseRawOnTerminal, writeOutput, type Command } from '../command.js';
import { fileInputs, formatOption, loadFilterSource, profileOptionHelp, refuseUnoptimizedFilters, singleSource } from '../inputs.js';
import { writeProgram } from '../../bpf/formats.js';
import { validate } from '../../bpf/validator.js';

export const asmCommand: Command = {
  name: 'asm',
  get usage() {
    return `usage: seccomp-ts asm FILE|-|profile:NAME|--profile NAME [-o OUT] [--format raw|c|hex|json] [--input-format F]
                      [--allow-invalid] [--unoptimized]

Reads the text 'seccomp-ts disasm' prints, or hand-written text with labels:

    A = arch
    if (A != ARCH_X86_64) goto kill
    A = sys_number
    if (A == getcwd) goto deny
    return ALLOW
  deny: return ERRNO(EPERM)
  kill: return KILL_PROCESS

and writes the program. The default output is raw struct sock_filter bytes, which are not
written to a terminal: use -o OUT or a pipe. The program is checked like 'seccomp-ts check'
and an invalid one is refused (exit 2) unless --allow-invalid. FILE may also be a program in another
format, or a policy (seccomp-ts JSON, Docker/OCI profile) or built-in profile, which is compiled first.

  -o, --output OUT      write to OUT instead of stdout (never an input; replaced only once complete)
  --format F            output format: raw (default), c, hex, json
  --input-format F      input format (detected when omitted): asm, raw, c, hex, json
  --allow-invalid       write programs the kernel would refuse
${profileOptionHelp(22)}
  --unoptimized         compile a policy with linear dispatch and no optimizer passes (refused for a filter)`;
  },
  async run(argv, io) {
    const { values, positionals } = parseFlags(argv, {
      output: { type: 'string', short: 'o' },
      format: { type: 'string' },
      'input-format': { type: 'string' },
      'allow-invalid': { type: 'boolean' },
      profile: { type: 'string' },
      unoptimized: { type: 'boolean' },
    }, 'asm');
    const source = singleSource(positionals, values.profile, 'asm');
    const format = formatOption(values.format, 'asm', ['raw', 'c', 'hex', 'json']) ?? 'raw';
    refuseRawOnTerminal(format === 'raw', values.output, io, 'asm', 'c|hex|json');
    const loaded = await loadFilterSource(source, io, {
      command: 'asm', format: formatOption(values['input-format'], 'asm'), optimize: values.unoptimized !== true,
    });
    refuseUnoptimizedFilters(values.unoptimized, [loaded], 'asm');
    const { program } = loaded;
    const result = validate(program);
    if (!result.ok && !values['allow-invalid']) {
      throw new CliError(`asm: ${result.errors[0]?.message ?? 'invalid program'} (--allow-invalid writes it anyway)`);
    }
    await writeOutput(writeProgram(program, format), values.output, io, fileInputs(source));
    return 0;
  },
};
