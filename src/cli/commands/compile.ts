/** `seccomp-ts compile`: a policy (our JSON, a Docker/OCI profile, or a built-in profile) → a seccomp filter. */
import { errorMessage } from '../../util/error-message.js';
import { encodeProgram } from '../../bpf/encode.js';
import type { ProgramFormat } from '../../bpf/program-format.js';
import { partialSyscallsMessage, type PolicyWarning } from '../../policy/resolve.js';
import type { ImportOptions, ProfileJson, ProfileMeta, TargetArch } from '../../policy/oci/index.js';
import type { FirecrackerArch } from '../../policy/formats/firecracker.js';
import type { Policy } from '../../policy/types.js';
import { parseLinuxArch, type LinuxArchName } from '../../syscalls/index.js';
import { CliError, parseFlags, refuseRawOnTerminal, writeOutput, type Command } from '../command.js';
import { compileLoaded, fileInputs, loadPolicySource, profileOptionHelp, readWorkload, singleSource } from '../inputs.js';
import type { Workload } from '../../analysis/workload.js';
import { applyTuning } from '../options.js';

const FORMATS = ['raw', 'c', 'hex', 'asm', 'json', 'policy', 'oci', 'kubernetes', 'kubernetes-yaml', 'firecracker', 'systemd'] as const;

/** Formats that write the (tuned) policy rather than a filter. */
const POLICY_FORMATS: readonly OutputFormat[] = ['policy', 'oci', 'kubernetes', 'kubernetes-yaml', 'firecracker', 'systemd'];

/** Formats whose output carries a name (--name). */
const NAMED_FORMATS: readonly OutputFormat[] = ['kubernetes', 'kubernetes-yaml', 'firecracker'];

/** Docker's machine names (--target) as seccompiler names them. */
const FIRECRACKER_MACHINES: Readonly<Record<string, FirecrackerArch>> = { amd64: 'x86_64', arm64: 'aarch64', riscv64: 'riscv64' };
type OutputFormat = (typeof FORMATS)[number];

/** How many names a `partial-syscalls` warning quotes without --verbose. */
const PARTIAL_NAMES_SHOWN = 5;

/**
 * The line a compile warning prints, if any. Names missing on some ABIs are normal in a Docker/OCI profile (runc
 * resolves each name per ABI, silently), and so are its per-ABI numbers outside the ABIs chosen with --arch: not
 * mentioned there. Elsewhere missing names get a count and a few names (all of them with --verbose).
 */
function warningLine(w: PolicyWarning, oci: boolean, verbose: boolean): string | undefined {
  if (oci && (w.code === 'partial-syscalls' || w.code === 'uncovered-abi')) return undefined;
  if (w.code !== 'partial-syscalls' || verbose) return w.message;
  return w.syscalls.length <= PARTIAL_NAMES_SHOWN
    ? w.message
    : `${partialSyscallsMessage(w.syscalls, PARTIAL_NAMES_SHOWN)} (--verbose lists them)`;
}

/** What is wrong with --target or --kernel, if anything (the Docker/OCI vocabulary is loaded only to check them). */
async function importFlagProblem(target: string | undefined, kernel: string | undefined): Promise<string | undefined> {
  if (target === undefined && kernel === undefined) return undefined;
  const { TARGETS, parseKernelVersion } = await import('../on-demand.js');
  if (target !== undefined && !Object.hasOwn(TARGETS, target)) {
    return `--target: unsupported target "${target}" (one of ${Object.keys(TARGETS).join(', ')})`;
  }
  if (kernel !== undefined && parseKernelVersion(kernel) === undefined) {
    return `--kernel: invalid kernel version "${kernel}" (expected MAJOR.MINOR, e.g. 5.10)`;
  }
  return undefined;
}

/** The ABIs named by --arch, each once, in order. */
function parseArches(names: readonly string[]): LinuxArchName[] {
  const arches: LinuxArchName[] = [];
  for (const a of names) {
    let abi: LinuxArchName;
    try {
      abi = parseLinuxArch(a);
    } catch (err) {
      throw new CliError(`compile: --arch: ${errorMessage(err)}`);
    }
    if (!arches.includes(abi)) arches.push(abi);
  }
  return arches;
}

