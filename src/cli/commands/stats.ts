/**
 * `seccomp-ts stats`: how big a filter is and how much work it does per syscall, for any filter (compiled
 * here, by libseccomp, or by anything else) or for a policy compiled on the spot.
 */
import { readProgram } from '../../bpf/formats.js';
import { ProgramFormatError } from '../../bpf/format-error.js';
import type { Program } from '../../bpf/instructions.js';
import { validate } from '../../bpf/validator.js';
import { cacheReport } from '../../analysis/cache.js';
import { compilePolicy } from '../../compiler/compile.js';
import { performanceCompileOptions } from '../../compiler/optimize/index.js';
import { seccompData } from '../../emulator/data.js';
import { compileFilter } from '../../emulator/executor.js';
import { policyFromJson } from '../../policy/json.js';
import { isOciProfile, loadProfile } from '../../policy/oci/index.js';
import { getProfile } from '../../policy/profiles.js';
import type { Policy } from '../../policy/types.js';
import { decodeAction } from '../../syscalls/actions.js';
import { formatAction } from '../../syscalls/action-text.js';
import { ARCH_NAMES, type ArchName } from '../../syscalls/arch.js';
import { syscallTable } from '../../syscalls/resolve.js';
import { CliError, parseFlags, readInput, type CliIO, type Command } from '../command.js';

/** What one ABI's syscalls cost under a filter. */
export interface AbiStats {
  readonly abi: ArchName;
  /** Syscalls in the ABI's table: every one is evaluated once, with all arguments zero. */
  readonly syscalls: number;
  /** Mean instructions executed per syscall, the final RET included. */
  readonly meanExecuted: number;
  readonly maxExecuted: number;
  /** How many of the table's syscalls get each verdict (text form, e.g. `ERRNO(EPERM)`). */
  readonly verdicts: Readonly<Record<string, number>>;
  /**
   * Syscalls of the table the kernel's action cache will let through without running the filter (the filter
   * allows them on a path that reads only nr and arch). Always 0 for x32, which the kernel never caches.
   */
  readonly kernelCached: number;
}

export interface FilterStats {
  readonly instructions: number;
  readonly abis: readonly AbiStats[];
}

/** Size, executed instructions, verdicts and kernel-cacheable syscalls of a filter, per ABI. */
export function filterStats(program: Program, abis: readonly ArchName[] = ARCH_NAMES): FilterStats {
  const filter = compileFilter(program);
  const cache = cacheReport(program, { nativePassthrough: [] });
  const cachedBy: Record<ArchName, ReadonlySet<number>> = {
    x86_64: new Set(cache.native.cached),
    i386: new Set(cache.compat.cached),
    x32: new Set(),
  };
  return {
    instructions: program.length,
    abis: abis.map((abi) => {
      const table = syscallTable(abi);
      let total = 0;
      let max = 0;
      let cached = 0;
      const verdicts: Record<string, number> = {};
      for (const entry of table) {
        const run = filter.runCounting(seccompData({ arch: abi, nr: entry.nr }));
        total += run.executed;
        max = Math.max(max, run.executed);
        const text = formatAction(decodeAction(run.raw));
        verdicts[text] = (verdicts[text] ?? 0) + 1;
        if (cachedBy[abi].has(entry.nr)) cached++;
      }
      return { abi, syscalls: table.length, meanExecuted: total / table.length, maxExecuted: max, verdicts, kernelCached: cached };
    }),
  };
}

/** The report as an aligned table. */
export function filterStatsText(stats: FilterStats, title: string): string {
  const rows = stats.abis.map((a) => [
    a.abi, String(a.syscalls), a.meanExecuted.toFixed(2), String(a.maxExecuted), a.abi === 'x32' ? '0 (never)' : String(a.kernelCached),
    Object.entries(a.verdicts).sort((x, y) => y[1] - x[1]).map(([v, n]) => `${v} ${n}`).join(', '),
  ]);
  const head = ['ABI', 'syscalls', 'mean', 'max', 'kernel-cached', 'verdicts'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] as number))).join('  ');
  return [
    `${title}: ${stats.instructions} instruction${stats.instructions === 1 ? '' : 's'}`,
    'executed instructions per syscall: every number of each ABI\'s table, arguments zero',
    line(head),
    ...rows.map(line),
  ].join('\n') + '\n';
}

