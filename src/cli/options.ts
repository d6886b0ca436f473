/**
 * Options several CLI commands share: `--arch` as one ABI, and `--tune`. Those of the analysis commands are in
 * analysis-options.ts, so that commands that analyse nothing do not load the analysis.
 */
import { errorMessage } from '../util/error-message.js';
import { parseArch, parseLinuxArch, quoteName, SYSCALL_NAME_MAX, type ArchName, type LinuxArchName } from '../syscalls/index.js';
import { CliError } from './command.js';
import { PolicyError } from '../policy/errors.js';
import { tunePolicy } from '../policy/tune.js';
import type { Policy } from '../policy/types.js';

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
