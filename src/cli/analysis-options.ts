/**
 * Options and checks the analysis commands share: `--arch` as analysis ABIs, `--timeout` with progress lines, and
 * the structural check of a filter before it is analysed.
 */
import { errorMessage } from '../util/error-message.js';
import { AnalysisError, checkStructure } from '../analysis/symbolic.js';
import { AnalysisTimeout, progressText, type BudgetOptions } from '../analysis/budget.js';
import { parseAbiName, type AbiName } from '../analysis/partition.js';
import { CliError } from './command.js';
import type { LoadedFilter } from './inputs.js';

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
