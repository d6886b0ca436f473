/**
 * `seccomp-ts intersect` and `seccomp-ts merge`: one filter for several. `intersect` equals the kernel's verdict
 * for the inputs installed together (the strictest action wins); `merge` lets a call through when any input
 * does (the least restrictive action wins).
 */
import { writeProgram, type ProgramFormat } from '../../bpf/formats.js';
import { loosestOf, stackPrograms, StackError } from '../../bpf/stack.js';
import type { Instruction } from '../../bpf/instructions.js';
import { CliError, parseFlags, refuseRawOnTerminal, writeOutput, type CliIO, type Command } from '../command.js';
import { fileInputs, loadFilterSource, loadPolicySource, sourceName, sourceOf, type Source } from '../inputs.js';
import { checked } from '../analysis-options.js';
import { AlgebraError, intersectPolicies, mergePolicies } from '../../policy/algebra.js';
import { PolicyError } from '../../policy/errors.js';
import type { Policy } from '../../policy/types.js';
import { errorMessage } from '../../util/error-message.js';
import { parseLinuxArch, type LinuxArchName } from '../../syscalls/arch.js';
import { lookupSyscall } from '../../syscalls/resolve.js';

const FILTER_FORMATS: readonly ProgramFormat[] = ['raw', 'c', 'hex', 'json', 'asm'];
/** Formats that write the combined policy (every input must be a policy). */
const POLICY_FORMATS = ['policy', 'oci', 'kubernetes', 'kubernetes-yaml', 'firecracker'] as const;
type PolicyFormat = (typeof POLICY_FORMATS)[number];
const isPolicyFormat = (f: string): f is PolicyFormat => (POLICY_FORMATS as readonly string[]).includes(f);

/** Reads every input as a policy; a filter among them is refused, since a filter cannot become a policy again. */
async function loadPolicies(sources: readonly Source[], io: CliIO, name: string, format: string): Promise<Policy[]> {
  const policies: Policy[] = [];
  for (const source of sources) {
    try {
      policies.push((await loadPolicySource(source, io, { command: name })).policy);
    } catch (err) {
      if (err instanceof CliError && /BPF program is read by|a filter in JSON form/.test(err.message)) {
        throw new CliError(`${name}: ${sourceName(source)} is a filter: a filter can be analysed but not turned back into a policy, ` +
          `so --format ${format} needs policies only (a filter format combines filters)`);
      }
      throw err;
    }
  }
  return policies;
}

/**
 * A policy covering `arches` instead of its own: names none of them has, and numbers of other ABIs, are left out
 * (such calls cannot be made on the ABIs kept), as are rules left naming nothing.
 */
function narrowed(policy: Policy, arches: readonly LinuxArchName[]): Policy {
  const rules = policy.rules
    .map((r) => ({ ...r, syscalls: r.syscalls.filter((s) => (typeof s === 'string' ? arches.some((a) => lookupSyscall(a, s) !== undefined) : arches.includes(s.arch))) }))
    .filter((r) => r.syscalls.length > 0);
  return { ...policy, arches, rules };
}

/** The inputs combined as a policy, written in a policy format. */
async function combinedPolicy(name: 'intersect' | 'merge', sources: readonly Source[], format: PolicyFormat, io: CliIO, outName: string | undefined, arches: readonly LinuxArchName[] | undefined): Promise<string | Uint8Array> {
  const loaded = await loadPolicies(sources, io, name, format);
  const policies = arches === undefined ? loaded : loaded.map((p) => narrowed(p, arches));
  let policy: Policy;
  try {
    policy = name === 'intersect' ? intersectPolicies(policies) : mergePolicies(policies);
  } catch (err) {
    if (err instanceof AlgebraError || err instanceof PolicyError) throw new CliError(`${name}: ${errorMessage(err).replace(/^(intersect|merge): /, '')}`);
    throw err;
  }
  const warnings: string[] = [];
  const where = `${name} of ${sources.map(sourceName).join(', ')}`;
  // Loaded here rather than imported, so that `compile` stays one chunk of its own instead of two shared ones.
  const { render } = await import('./compile.js');
  const out = await render(policy, format, {
    where, meta: undefined, oci: false, optimize: true, verbose: false,
    ...(outName !== undefined ? { name: outName } : format.startsWith('kubernetes') ? { name: name } : {}),
  }, warnings);
  for (const w of warnings) io.stderr(`seccomp-ts: warning: ${w}\n`);
  return out;
}

