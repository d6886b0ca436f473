/**
 * `seccomp-ts intersect` and `seccomp-ts merge`: one filter for several. `intersect` equals the kernel's verdict
 * for the inputs installed together (the strictest action wins); `merge` lets a call through when any input
 * does (the least restrictive action wins).
 */
import { writeProgram, type ProgramFormat } from '../../bpf/formats.js';
import { loosestOf, stackPrograms, StackError } from '../../bpf/stack.js';
import type { Instruction } from '../../bpf/instructions.js';
import { CliError, parseFlags, refuseRawOnTerminal, writeOutput, type CliIO, type Command } from '../command.js';
import { fileInputs, formatOption, loadFilterSource, sourceOf, type Source } from '../inputs.js';
import { checked } from '../options.js';

const FORMATS: readonly ProgramFormat[] = ['raw', 'c', 'hex', 'json', 'asm'];

async function run(name: 'intersect' | 'merge', argv: readonly string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseFlags(argv, {
    output: { type: 'string', short: 'o' },
    format: { type: 'string' },
    unoptimized: { type: 'boolean' },
  }, name);
  if (positionals.length < 2) throw new CliError(`${name}: name at least two filters or policies`);
  if (positionals.filter((p) => p === '-').length > 1) throw new CliError(`${name}: only one input can be stdin`);
  const format = formatOption(values.format, name, FORMATS) ?? 'raw';
  refuseRawOnTerminal(format === 'raw', values.output, io, name, 'c|hex|json|asm');
  const sources: Source[] = positionals.map(sourceOf);
  const programs = [];
  for (const source of sources) {
    programs.push(checked(await loadFilterSource(source, io, { command: name, optimize: values.unoptimized !== true })).program);
  }
  let combined: Instruction[];
  try {
    combined = name === 'intersect' ? stackPrograms(programs) : loosestOf(programs);
  } catch (err) {
    if (err instanceof StackError) throw new CliError(`${name}: ${err.message}`);
    throw err;
  }
  await writeOutput(writeProgram(combined, format), values.output, io, fileInputs(...sources));
  return 0;
}

const usage = (name: 'intersect' | 'merge', what: string[]): string => [
  `usage: seccomp-ts ${name} A B [C...] [-o OUT] [--format F] [--unoptimized]`,
  '',
  ...what,
  '',
  'Each input is a filter in any format or a policy (seccomp-ts JSON, Docker/OCI profile, profile:NAME), compiled',
  'first. The result is one filter (raw struct sock_filter bytes by default, not written to a terminal), checked',
  'like any other; it keeps each input\'s code and adds a few instructions per input to combine the verdicts.',
  '',
  '  -o, --output OUT  write to OUT instead of stdout (never an input; replaced only once complete)',
  '  --format F        raw (default), c, hex, json or asm',
  '  --unoptimized     compile policies with linear dispatch and no optimizer passes',
].join('\n');

export const intersectCommand: Command = {
  name: 'intersect',
  usage: usage('intersect', [
    'Writes one filter whose verdict for every call is the kernel\'s verdict for A, B, ... installed in that order:',
    'the action of highest precedence wins (KILL_PROCESS over KILL_THREAD over TRAP over ERRNO ... over ALLOW), and',
    'among equal actions the last input\'s data (the newest filter\'s, as the kernel keeps it).',
  ]),
  run: (argv, io) => run('intersect', argv, io),
};

export const mergeCommand: Command = {
  name: 'merge',
  usage: usage('merge', [
    'Writes one filter whose verdict for every call is the least restrictive of the inputs\' verdicts: the action',
    'of lowest precedence wins (ALLOW over LOG over TRACE over USER_NOTIF over ERRNO ... over KILL_PROCESS), and',
    'among equal actions the first input\'s data. A call is let through when any input lets it through.',
  ]),
  run: (argv, io) => run('merge', argv, io),
};