/**
 * A Docker/OCI profile as a Kubernetes SeccompProfile of the Security Profiles Operator: the profile is its spec,
 * and the resource is named after the input (lower case, letters, digits and dashes, as Kubernetes requires).
 */
function kubernetesSeccompProfile(profile: ProfileJson, group: string, where: string, chosen: string | undefined): object {
  const base = where.replace(/^profile:/, '').replace(/^.*\//, '').replace(/\.[^.]*$/, '');
  const name = chosen ?? (base.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63) || 'seccomp-profile');
  return { apiVersion: `${group}v1beta1`, kind: 'SeccompProfile', metadata: { name }, spec: profile };
}

/** A Kubernetes object name (RFC 1123 subdomain), as --name gives it. */
function checkKubernetesName(name: string): void {
  if (name.length > 253 || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(name)) {
    throw new CliError(`compile: --name: "${name.slice(0, 80)}" is no Kubernetes object name (lower-case letters, digits, '-' and '.', at most 253)`);
  }
}

/** The compiled filter in a program format, or the (tuned) policy as policy JSON or a Docker/OCI profile. */
export async function render(
  policy: Policy,
  format: OutputFormat,
  how: { where: string; meta: ProfileMeta | undefined; oci: boolean; optimize: boolean; verbose: boolean; name?: string; machine?: FirecrackerArch; workload?: { counts: Workload; kernelCache: boolean } },
  warnings: string[],
): Promise<Uint8Array | string> {
  if (POLICY_FORMATS.includes(format)) {
    // Each writer is loaded only for its format: a filter (the usual output) needs none of them.
    try {
      if (format === 'policy') return (await import('../on-demand.js')).formatPolicyJson(policy);
      if (format === 'systemd') {
        const written = (await import('../on-demand.js')).exportSystemd(policy, how.where);
        warnings.push(...written.warnings);
        return written.text;
      }
      if (format === 'firecracker') {
        const { exportFirecracker } = await import('../on-demand.js');
        const written = exportFirecracker(policy, { ...(how.name !== undefined && { name: how.name }), ...(how.machine !== undefined && { arch: how.machine }) });
        warnings.push(...written.warnings);
        return written.text;
      }
      const { exportProfile, formatProfileJson, KUBERNETES_GROUP } = await import('../on-demand.js');
      const exported = exportProfile(policy, how.meta !== undefined ? { meta: how.meta } : {});
      warnings.push(...exported.warnings);
      if (format === 'kubernetes') return `${formatProfileJson(kubernetesSeccompProfile(exported.profile, KUBERNETES_GROUP, how.where, how.name))}\n`;
      if (format === 'kubernetes-yaml') {
        const { resourceYaml } = await import('../yaml.js');
        return resourceYaml(formatProfileJson(kubernetesSeccompProfile(exported.profile, KUBERNETES_GROUP, how.where, how.name)), `SeccompProfile written by seccomp-ts compile from ${how.where}`);
      }
      return exported.text.endsWith('\n') ? exported.text : `${exported.text}\n`;
    } catch (err) {
      throw new CliError(`${how.where}: ${errorMessage(err)}`);
    }
  }
  const result = compileLoaded(policy, how.where, how.optimize, how.workload);
  for (const w of result.warnings) {
    const line = warningLine(w, how.oci, how.verbose);
    if (line !== undefined) warnings.push(line);
  }
  // Raw bytes (the default) without the text formats' writers.
  if (format === 'raw') return encodeProgram(result.program);
  return (await import('../on-demand.js')).writeProgram(result.program, format as ProgramFormat);
}

