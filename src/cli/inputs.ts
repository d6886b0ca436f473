/**
 * What every command reads: FILE (or `-` for stdin) or a built-in profile (`profile:NAME` as FILE, or
 * `--profile NAME`), as a policy or as a filter. One place decides what the input is, how it is compiled and how
 * messages name it. What reads it is loaded when it is known: a built-in profile its own module
 * (src/cli/profiles.ts), a file the readers of every format (src/cli/input-files.ts), so that a command on a
 * built-in profile parses neither the Docker/OCI reader nor the other formats.
 */
import { errorMessage } from '../util/error-message.js';
import { compilePolicy, CompileError, type CompileResult } from '../compiler/compile.js';
import { performanceCompileOptions } from '../compiler/performance.js';
import { PolicyError } from '../policy/errors.js';
import type { Workload } from '../analysis/workload.js';
import { PROGRAM_FORMATS, type ProgramFormat } from '../bpf/program-format.js';
import type { Program } from '../bpf/instructions.js';
import type { ImportOptions, ProfileMeta } from '../policy/oci/index.js';
import type { Policy } from '../policy/types.js';
import { CliError, inputName, naming, type CliIO } from './command.js';
import type { OutputInput } from './output-file.js';
import { BUILT_IN_PROFILE_NAMES, builtInProfile, PROFILE_PREFIX } from './profiles.js';

export { PROFILE_PREFIX } from './profiles.js';

/** Where an input comes from: a file (`-` for stdin) or a built-in profile. */
export type Source =
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'profile'; readonly profile: string };

/** FILE as given on the command line: `profile:NAME` is a built-in profile, anything else a path. */
export function sourceOf(file: string): Source {
  return file.startsWith(PROFILE_PREFIX)
    ? { kind: 'profile', profile: file.slice(PROFILE_PREFIX.length) }
    : { kind: 'file', path: file };
}

/** The files among SOURCES, which `-o` may not overwrite (built-in profiles are no files). */
export function fileInputs(...sources: readonly Source[]): OutputInput[] {
  return sources.flatMap((s) => (s.kind === 'file' ? [{ path: s.path, name: inputName(s.path) }] : []));
}

/** How messages name a source: the path, `<stdin>`, or `profile:NAME`. */
export function sourceName(source: Source): string {
  return source.kind === 'profile' ? `${PROFILE_PREFIX}${source.profile}` : inputName(source.path);
}

/** The help line every command taking FILE shows for `--profile`. */
export function profileOptionHelp(width: number): string {
  return `  ${'--profile NAME'.padEnd(Math.max(width, 16))}a built-in profile instead of FILE (same as profile:NAME): ${BUILT_IN_PROFILE_NAMES.join(', ')}`;
}

/** The one input of a command: FILE (positional) or `--profile NAME`, exactly one of them. */
export function singleSource(positionals: readonly string[], profile: string | undefined, command: string): Source {
  if (positionals.length > 1) throw new CliError(`${command}: one FILE at a time (got ${positionals.join(' ')})`);
  const file = positionals[0];
  if (file !== undefined && profile !== undefined) {
    throw new CliError(`${command}: give either FILE (${file}) or --profile ${profile}, not both`);
  }
  if (profile !== undefined) return { kind: 'profile', profile };
  if (file === undefined) {
    throw new CliError(`${command}: name a FILE, '-' for stdin, or --profile NAME (see 'seccomp-ts ${command} --help')`);
  }
  return sourceOf(file);
}

/** The `--format` flag's value (a program format), or a CliError listing the choices. */
export function formatOption(value: string | undefined, command: string, allowed: readonly ProgramFormat[] = PROGRAM_FORMATS): ProgramFormat | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new CliError(`${command}: unknown format "${value}" (one of ${allowed.join(', ')})`);
  }
  return value as ProgramFormat;
}

/** A policy, ready to tune and compile. */
export interface LoadedPolicy {
  readonly policy: Policy;
  /** Import warnings, each starting with the input's name. */
  readonly warnings: readonly string[];
  readonly meta?: ProfileMeta;
  /** A Docker/OCI profile (built-in or not): its names are resolved per ABI, as runc does. */
  readonly oci: boolean;
  /** How messages name the input. */
  readonly name: string;
  /** The input's format when it is neither a seccomp-ts policy nor a Docker/OCI profile. */
  readonly format?: 'firecracker' | 'kubernetes-yaml' | 'systemd';
  /** For a Firecracker input or a YAML SeccompProfile: the name of the filter or resource read. */
  readonly filterName?: string;
}

/** Which filter of a Firecracker file to read, and whether the command has `--name` to say so. */
export interface FirecrackerChoice {
  readonly filterName?: string;
  readonly nameFlag?: boolean;
  /** `--name` also names what the command writes, so it is no error for an input of another format. */
  readonly namesOutput?: boolean;
}

