/**
 * `seccomp-ts stats`: how big a filter is and how much work it does per syscall, for any filter (compiled
 * here, by libseccomp, or by anything else) or for a policy compiled on the spot.
 */
import type { Program } from '../../bpf/instructions.js';
import { validate } from '../../bpf/validator.js';
import { filterStats, filterStatsText } from '../../analysis/stats.js';
import { abisOf } from '../../analysis/partition.js';
import { ARCH_NAMES, parseLinuxArch, type LinuxArchName } from '../../syscalls/arch.js';
import { CliError, parseFlags, type Command } from '../command.js';
import { loadFilterSource, profileOptionHelp, readWorkload, refuseUnoptimizedFilters, singleSource } from '../inputs.js';
import { workloadStats, workloadStatsText } from '../../analysis/workload.js';

export const statsCommand: Command = {
  name: 'stats',
  usage: [
    'usage: seccomp-ts stats FILE|-|profile:NAME|--profile NAME [--arch ABI]... [--unoptimized] [--json]',
    '                        [--workload COUNTS [--no-cache]]',
    '',
    'FILE is a filter in any format (raw struct sock_filter bytes, C, hex, JSON, assembler text), from',
    'seccomp-ts, libseccomp or anything else, or a policy (seccomp-ts JSON, Docker/OCI profile, or a built-in',
    'profile) which is compiled first. For each ABI, every syscall number of its table is run once with all arguments zero:',
    'the mean and largest number of instructions executed, how many syscalls get each verdict, and how many',
    "the kernel's action cache lets through without running the filter at all, on the kernel that caches the ABI",
    '(natively, or as its compat ABI: i386 on x86_64, arm on aarch64, s390 on s390x; x32 and MIPS calls',
    'never are).',
    '',
    'options:',
    profileOptionHelp(16),
    '  --arch ABI      report this ABI (any ABI, e.g. aarch64 or s390x); repeatable. Default: the ABIs whose arch',
    '                  value the filter checks (x86_64, i386 and x32 when it checks one of theirs or none)',
    '  --unoptimized   compile a policy with linear dispatch and no optimizer passes (refused for a filter)',
    '  --json          {"instructions", "abis": [{"abi", "syscalls", "meanExecuted", "maxExecuted", "verdicts", "kernelCached",',
    '                  "unfiltered": [{"nr", "name", "verdict"}]}]}; x86_64 uretprobe and uprobe, which Linux never',
    '                  filters, are counted apart',
    '  --workload F    what a workload pays instead: F holds call counts (a recording from `seccomp-ts record',
    '                  --format json`, {"name": count} for x86_64, or {"ABI": {"name": count}}); per ABI the',
    "                  instructions executed per call, calls the kernel's action cache lets through costing 0,",
    '                  and the costliest syscalls; --json: {"instructions", "calls", "perCall", "abis": [{"abi",',
    '                  "calls", "skippedCalls", "perCall", "perFilteredCall", "syscalls": [...]}]}',
    "  --no-cache      with --workload: a kernel without the action cache (before 5.11): every call runs the filter",
  ].join('\n'),
  async run(argv, io) {
    const { values, positionals } = parseFlags(argv, {
      profile: { type: 'string' },
      arch: { type: 'string', multiple: true },
      unoptimized: { type: 'boolean' },
      json: { type: 'boolean' },
      workload: { type: 'string' },
      'no-cache': { type: 'boolean' },
    }, 'stats');
    if (values['no-cache'] === true && values.workload === undefined) throw new CliError('stats: --no-cache applies to --workload');
    if (values.workload !== undefined && values.arch !== undefined) throw new CliError('stats: --workload reports the ABIs the counts name; --arch does not apply');
    const source = singleSource(positionals, values.profile, 'stats');
    const optimize = values.unoptimized !== true;
    const loaded = await loadFilterSource(source, io, { command: 'stats', optimize });
    refuseUnoptimizedFilters(values.unoptimized, [loaded], 'stats');
    const program: Program = loaded.program;
    const title = `${loaded.name}${loaded.compiled ? ` (compiled${optimize ? '' : ', unoptimized'})` : ''}`;
    const checked = validate(program);
    if (!checked.ok) throw new CliError(`stats: ${title}: not a valid seccomp filter: ${checked.errors[0]?.message ?? 'invalid'}`);
    const abis: LinuxArchName[] = [];
    for (const a of values.arch ?? []) {
      let abi: LinuxArchName;
      try {
        abi = parseLinuxArch(a);
      } catch (err) {
        throw new CliError(`stats: --arch: ${(err as Error).message}`);
      }
      if (!abis.includes(abi)) abis.push(abi);
    }
    if (values.workload !== undefined) {
      const workload = await readWorkload(values.workload, io, 'stats');
      const costs = workloadStats(program, workload, { kernelCache: values['no-cache'] !== true });
      io.stdout(values.json ? `${JSON.stringify(costs, null, 2)}\n` : workloadStatsText(costs, title));
      return 0;
    }
    // By default the ABIs the filter checks, the x86 ones in their usual order (x86_64, i386, x32).
    const checkedAbis = abisOf(program).filter((a): a is LinuxArchName => a !== 'other');
    const byDefault = [...ARCH_NAMES.filter((a) => checkedAbis.includes(a)), ...checkedAbis.filter((a) => !(ARCH_NAMES as readonly string[]).includes(a))];
    const stats = filterStats(program, abis.length > 0 ? abis : byDefault);
    io.stdout(values.json ? `${JSON.stringify(stats, null, 2)}\n` : filterStatsText(stats, title));
    return 0;
  },
};
