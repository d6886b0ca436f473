/** `seccomp-ts check`: does the kernel accept this program as a seccomp filter? */
import { parseFlags, type Command } from '../command.js';
import { formatOption, loadFilterSource, profileOptionHelp, refuseUnoptimizedFilters, singleSource } from '../inputs.js';
import { validate } from '../../bpf/validator.js';

export const checkCommand: Command = {
  name: 'check',
  get usage() {
    return `usage: seccomp-ts check FILE|-|profile:NAME|--profile NAME [--format raw|c|hex|json|asm] [--all] [--unoptimized]

Applies every rule Linux applies to a seccomp filter (bpf_check_classic, seccomp_check_filter).
Prints "valid: N instructions" and exits 0, or prints the first broken rule with the instruction
index and exits 1. The input format is detected unless --format is given; a policy (seccomp-ts JSON,
Docker/OCI profile, OCI config.json) or a built-in profile is compiled first.

  --format F       input format: raw (struct sock_filter bytes), c, hex, json, asm (disassembly text)
  --all            list every broken rule, not just the first
${profileOptionHelp(17)}
  --unoptimized    compile a policy with linear dispatch and no optimizer passes (refused for a filter)`;
  },
  async run(argv, io) {
    const { values, positionals } = parseFlags(argv, {
      format: { type: 'string' }, all: { type: 'boolean' }, profile: { type: 'string' }, unoptimized: { type: 'boolean' },
    }, 'check');
    const source = singleSource(positionals, values.profile, 'check');
    const loaded = await loadFilterSource(source, io, {
      command: 'check', format: formatOption(values.format, 'check'), optimize: values.unoptimized !== true,
    });
    refuseUnoptimizedFilters(values.unoptimized, [loaded], 'check');
    const { program } = loaded;
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
