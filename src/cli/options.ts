/**
 * Options and checks several CLI commands share: `--arch` as one ABI or as analysis ABIs, `--timeout` with
 * progress lines, and the structural check of a filter before it is analysed.
 */
import { errorMessage } from '../util/error-message.js';
import { AnalysisError, checkStructure } from '../analysis/symbolic.js';
import { AnalysisTimeout, progressText, type BudgetOptions } from '../analysis/budget.js';
import { parseAbiName, type AbiName } from '../analysis/partition.js';
import { parseArch, parseLinuxArch, quoteName, SYSCALL_NAME_MAX, type ArchName, type LinuxArchName } from '../syscalls/index.js';
import { CliError } from './command.js';
import { PolicyError } from '../policy/errors.js';
import { tunePolicy } from '../policy/tune.js';
import type { Policy } from '../policy/types.js';
import type { LoadedFilter } from './inputs.js';


/** The `--arch` flag's value as an ABI (default x86_64); a bad value is a one-line CliError. */
export function archOption(value: string | undefined, command: string): ArchName {
  if (value === undefined) return 'x86_64';
  try {
    return parseArch(value);
  } catch (err) {
    throw new CliError(`${command}: ${(err as Error).message}`);
  }
}

/** The `--arch` flag's value as any ABI libseccomp knows (default x86_64); a bad value is a one-line CliError. */
export function linuxArchOption(value: string | undefined, command: string): LinuxArchName {
  if (value === undefined) return 'x86_64';
  try {
    return parseLinuxArch(value);
  } catch (err) {
    throw new CliError(`${command}: ${(err as Error).message}`);
  }
}

/** Refuses a program the kernel would not load, naming the file, the instruction and the rule. */
export function checked(loaded: LoadedFilter): LoadedFilter {
  try {
    checkStructure(loaded.program);
  } catch (err) {
    throw new CliError(`${loaded.name}: ${errorMessage(err)}`);
  }
  return loaded;
}

/** Exit status when `--timeout` passes. */
export const TIMEOUT_EXIT = 3;

/** `--timeout SECONDS` and progress lines on stderr, as options of the analysis. */
export function budgetOptions(timeout: string | undefined, command: string, io: { stderr(text: string): void }): BudgetOptions {
  let timeoutMs: number | undefined;
  if (timeout !== undefined) {
    const seconds = /^\d+(\.\d+)?$/.test(timeout.trim()) ? Number(timeout) : NaN;
    if (!(seconds > 0) || !Number.isFinite(seconds)) throw new CliError(`${command}: --timeout: expected a positive number of seconds, got '${timeout.slice(0, 40)}'`);
    timeoutMs = seconds * 1000;
  }
  return { ...(timeoutMs !== undefined && { timeoutMs }), onProgress: (p) => io.stderr(`${progressText(command, p)}\n`) };
}

/** The CLI error for an analysis that failed or ran out of time. */
export function analysisFailure(err: unknown, prefix: string): unknown {
  if (err instanceof AnalysisTimeout) {
    return new CliError(`${prefix}: ${err.message}; give a larger --timeout, or restrict the analysis with --arch`, TIMEOUT_EXIT);
  }
  if (err instanceof AnalysisError) return new CliError(`${prefix}: ${err.message}`);
  return err;
}

/**
 * `--arch` values: any ABI (`aarch64`, `arm64`, `SCMP_ARCH_S390X`, …) and `other` (every arch value of no listed
 * ABI). Undefined when none is given: the analysis then covers the ABIs the filters check.
 */
export function parseAbis(values: readonly string[] | undefined, command: string): AbiName[] | undefined {
  const abis: AbiName[] = [];
  for (const a of values ?? []) {
    let abi: AbiName;
    try {
      abi = parseAbiName(a);
    } catch (err) {
      throw new CliError(`${command}: --arch: ${errorMessage(err)}`);
    }
    if (!abis.includes(abi)) abis.push(abi);
  }
  return abis.length > 0 ? abis : undefined;
}

/**
 * `--tune` entries applied to a policy in order; an entry that does not apply is a one-line error naming it
 * (cut to a short prefix when it is longer than any syscall name).
 */
export function applyTuning(policy: Policy, tune: readonly string[], command: string): Policy {
  try {
    return tunePolicy(policy, tune);
  } catch (err) {
    const index = err instanceof PolicyError ? /^tune\[(\d+)\]/.exec(err.path)?.[1] : undefined;
    const detail = err instanceof PolicyError ? err.detail : errorMessage(err);
    const entry = index !== undefined ? tune[Number(index)] ?? '' : '';
    throw new CliError(`${command}: --tune ${entry.length <= SYSCALL_NAME_MAX ? entry : quoteName(entry)}: ${detail}`);
  }
}