const describe = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** FILE as a filter in any format, or as a policy/profile compiled with `compileOptions`. */
async function loadFilter(path: string, io: CliIO, optimize: boolean): Promise<{ program: Program; compiled: boolean }> {
  const name = path === '-' ? 'stdin' : path;
  const bytes = await readInput(path, io);
  if (!bytes.includes(0)) {
    const text = new TextDecoder().decode(bytes);
    if (/^\uFEFF?\s*\{/.test(text)) {
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (err) {
        throw new CliError(`${name}: not valid JSON (${describe(err)})`);
      }
      let policy: Policy;
      try {
        policy = isOciProfile(json) ? loadProfile(text, name).policy : policyFromJson(json);
      } catch (err) {
        const message = describe(err);
        throw new CliError(message.startsWith(`${name}: `) ? message : `${name}: ${message}`);
      }
      return { program: compileOrFail(policy, name, optimize), compiled: true };
    }
  }
  try {
    return { program: readProgram(bytes), compiled: false };
  } catch (err) {
    if (err instanceof ProgramFormatError) throw new CliError(`${name}: ${err.message}`);
    throw err;
  }
}

function compileOrFail(policy: Policy, name: string, optimize: boolean): Program {
  try {
    return compilePolicy(policy, optimize ? performanceCompileOptions() : {}).program;
  } catch (err) {
    throw new CliError(`${name}: ${describe(err)}`);
  }
}

export const statsCommand: Command = {
  name: 'stats',
  summary: 'size, executed instructions per syscall, verdicts and kernel-cacheable syscalls of a filter or policy',
  usage: [
    'usage: seccomp-ts stats FILE|-|--profile NAME [--arch ABI]... [--unoptimized] [--json]',
    '',
    'FILE is a filter in any format (raw struct sock_filter bytes, C, hex, JSON, assembler text), from',
    'seccomp-ts, libseccomp or anything else, or a policy (seccomp-ts JSON, Docker/OCI profile) which is',
    'compiled first. For each ABI, every syscall number of its table is run once with all arguments zero:',
    'the mean and largest number of instructions executed, how many syscalls get each verdict, and how many',
    "the kernel's action cache lets through without running the filter at all (x32 calls never are).",
    '',
    'options:',
    '  --profile NAME  a built-in profile instead of FILE (hardened, docker-default)',
    '  --arch ABI      report only this ABI (x86_64, i386, x32); repeatable',
    '  --unoptimized   compile a policy with linear dispatch and no optimizer passes',
    '  --json          {"instructions", "abis": [{"abi", "syscalls", "meanExecuted", "maxExecuted", "verdicts", "kernelCached"}]}',
  ].join('\n'),
  async run(argv, io) {
    const { values, positionals } = parseFlags(argv, {
      profile: { type: 'string' },
      arch: { type: 'string', multiple: true },
      unoptimized: { type: 'boolean' },
      json: { type: 'boolean' },
    }, 'stats');
    if (positionals.length > 1) throw new CliError(`stats: one filter at a time (got ${positionals.join(' ')})`);
    const source = positionals[0];
    if ((source === undefined) === (values.profile === undefined)) {
      throw new CliError("stats: name one FILE ('-' for stdin) or --profile NAME (see 'seccomp-ts stats --help')");
    }
    const optimize = values.unoptimized !== true;
    let program: Program;
    let title: string;
    if (values.profile !== undefined) {
      let policy: Policy;
      try {
        policy = getProfile(values.profile);
      } catch (err) {
        throw new CliError(`stats: --profile: ${describe(err)}`);
      }
      program = compileOrFail(policy, `profile ${values.profile}`, optimize);
      title = `profile ${values.profile} (compiled${optimize ? '' : ', unoptimized'})`;
    } else {
      const loaded = await loadFilter(source as string, io, optimize);
      program = loaded.program;
      title = `${source === '-' ? 'stdin' : source}${loaded.compiled ? ` (compiled${optimize ? '' : ', unoptimized'})` : ''}`;
    }
    const checked = validate(program);
    if (!checked.ok) throw new CliError(`stats: ${title}: not a valid seccomp filter: ${checked.errors[0]?.message ?? 'invalid'}`);
    const abis: ArchName[] = [];
    for (const a of values.arch ?? []) {
      if (!(ARCH_NAMES as readonly string[]).includes(a)) throw new CliError(`stats: --arch: unknown ABI '${a}' (x86_64, i386 or x32)`);
      if (!abis.includes(a as ArchName)) abis.push(a as ArchName);
    }
    const stats = filterStats(program, abis.length > 0 ? abis : ARCH_NAMES);
    io.stdout(values.json ? `${JSON.stringify(stats, null, 2)}\n` : filterStatsText(stats, title));
    return 0;
  },
};
