/** `seccomp-ts subset`: whether A allows nothing that B denies, with a witness for every call that breaks it. */
import { diffText } from '../../analysis/diff.js';
import { subsetOf, type SubsetResult } from '../../analysis/subset.js';
import { bigintReplacer } from '../../analysis/explain.js';
import type { Command } from '../command.js';
import { differenceJson, loadComparison } from '../compare.js';
import { profileOptionHelp } from '../inputs.js';
import { analysisFailure } from '../analysis-options.js';

function subsetJson(r: SubsetResult): unknown {
  return JSON.parse(JSON.stringify({
    subset: r.subset, exhaustive: r.exhaustive, reasons: r.reasons, violations: r.violations.map(differenceJson),
  }, bigintReplacer));
}

function subsetText(r: SubsetResult, labels: readonly [string, string]): string {
  if (r.subset) return `subset: ${labels[0]} allows nothing that ${labels[1]} denies\n`;
  if (r.violations.length === 0) {
    return `not shown: no call that ${labels[0]} allows and ${labels[1]} denies was found, but the comparison is not exhaustive (${r.reasons.join('; ')})\n`;
  }
  const head = `not a subset: ${labels[0]} allows ${r.violations.length} class${r.violations.length === 1 ? '' : 'es'} of calls that ${labels[1]} denies\n`;
  return head + diffText({ equivalent: false, exhaustive: r.exhaustive, differences: r.violations, reasons: r.reasons }, labels);
}

export const subsetCommand: Command = {
  name: 'subset',
  usage: [
    'usage: seccomp-ts subset A B [--arch ABI]... [--json] [--unoptimized] [--timeout SECONDS]',
    '',
    'A and B are filters in any format or policies (seccomp-ts JSON, Docker/OCI profiles, profile:NAME), compiled',
    'first. A is a subset of B when every call A lets through (ALLOW or LOG), for every ABI, syscall number and',
    'argument value, B lets through too. Every class of calls that breaks it is listed with both verdicts and a',
    'witness call, as diff prints them. Calls Linux never filters (x86_64 uretprobe and uprobe) are ignored.',
    '',
    'exit status: 0 A is a subset of B, 1 it is not (or it could not be shown), 2 error, 3 --timeout reached',
    '',
    'options:',
    '  --arch ABI   compare only this ABI: any ABI (x86_64, aarch64, arm64, s390x, …) or other (arch values of',
    '               no listed ABI); repeatable. Default: the ABIs whose arch value either filter checks, then other',
    '  --json       {"subset", "exhaustive", "reasons", "violations": [{"abi", "syscalls", "numbers", "when",',
    '               "a": {"verdict", "action"}, "b": {...}, "witness": {"arch", "nr", "args", "instructionPointer"}}]}',
    profileOptionHelp(13).replace('instead of FILE', 'as A'),
    '  --unoptimized  compile policies with linear dispatch and no optimizer passes (refused when A and B are both filters)',
    '  --timeout S  give up after S seconds (exit status 3; default: no limit)',
  ].join('\n'),
  async run(argv, io) {
    const { a, b, options, json } = await loadComparison(argv, 'subset', io);
    let r: SubsetResult;
    try {
      r = subsetOf(a.program, b.program, options);
    } catch (err) {
      throw analysisFailure(err, 'subset');
    }
    io.stdout(json ? `${JSON.stringify(subsetJson(r), null, 2)}\n` : subsetText(r, [a.name, b.name]));
    return r.subset ? 0 : 1;
  },
};
