/**
 * What `diff` and `subset` share: their flags, loading A and B (filters, or policies compiled first), and a
 * difference as JSON.
 */
import type { Difference } from '../analysis/diff.js';
import { unfilteredIn } from '../analysis/diff.js';
import { conjunctionText } from '../analysis/explain.js';
import type { AbiName } from '../analysis/partition.js';
import type { BudgetOptions } from '../analysis/budget.js';
import { CliError, parseFlags, type CliIO } from './command.js';
import { loadFilterSource, refuseUnoptimizedFilters, sourceOf, type LoadedFilter, type Source } from './inputs.js';
import { budgetOptions, checked, parseAbis } from './analysis-options.js';

/** Two loaded filters and the analysis options the flags asked for. */
export interface Comparison {
  readonly a: LoadedFilter;
  readonly b: LoadedFilter;
  readonly options: BudgetOptions & { readonly abis?: AbiName[] };
  readonly json: boolean;
}

/** Parses `A B [--arch ABI]... [--json] [--profile NAME] [--unoptimized] [--timeout S]` and loads A and B. */
export async function loadComparison(argv: readonly string[], command: string, io: CliIO): Promise<Comparison> {
  const { values, positionals } = parseFlags(argv, {
    arch: { type: 'string', multiple: true },
    json: { type: 'boolean' },
    profile: { type: 'string' },
    unoptimized: { type: 'boolean' },
    timeout: { type: 'string' },
  }, command);
  const budget = budgetOptions(values.timeout, command, io);
  const sources: Source[] = [
    ...(values.profile !== undefined ? [{ kind: 'profile' as const, profile: values.profile }] : []),
    ...positionals.map(sourceOf),
  ];
  if (sources.length !== 2) {
    throw new CliError(`${command}: name two filters or policies A and B${values.profile !== undefined ? ' (--profile is A)' : ''}`);
  }
  if (positionals[0] === '-' && positionals[1] === '-') throw new CliError(`${command}: only one of A and B can be stdin`);
  const abis = parseAbis(values.arch, command);
  const options = { command, optimize: values.unoptimized !== true };
  const a = checked(await loadFilterSource(sources[0] as Source, io, options));
  const b = checked(await loadFilterSource(sources[1] as Source, io, options));
  refuseUnoptimizedFilters(values.unoptimized, [a, b], command);
  return { a, b, options: { ...(abis && { abis }), ...budget }, json: values.json === true };
}

/** One class of differing inputs as `--json` prints it (64-bit values stay bigints until serialised). */
export function differenceJson(x: Difference): unknown {
  return {
    abi: x.abi,
    syscalls: x.syscalls,
    numbers: x.numbers,
    when: x.exact ? conjunctionText(x.when, false) : null,
    exact: x.exact,
    a: { verdict: x.verdictA, action: x.actionA },
    b: { verdict: x.verdictB, action: x.actionB },
    witness: { arch: x.witness.arch, nr: x.witness.nr, args: x.witness.args, instructionPointer: x.witness.instructionPointer },
    ...(unfilteredIn(x).length > 0 && { unfiltered: unfilteredIn(x) }),
  };
}