/** A built-in profile as a loaded policy; its import warnings are about the shipped data, so none are repeated. */
async function builtInPolicy(profile: string, importOptions: ImportOptions | undefined, command: string): Promise<LoadedPolicy> {
  const { policy, oci } = await builtInProfile(profile, importOptions, command);
  return { policy, warnings: [], oci, name: `${PROFILE_PREFIX}${profile}` };
}

export interface PolicyLoadOptions {
  /** The command, for messages that name no input. */
  readonly command: string;
  /**
   * Options for a Docker/OCI profile's import (`--target`, `--kernel`, `--strict`); a built-in Docker/OCI profile
   * is imported again with them when given, else its ready policy is used.
   */
  readonly importOptions?: ImportOptions;
  /** The filter to read from a Firecracker file (`--name`). */
  readonly firecracker?: FirecrackerChoice;
}

/** The one error for an empty input, whichever command reads it: exit 2, naming the input. */
export function emptyInputError(name: string, expected: string): CliError {
  return new CliError(`${name}: empty (expected ${expected})`);
}

/** Reads a policy: seccomp-ts JSON, a Docker/OCI profile or an OCI config.json, or a built-in profile. */
export async function loadPolicySource(source: Source, io: CliIO, options: PolicyLoadOptions): Promise<LoadedPolicy> {
  if (source.kind === 'profile') return builtInPolicy(source.profile, options.importOptions, options.command);
  const { loadPolicyFile } = await import('./on-demand.js');
  return loadPolicyFile(source.path, sourceName(source), io, options);
}

/** Compiles a loaded policy with the performance options, or plainly (`--unoptimized`); errors name the input. */
export function compileLoaded(policy: Policy, name: string, optimize: boolean, workload?: { readonly counts: Workload; readonly kernelCache: boolean }): CompileResult {
  try {
    return compilePolicy(policy, optimize ? performanceCompileOptions(workload !== undefined ? { dispatch: { workload: workload.counts.abis, kernelCache: workload.kernelCache } } : {}) : {});
  } catch (err) {
    if (err instanceof PolicyError || err instanceof CompileError) throw new CliError(naming(name, errorMessage(err)));
    throw err;
  }
}

/** A filter to run or inspect. */
export interface LoadedFilter {
  readonly program: Program;
  /** How messages name the input. */
  readonly name: string;
  /** True when the input was a policy or profile compiled here. */
  readonly compiled: boolean;
}

export interface FilterLoadOptions {
  readonly command: string;
  /** The program's format; detected when undefined. A given format reads a program only, never a policy. */
  readonly format?: ProgramFormat;
  /** Compile a policy with the performance options (default) or plainly. */
  readonly optimize?: boolean;
}

/**
 * Reads a filter: a program in any format (raw, C, hex, JSON array, assembler text; detected unless `format`), or
 * a policy (a JSON object: seccomp-ts policy, Docker/OCI profile, OCI config.json; or a built-in profile)
 * compiled first.
 */
export async function loadFilterSource(source: Source, io: CliIO, options: FilterLoadOptions): Promise<LoadedFilter> {
  const name = sourceName(source);
  if (source.kind === 'profile') {
    if (options.format !== undefined) {
      throw new CliError(`${options.command}: --format ${options.format} names how FILE is written; ${name} is a built-in profile`);
    }
    const { policy } = await builtInPolicy(source.profile, undefined, options.command);
    return { program: compileLoaded(policy, name, options.optimize ?? true).program, name, compiled: true };
  }
  const { loadFilterFile } = await import('./on-demand.js');
  return loadFilterFile(source.path, name, io, options);
}

/**
 * `--unoptimized` shapes how a policy is compiled; given when every input is already a filter, it would change
 * nothing, so it is refused rather than silently ignored.
 */
export function refuseUnoptimizedFilters(unoptimized: boolean | undefined, loaded: readonly LoadedFilter[], command: string): void {
  if (unoptimized !== true || loaded.some((l) => l.compiled)) return;
  const names = loaded.map((l) => l.name).join(' and ');
  throw new CliError(`${command}: --unoptimized compiles a policy, and ${names} ${loaded.length === 1 ? 'is' : 'are'} already ${loaded.length === 1 ? 'a filter' : 'filters'}`);
}

/** Call counts from a file (`--workload`): a recording, a `{name: count}` map or an strace log; errors name the file and path. */
export async function readWorkload(path: string, io: CliIO, command: string): Promise<Workload> {
  const { readWorkloadFile } = await import('./on-demand.js');
  return readWorkloadFile(path, io, command);
}