async function run(name: 'intersect' | 'merge', argv: readonly string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseFlags(argv, {
    output: { type: 'string', short: 'o' },
    format: { type: 'string' },
    unoptimized: { type: 'boolean' },
    name: { type: 'string' },
    arch: { type: 'string', multiple: true },
  }, name);
  if (positionals.length < 2) throw new CliError(`${name}: name at least two filters or policies`);
  if (positionals.filter((p) => p === '-').length > 1) throw new CliError(`${name}: only one input can be stdin`);
  const format = values.format ?? 'raw';
  if (!isPolicyFormat(format) && !(FILTER_FORMATS as readonly string[]).includes(format)) {
    throw new CliError(`${name}: unknown format '${format}' (one of ${[...FILTER_FORMATS, ...POLICY_FORMATS].join(', ')})`);
  }
  refuseRawOnTerminal(format === 'raw', values.output, io, name, 'c|hex|json|asm|policy|oci');
  const sources: Source[] = positionals.map(sourceOf);
  if (isPolicyFormat(format)) {
    if (values.unoptimized === true) throw new CliError(`${name}: --unoptimized shapes a filter, and --format ${format} writes a policy`);
    let arches: LinuxArchName[] | undefined;
    if (values.arch !== undefined) {
      arches = [];
      for (const a of values.arch) {
        let abi: LinuxArchName;
        try {
          abi = parseLinuxArch(a);
        } catch (err) {
          throw new CliError(`${name}: --arch: ${errorMessage(err)}`);
        }
        if (!arches.includes(abi)) arches.push(abi);
      }
    }
    await writeOutput(await combinedPolicy(name, sources, format, io, values.name, arches), values.output, io, fileInputs(...sources));
    return 0;
  }
  if (values.arch !== undefined) throw new CliError(`${name}: --arch narrows policies combined into a policy; --format ${format} combines filters`);
  if (values.name !== undefined) throw new CliError(`${name}: --name names a kubernetes or firecracker output, and --format ${format} writes a filter`);
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
  await writeOutput(writeProgram(combined, format as ProgramFormat), values.output, io, fileInputs(...sources));
  return 0;
}

const usage = (name: 'intersect' | 'merge', what: string[]): string => [
  `usage: seccomp-ts ${name} A B [C...] [-o OUT] [--format F] [--unoptimized] [--name NAME] [--arch ABI]...`,
  '',
  ...what,
  '',
  'Each input is a filter in any format or a policy (seccomp-ts JSON, Docker/OCI or Kubernetes profile, Firecracker',
  'file, profile:NAME). With a filter format the policies are compiled first and the result is one filter (raw',
  'struct sock_filter bytes by default, not written to a terminal) that keeps each input\'s code and adds a few',
  'instructions per input to combine the verdicts. With a policy format every input must be a policy, and the',
  'result is one minimal policy with exactly that verdict for every call (refused, with the reason, when no single',
  'policy can say it: say a different default action per ABI). See docs/algebra.md.',
  '',
  '  -o, --output OUT  write to OUT instead of stdout (never an input; replaced only once complete)',
  '  --format F        filters: raw (default), c, hex, json, asm; policies: policy (seccomp-ts JSON), oci,',
  '                    kubernetes, kubernetes-yaml, firecracker',
  '  --unoptimized     compile policies with linear dispatch and no optimizer passes (filter formats)',
  '  --name NAME       the resource or filter name a kubernetes or firecracker output carries',
  '  --arch ABI        with a policy format: every input covers this ABI instead of its own (repeatable)',
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
