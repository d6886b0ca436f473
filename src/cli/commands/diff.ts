/** `seccomp-ts diff`: where two filters (or policies) decide differently, with a witness for each difference. */
import { diffPrograms, diffText, type DiffResult } from '../../analysis/diff.js';
import { bigintReplacer } from '../../analysis/explain.js';
import type { Command } from '../command.js';
import { differenceJson, loadComparison } from '../compare.js';
import { profileOptionHelp } from '../inputs.js';
import { analysisFailure } from '../analysis-options.js';

function diffJson(d: DiffResult): unknown {
  return JSON.parse(JSON.stringify({
    equivalent: d.equivalent, exhaustive: d.exhaustive, reasons: d.reasons, differences: d.differences.map(differenceJson),
  }, bigintReplacer));
}

export const diffCommand: Command = {
  name: 'diff',
  usage: [
    'usage: seccomp-ts diff A B [--arch ABI]... [--json] [--unoptimized] [--timeout SECONDS]',
    '       seccomp-ts diff --profile NAME B [...]',
    '',
    'A and B are filters in any format or policies (seccomp-ts JSON, Docker/OCI profiles, built-in profiles as',
    "profile:NAME), compiled first; one of them may be '-' (stdin); --profile NAME stands for A. Prints every",
    'class of inputs on which they return different values, each with a concrete witness input (arch, nr,',
    'arguments) and both verdicts:',
    '',
    '  x86_64 clock_adjtime: A ALLOW, B ERRNO(EPERM)',
    '      witness: x86_64 nr=0x131 args=[0, 0, 0, 0, 0, 0] ip=0',
    '',
    '"equivalent" is printed only when shown for every input (every pair of paths through the two programs);',
    'where a filter cannot be summarised exactly the comparison samples and says it is not exhaustive.',
    '',
    'Long comparisons print progress lines on stderr.',
    '',
    'exit status: 0 equivalent, 1 different (or equivalence not shown), 2 error, 3 --timeout reached',
    '',
    'options:',
    '  --arch ABI   compare only this ABI: any ABI (x86_64, aarch64, arm64, s390x, …) or other (arch values of',
    '               no listed ABI); repeatable. Default: the ABIs whose arch value either filter checks, then other',
    '  --json       {"equivalent", "exhaustive", "reasons", "differences": [{"abi", "syscalls", "numbers", "when",',
    '               "a": {"verdict", "action"}, "b": {...}, "witness": {"arch", "nr", "args", "instructionPointer"},',
    '               "unfiltered": [NR] where it covers x86_64 uretprobe/uprobe, which Linux never filters}]}',
    profileOptionHelp(13).replace('instead of FILE', 'as A'),
    '  --unoptimized  compile policies with linear dispatch and no optimizer passes (refused when A and B are both filters)',
    '  --timeout S  give up after S seconds (exit status 3; default: no limit)',
  ].join('\n'),
  async run(argv, io) {
    const { a, b, options, json } = await loadComparison(argv, 'diff', io);
    let d: DiffResult;
    try {
      d = diffPrograms(a.program, b.program, options);
    } catch (err) {
      throw analysisFailure(err, 'diff');
    }
    io.stdout(json ? `${JSON.stringify(diffJson(d), null, 2)}\n` : diffText(d, [a.name, b.name]));
    return d.equivalent ? 0 : 1;
  },
};
