/** `seccomp-ts explain`: any filter (or a policy, compiled first) as per-ABI, per-syscall conditions → verdict. */
import { explain, explanationJson, explanationText, type Explanation } from '../../analysis/explain.js';
import { ARCH_NAMES, LINUX_ARCH_NAMES, X32_SYSCALL_BIT } from '../../syscalls/arch.js';
import { isUnfiltered, unfilteredNote } from '../../syscalls/unfiltered.js';
import { lookupSyscall, quoteName, suggestSyscalls, syscallName } from '../../syscalls/resolve.js';
import { CliError, parseFlags, type Command } from '../command.js';
import { loadFilterSource, profileOptionHelp, refuseUnoptimizedFilters, singleSource } from '../inputs.js';
import { analysisFailure, budgetOptions, checked, parseAbis } from '../analysis-options.js';

/** One line per requested syscall and ABI: `x86_64 socket: ...` (or JSON objects, one per line). */
function syscallLines(e: Explanation, syscalls: readonly string[], json: boolean): string {
  const lines: string[] = [];
  for (const abi of e.abis) {
    if (abi === 'other') continue;
    for (const text of syscalls) {
      let nr: number;
      if (/^(\d+|0x[0-9a-f]+)$/i.test(text)) {
        nr = Number(text);
        if (abi === 'x32') nr = (nr | X32_SYSCALL_BIT) >>> 0;
      } else {
        const entry = lookupSyscall(abi, text);
        if (entry === undefined) continue; // exists on another ABI (checkSyscallNames refused names no ABI has)
        nr = entry.nr;
      }
      const group = e.groups.find((g) => g.abi === abi && (g.syscalls.some((s) => s.nr === nr) || g.unnamed.some(([lo, hi]) => nr >= lo && nr <= hi)));
      if (!group) continue;
      const name = syscallName(abi, nr) ?? `0x${nr.toString(16)}`;
      const unfiltered = isUnfiltered(abi, nr);
      lines.push(json
        ? JSON.stringify({ abi, syscall: name, nr, text: group.text, exact: group.behaviour.exact, ...(unfiltered && { filtered: false }) })
        : `${abi} ${name}: ${group.text}${unfiltered ? ` (not applied: ${unfilteredNote(nr)})` : ''}`);
    }
  }
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

/** Refuses, before any work, a `--syscall` name no ABI has (suggesting the nearest names) or a number past 32 bits. */
function checkSyscallNames(syscalls: readonly string[]): void {
  for (const text of syscalls) {
    if (/^(\d+|0x[0-9a-f]+)$/i.test(text) && BigInt(text) > 0xffffffffn) {
      throw new CliError(`explain: --syscall: syscall number ${text} is larger than any: seccomp_data.nr is 32 bits (at most 4294967295 = 0xffffffff)`);
    }
    if (/^(\d+|0x[0-9a-f]+)$/i.test(text) || LINUX_ARCH_NAMES.some((a) => lookupSyscall(a, text) !== undefined)) continue;
    const near = [...new Set(ARCH_NAMES.flatMap((a) => suggestSyscalls(a, text)))].slice(0, 3);
    throw new CliError(`explain: --syscall: unknown syscall ${quoteName(text)}${near.length > 0 ? `; did you mean ${near.join(' or ')}?` : ''}`);
  }
}

export const explainCommand: Command = {
  name: 'explain',
  usage: [
    'usage: seccomp-ts explain FILE|-|profile:NAME|--profile NAME [--arch ABI]... [--syscall NAME]... [--json]',
    '                          [--unoptimized] [--timeout SECONDS]',
    '',
    'Reads a seccomp filter in any format (raw struct sock_filter bytes, C, hex, JSON, assembler text) from',
    'seccomp-ts, libseccomp or anything else, or a policy (seccomp-ts JSON, Docker/OCI profile, or a built-in',
    'profile: profile:NAME or --profile NAME) which is compiled first, and prints what it decides for each ABI',
    'and syscall:',
    '',
    '  x86_64 socket: ERRNO(EAFNOSUPPORT) if arg0.lo in {3..9, 11..15, 17..0xffffffff}; else ALLOW',
    '',
    'Syscalls that behave alike share a line; numbers without a name are given as ranges. Conditions name',
    'whole 64-bit arguments (arg0), or their 32-bit halves (arg0.lo, arg0.hi) when only a half is tested.',
    'The result is exact: it is derived from every path through the program. Where a filter computes on its',
    'input in ways that cannot be summarised (arithmetic on arguments, comparisons of two arguments, RET A),',
    'the affected syscalls are sampled instead, and the output says so. The analysis never follows paths one by',
    'one (see docs/analysis.md); when it runs longer than a second it prints progress lines on stderr.',
    '',
    'exit status: 0 explained, 2 error, 3 --timeout reached',
    '',
    'options:',
    '  --arch ABI   explain only this ABI: any ABI (x86_64, aarch64, arm64, s390x, SCMP_ARCH_MIPSEL, …) or other',
    '               (arch values of no listed ABI); repeatable. Default: the ABIs whose arch value the filter',
    '               checks (x86_64, x32 and i386 when it checks one of theirs or none), then other',
    '  --syscall S  print only the line of this syscall (a name or number) on each ABI; repeatable',
    profileOptionHelp(13),
    '  --unoptimized  compile a policy with linear dispatch and no optimizer passes (refused for a filter)',
    '  --timeout S  give up after S seconds (exit status 3; default: no limit)',
    '  --json       {"exact", "reasons", "paths", "groups": [{"abi", "syscalls", "unnamed", "text", "exact",',
    '               "outcomes": [{"action", "verdict", "when": [[{"field", "mask"?, "in"}]]}], "otherwise"}]}',
  ].join('\n'),
  async run(argv, io) {
    const { values, positionals } = parseFlags(argv, {
      arch: { type: 'string', multiple: true },
      syscall: { type: 'string', multiple: true },
      json: { type: 'boolean' },
      profile: { type: 'string' },
      unoptimized: { type: 'boolean' },
      timeout: { type: 'string' },
    }, 'explain');
    const budget = budgetOptions(values.timeout, 'explain', io);
    const source = singleSource(positionals, values.profile, 'explain');
    const abis = parseAbis(values.arch, 'explain');
    checkSyscallNames(values.syscall ?? []);
    const loaded = await loadFilterSource(source, io, { command: 'explain', optimize: values.unoptimized !== true });
    refuseUnoptimizedFilters(values.unoptimized, [loaded], 'explain');
    checked(loaded);
    let e;
    try {
      e = explain(loaded.program, { ...(abis && { abis }), ...budget });
    } catch (err) {
      throw analysisFailure(err, `explain: ${loaded.name}`);
    }
    if (values.syscall !== undefined) {
      io.stdout(syscallLines(e, values.syscall, values.json === true));
      return 0;
    }
    io.stdout(values.json ? `${JSON.stringify(explanationJson(e), null, 2)}\n` : explanationText(e));
    return 0;
  },
};