export const compileCommand: Command = {
  name: 'compile',
  get usage() {
    return [
      'usage: seccomp-ts compile POLICY.json|-|profile:NAME|--profile NAME [--tune ENTRY]... [--arch ABI]... [--enosys]',
      '                          [--format raw|c|hex|asm|json|policy|oci|kubernetes|kubernetes-yaml|firecracker|systemd]',
      '                          [-o FILE] [--unoptimized] [--workload COUNTS [--no-cache]]',
      '                          [--target GOARCH] [--kernel VERSION] [--strict] [--name NAME] [--verbose]',
      '',
      'Reads a policy in seccomp-ts JSON form, a Docker/OCI seccomp profile, a Kubernetes SeccompProfile (JSON or',
      'YAML), a Firecracker filter file or systemd unit settings (or takes a built-in profile), applies the tuning',
      'entries in order, and writes the filter. Raw bytes (struct sock_filter[], what `bwrap --seccomp FD` and',
      'seccomp(2) take) are the default; they are not written to a terminal: use -o.',
      '',
      'options:',
      profileOptionHelp(17),
      '  --tune ENTRY     allow:NAME, deny:NAME or deny:all (seccomp: prefix accepted); repeatable, applied in order',
      '  --arch ABI       cover this ABI instead of the policy\'s (x86_64, i386, x32, aarch64, arm, s390x, ppc64le,',
      '                   riscv64, mips, … or a Go/SCMP_ARCH_* name); repeatable',
      '  --enosys         numbers above the highest known syscall return ERRNO(ENOSYS) instead of the default',
      '  --format FMT     raw (default), c, hex, asm (disassembly), json (instructions), policy (the tuned policy as',
      '                   seccomp-ts JSON), oci (the tuned policy as a Docker/OCI profile), kubernetes (that',
      '                   profile as a Security Profiles Operator SeccompProfile resource, JSON, named by --name),',
      '                   kubernetes-yaml (the same resource in YAML),',
      '                   firecracker (one filter of a Firecracker/seccompiler file, named by --name, default',
      '                   main; for the machine --target names: amd64, arm64 or riscv64)',
      '                   systemd (SystemCallFilter=, SystemCallErrorNumber=, SystemCallArchitectures= for a unit)',
      '  -o, --output F   write to F (never an input; replaced only once complete)',
      '  --unoptimized    linear dispatch and no optimizer passes (the straightforward filter)',
      '  --workload F     search syscall numbers in the order that is cheapest for the call counts in F (a recording',
      '                   from `seccomp-ts record --format json`, or {"name": count}); calls the kernel\'s action',
      '                   cache answers cost nothing; same verdicts, see `stats --workload`',
      '  --no-cache       with --workload: for kernels without the action cache (before 5.11), every call counts',
      '  --verbose        warnings in full (every syscall name a policy names that some covered ABI lacks)',
      '',
      'Docker/OCI profile input (see docs/docker-oci.md):',
      '  --target T       the machine the profile is resolved for, as Docker names it: amd64 (default), 386, arm64,',
      '                   arm, ppc64le, ppc64, s390x, riscv64, loong64, mips64, mips64le, mips, mipsle',
      '  --kernel V       kernel version for minKernel (default: every minKernel is met)',
      '  --strict         unknown syscall names are an error instead of a warning',
      '',
      'Firecracker (seccompiler) filter file input (see docs/formats.md):',
      '  --name NAME      the filter (thread name: vmm, api, vcpu, …) of a Firecracker file, or the SeccompProfile of',
      '                   a YAML file, to read; needed when the file holds several;',
      '                   with --format firecracker also the name written (default: the name read)',
      '  --target T       the machine it is built for: amd64 (default), arm64, riscv64',
      '',
      'examples:',
      '  seccomp-ts compile --profile hardened --format asm',
      '  seccomp-ts compile --profile hardened --tune allow:clock_adjtime -o hardened.bpf',
      '  seccomp-ts compile policy.json --arch x86_64 --arch i386 --enosys --format c',
    ].join('\n');
  },
  async run(argv, io) {
    const { values, positionals } = parseFlags(argv, {
      profile: { type: 'string' },
      tune: { type: 'string', multiple: true },
      arch: { type: 'string', multiple: true },
      enosys: { type: 'boolean' },
      format: { type: 'string' },
      output: { type: 'string', short: 'o' },
      unoptimized: { type: 'boolean' },
      target: { type: 'string' },
      kernel: { type: 'string' },
      strict: { type: 'boolean' },
      verbose: { type: 'boolean' },
      name: { type: 'string' },
      workload: { type: 'string' },
      'no-cache': { type: 'boolean' },
    }, 'compile');
    if (values['no-cache'] === true && values.workload === undefined) throw new CliError('compile: --no-cache applies to --workload');
    const format = (values.format ?? 'raw') as OutputFormat;
    if (!FORMATS.includes(format)) {
      throw new CliError(`compile: unknown format '${values.format}' (one of ${FORMATS.join(', ')})`);
    }
    if (values.workload !== undefined && (values.unoptimized === true || POLICY_FORMATS.includes(format))) {
      throw new CliError(`compile: --workload shapes an optimized filter, and ${values.unoptimized === true ? '--unoptimized asks for the plain one' : `--format ${format} writes a policy`}`);
    }
    if (values.unoptimized === true && POLICY_FORMATS.includes(format)) {
      throw new CliError(`compile: --unoptimized shapes a filter, and --format ${format} writes a policy`);
    }
    const source = singleSource(positionals, values.profile, 'compile');
    refuseRawOnTerminal(format === 'raw', values.output, io, 'compile', 'asm|c|hex|json');

    const importOptions: ImportOptions = {
      ...(values.target !== undefined && { target: values.target as TargetArch }),
      ...(values.kernel !== undefined && { kernel: values.kernel }),
      ...(values.strict === true && { strict: true }),
    };
    const importFlags = (['target', 'kernel', 'strict'] as const).filter((f) => values[f] !== undefined).map((f) => `--${f}`);
    // Bad --target/--kernel values are named as flags, not as faults of the input; checked once the input is
    // known to be a Docker/OCI profile (elsewhere the flags do not apply at all).
    const flagProblem = await importFlagProblem(values.target, values.kernel);
    const loaded = await loadPolicySource(source, io, {
      command: 'compile', ...(importFlags.length > 0 && flagProblem === undefined && { importOptions }),
      firecracker: { nameFlag: true, namesOutput: NAMED_FORMATS.includes(format), ...(values.name !== undefined && { filterName: values.name }) },
    });
    const where = loaded.name;
    if (values.name !== undefined && loaded.format === undefined && !NAMED_FORMATS.includes(format)) {
      throw new CliError(`compile: --name ${values.name} picks a filter of a Firecracker file or a resource of a YAML file, or names a kubernetes or firecracker output, and ${where} is none`);
    }
    if (values.name !== undefined && (format === 'kubernetes' || format === 'kubernetes-yaml')) checkKubernetesName(values.name);
    let machine: FirecrackerArch | undefined;
    if (format === 'firecracker' && values.target !== undefined) {
      machine = FIRECRACKER_MACHINES[values.target];
      if (machine === undefined) throw new CliError(`compile: --target: seccompiler builds filters for ${Object.keys(FIRECRACKER_MACHINES).join(', ')}, not ${values.target}`);
    }
    const firecrackerFlags = loaded.format === 'firecracker' ? importFlags.filter((f) => f !== '--target') : importFlags;
    if (loaded.format === 'firecracker' && firecrackerFlags.length > 0) {
      throw new CliError(`compile: ${firecrackerFlags.join(', ')} only appl${firecrackerFlags.length === 1 ? 'ies' : 'y'} to Docker/OCI profiles, and ${where} is a Firecracker filter`);
    }
    const policyFlags = format === 'firecracker' ? importFlags.filter((f) => f !== '--target') : importFlags;
    if (!loaded.oci && loaded.format === undefined && policyFlags.length > 0) {
      throw new CliError(`compile: ${policyFlags.join(', ')} only appl${policyFlags.length === 1 ? 'ies' : 'y'} to Docker/OCI ` +
        `profiles, and ${where} is a seccomp-ts policy`);
    }
    if (flagProblem !== undefined) throw new CliError(`compile: ${flagProblem}`);
    const { meta, oci } = loaded;
    const warnings = [...loaded.warnings];
    let policy = loaded.policy;

    policy = applyTuning(policy, values.tune ?? [], 'compile');
    if (values.arch !== undefined) policy = { ...policy, arches: parseArches(values.arch) };
    if (values.enosys === true) policy = { ...policy, enosysGuard: true };

    const name = values.name ?? loaded.filterName;
    const output = await render(policy, format, {
      where, meta, oci, optimize: values.unoptimized !== true, verbose: values.verbose === true,
      ...(name !== undefined && { name }), ...(machine !== undefined && { machine }),
      ...(values.workload !== undefined && { workload: { counts: await readWorkload(values.workload, io, 'compile'), kernelCache: values['no-cache'] !== true } }),
    }, warnings);
    for (const w of warnings) io.stderr(`seccomp-ts: warning: ${w}\n`);

    await writeOutput(output, values.output, io, fileInputs(source));
    return 0;
  },
};
