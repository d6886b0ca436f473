/**
 * What every command reads: FILE (or `-` for stdin) or a built-in profile (`profile:NAME` as FILE, or
 * `--profile NAME`), as a policy or as a filter. One place decides what the input is, how it is compiled and how
 * messages name it.
 */
import { errorMessage } from '../util/error-message.js';
import { ProgramFormatError } from '../bpf/format-error.js';
import { detectFormat, PROGRAM_FORMATS, readProgram, type ProgramFormat } from '../bpf/formats.js';
import type { Program } from '../bpf/instructions.js';
import { compilePolicy, CompileError, type CompileResult } from '../compiler/compile.js';
import { performanceCompileOptions } from '../compiler/performance.js';
import { PolicyError } from '../policy/errors.js';
import { importSystemd, isSystemdUnit } from '../policy/formats/systemd.js';
import { parseWorkload, WorkloadError, type Workload } from '../analysis/workload.js';
import { formatRecording } from '../record/recording.js';
import { recordingFromStrace, StraceError } from '../record/strace.js';
import { identifyPolicyDocument, kubernetesYamlApiVersion, UNSUPPORTED_FORMATS, type PolicyDocument } from '../policy/detect.js';
import { firecrackerFilterNames, importFirecracker, type FirecrackerArch } from '../policy/formats/firecracker.js';
import { policyFromJsonText } from '../policy/json.js';
import { loadProfile, type ImportOptions, type ProfileMeta } from '../policy/oci/index.js';
import { JsonSyntaxError, parseJsonExact } from '../policy/oci/json.js';
import type { Policy } from '../policy/types.js';
import { findProfile, getProfile, listProfiles } from '../policy/profiles/index.js';
import { CliError, inputName, readInput, type CliIO } from './command.js';
import type { OutputInput } from './output-file.js';

/** How FILE names a built-in profile. */
export const PROFILE_PREFIX = 'profile:';

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
  return `  ${'--profile NAME'.padEnd(Math.max(width, 16))}a built-in profile instead of FILE (same as profile:NAME): ${listProfiles().map((p) => p.name).join(', ')}`;
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


/** `message` starting with `name: `, added unless it is there already. */
const naming = (name: string, message: string): string => (message.startsWith(`${name}: `) ? message : `${name}: ${message}`);

/** Control characters shown as escapes, so that a message stays on one line. */
const oneLine = (text: string): string =>
  text.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);

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

/** Parses JSON text; a syntax error is one line naming the input, with line and column when known. */
function parseJsonText(text: string, name: string): unknown {
  const body = text.replace(/^\uFEFF/, '');
  try {
    return JSON.parse(body) as unknown;
  } catch (err) {
    // The strict reader places the error; JSON.parse's own message (which may quote raw text) is the fallback.
    try {
      parseJsonExact(body);
    } catch (located) {
      if (located instanceof JsonSyntaxError) {
        throw new CliError(`${name}:${located.line}:${located.column}: not valid JSON (${oneLine(located.message.replace(/^line \d+, column \d+: /, ''))})`);
      }
    }
    throw new CliError(`${name}: not valid JSON (${oneLine(errorMessage(err))})`);
  }
}

/** The error for a document that is no policy, saying what it is; undefined for a policy or a Docker/OCI profile. */
function documentProblem(document: PolicyDocument, name: string): CliError | undefined {
  switch (document.kind) {
    case 'policy':
    case 'oci-profile':
    case 'kubernetes-seccomp-profile':
    case 'firecracker':
      return undefined;
    case 'oci-config-without-seccomp':
      return new CliError(`${name}: an OCI config.json without linux.seccomp: it sets no seccomp filter, so there is no policy to read`);
    case 'not-an-object':
      return new CliError(`${name}: ${document.what}, not a policy or a Docker/OCI profile (those are JSON objects)` +
        (document.what === 'a JSON array' ? "; a filter in JSON form is read by 'seccomp-ts disasm' or 'seccomp-ts check'" : ''));
  }
}

/**
 * The one place that decides what a JSON document is and reads it: a seccomp-ts policy or a Docker/OCI profile
 * (or an OCI config.json carrying one); anything else is an error saying what the input is.
 */
function policyFromDocument(text: string, json: unknown, name: string, importOptions: ImportOptions, choice: FirecrackerChoice = {}): LoadedPolicy {
  const document = identifyPolicyDocument(json);
  const problem = documentProblem(document, name);
  if (problem !== undefined) throw problem;
  if (document.kind === 'firecracker') return firecrackerPolicy(text, name, importOptions, choice);
  if (choice.filterName !== undefined && choice.namesOutput !== true) {
    throw new CliError(`${name}: --name ${choice.filterName} picks a filter of a Firecracker filter file, and this is ${document.kind === 'policy' ? 'a seccomp-ts policy' : 'a Docker/OCI profile'}`);
  }
  try {
    if (document.kind === 'oci-profile' || document.kind === 'kubernetes-seccomp-profile') {
      const imported = loadProfile(text, name, importOptions);
      return { policy: imported.policy, warnings: imported.warnings, meta: imported.meta, oci: true, name };
    }
    return { policy: policyFromJsonText(text, json), warnings: [], oci: false, name };
  } catch (err) {
    throw new CliError(naming(name, oneLine(errorMessage(err))));
  }
}

/** Which filter of a Firecracker file to read, and whether the command has `--name` to say so. */
export interface FirecrackerChoice {
  readonly filterName?: string;
  readonly nameFlag?: boolean;
  /** `--name` also names what the command writes, so it is no error for an input of another format. */
  readonly namesOutput?: boolean;
}

/** Docker's machine names (`--target`) as seccompiler names them. */
const FIRECRACKER_TARGETS: Readonly<Record<string, FirecrackerArch>> = { amd64: 'x86_64', arm64: 'aarch64', riscv64: 'riscv64' };

/** One filter of a Firecracker/seccompiler file (JSON read exactly, so 64-bit values survive). */
function firecrackerPolicy(text: string, name: string, importOptions: ImportOptions, choice: FirecrackerChoice): LoadedPolicy {
  try {
    const doc = parseJsonExact(text.replace(/^\uFEFF/, ''));
    const names = firecrackerFilterNames(doc);
    if (choice.filterName === undefined && names.length > 1) {
      const how = choice.nameFlag === true ? 'pass --name NAME' : `read one with 'seccomp-ts compile ${name} --name NAME --format policy'`;
      throw new CliError(`${name}: this is a Firecracker filter file with ${names.length} filters (${names.join(', ')}); ${how}`);
    }
    let arch: FirecrackerArch | undefined;
    if (importOptions.target !== undefined) {
      arch = FIRECRACKER_TARGETS[importOptions.target];
      if (arch === undefined) {
        throw new CliError(`${name}: seccompiler builds filters for ${Object.keys(FIRECRACKER_TARGETS).join(', ')} (--target), not ${importOptions.target}`);
      }
    }
    const imported = importFirecracker(doc, { ...(choice.filterName !== undefined && { name: choice.filterName }), ...(arch !== undefined && { arch }) });
    const label = `${name} (${imported.name})`;
    return { policy: imported.policy, warnings: imported.warnings.map((w) => `${label}: ${w}`), oci: false, name: label, format: 'firecracker', filterName: imported.name };
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(naming(name, oneLine(errorMessage(err))));
  }
}

/**
 * A Kubernetes SeccompProfile in YAML: the resource (the only one, or the one --name picks) as JSON text and its
 * name, or undefined when the text is no such YAML. The YAML reader is loaded only then.
 */
async function yamlResource(text: string, name: string, path: string | undefined, choice: FirecrackerChoice = {}): Promise<{ json: string; name: string; resourceName: string } | undefined> {
  if (kubernetesYamlApiVersion(text) === undefined) return undefined;
  const { seccompProfilesFromYaml, pickResource } = await import('./yaml.js');
  const how = choice.nameFlag === true ? 'pass --name NAME' : `read one with 'seccomp-ts compile ${name} --name NAME --format kubernetes'`;
  const resource = pickResource(seccompProfilesFromYaml(text, name), name, choice.filterName, how);
  const label = `${name} (${resource.name})`;
  return { json: await withBase(resource.json, path, label), name: label, resourceName: resource.name };
}

/**
 * A Kubernetes SeccompProfile naming a base (`spec.baseProfileName`): the resource with its bases merged in, read
 * from the input's folder (src/cli/k8s-base.ts, loaded only then); any other text as given.
 */
async function withBase(text: string, path: string | undefined, name: string): Promise<string> {
  if (!/baseProfileName/.test(text)) return text;
  const { withBaseProfiles } = await import('./k8s-base.js');
  return withBaseProfiles(text, path, name)?.json ?? text;
}

/** The input's file for finding bases beside it (undefined for standard input). */
const filePath = (source: Source): string | undefined => (source.kind === 'file' && source.path !== '-' ? source.path : undefined);

/** A JSON value that is no object or array (`"hello"`, `null`, `5`), if TEXT is one. */
function jsonScalar(text: string): { value: unknown } | undefined {
  if (!/^\uFEFF?\s*(["\d-]|true\b|false\b|null\b)/.test(text)) return undefined;
  try {
    return { value: JSON.parse(text.replace(/^\uFEFF/, '')) as unknown };
  } catch {
    return undefined;
  }
}

/**
 * A built-in profile. A Docker/OCI one is imported afresh when `importOptions` are given; its import warnings are
 * about the shipped data, not the user's input, so they are not repeated.
 */
function builtInPolicy(profile: string, importOptions: ImportOptions | undefined, command: string): LoadedPolicy {
  const name = `${PROFILE_PREFIX}${profile}`;
  const info = findProfile(profile);
  const oci = info?.origin === 'oci';
  if (info?.profileJson !== undefined && importOptions !== undefined) {
    try {
      return { policy: loadProfile(info.profileJson, name, importOptions).policy, warnings: [], oci, name };
    } catch (err) {
      throw new CliError(naming(name, errorMessage(err)));
    }
  }
  try {
    return { policy: getProfile(profile), warnings: [], oci, name };
  } catch (err) {
    throw new CliError(`${command}: ${errorMessage(err)}`);
  }
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

/** systemd unit settings (`SystemCallFilter=` …) read as a policy; errors name the input and line. */
function systemdPolicy(text: string, name: string): LoadedPolicy {
  try {
    const imported = importSystemd(text);
    return { policy: imported.policy, warnings: imported.warnings.map((w) => `${name}: ${w}`), oci: false, name, format: 'systemd' };
  } catch (err) {
    if (err instanceof PolicyError) throw new CliError(naming(name, oneLine(errorMessage(err))));
    throw err;
  }
}

/** Nothing but white space (or nothing at all): no filter and no policy, whatever the format. */
function isEmptyInput(bytes: Uint8Array): boolean {
  return !bytes.includes(0) && new TextDecoder().decode(bytes).replace(/^\uFEFF/, '').trim() === '';
}

/** The one error for an empty input, whichever command reads it: exit 2, naming the input. */
export function emptyInputError(name: string, expected: string): CliError {
  return new CliError(`${name}: empty (expected ${expected})`);
}

/** Reads a policy: seccomp-ts JSON, a Docker/OCI profile or an OCI config.json, or a built-in profile. */
export async function loadPolicySource(source: Source, io: CliIO, options: PolicyLoadOptions): Promise<LoadedPolicy> {
  if (source.kind === 'profile') return builtInPolicy(source.profile, options.importOptions, options.command);
  const name = sourceName(source);
  const bytes = await readInput(source.path, io);
  const text = new TextDecoder().decode(bytes);
  if (isEmptyInput(bytes)) throw emptyInputError(name, 'a policy or a Docker/OCI profile, in JSON');
  const yaml = bytes.includes(0) ? undefined : await yamlResource(text, name, filePath(source), options.firecracker);
  if (yaml !== undefined) {
    const loaded = policyFromDocument(yaml.json, JSON.parse(yaml.json) as unknown, yaml.name, options.importOptions ?? {}, { ...options.firecracker, filterName: undefined });
    return { ...loaded, format: 'kubernetes-yaml', ...(!yaml.resourceName.startsWith('#') && { filterName: yaml.resourceName }) };
  }
  if (!bytes.includes(0) && isSystemdUnit(text)) return systemdPolicy(text, name);
  const scalar = bytes.includes(0) ? undefined : jsonScalar(text);
  if (scalar !== undefined) throw documentProblem(identifyPolicyDocument(scalar.value), name)!;
  if (bytes.includes(0) || !/^\uFEFF?\s*[{[]/.test(text)) {
    throw new CliError(`${name}: not a policy or a Docker/OCI profile (those are JSON); a BPF program is read by ` +
      "'seccomp-ts disasm' or 'seccomp-ts check'");
  }
  const json = parseJsonText(text, name);
  const based = identifyPolicyDocument(json).kind === 'kubernetes-seccomp-profile' ? await withBase(text, filePath(source), name) : text;
  return policyFromDocument(based, based === text ? json : JSON.parse(based) as unknown, name, options.importOptions ?? {}, options.firecracker);
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
  const optimize = options.optimize ?? true;
  const name = sourceName(source);
  if (source.kind === 'profile') {
    if (options.format !== undefined) {
      throw new CliError(`${options.command}: --format ${options.format} names how FILE is written; ${name} is a built-in profile`);
    }
    const { policy } = builtInPolicy(source.profile, undefined, options.command);
    return { program: compileLoaded(policy, name, optimize).program, name, compiled: true };
  }
  const bytes = await readInput(source.path, io);
  if (isEmptyInput(bytes)) throw emptyInputError(name, 'a filter, or a policy to compile');
  if (options.format === undefined && !bytes.includes(0)) {
    const text = new TextDecoder().decode(bytes);
    const yaml = await yamlResource(text, name, filePath(source));
    if (yaml !== undefined) {
      const { policy } = policyFromDocument(yaml.json, JSON.parse(yaml.json) as unknown, yaml.name, {});
      return { program: compileLoaded(policy, yaml.name, optimize).program, name: yaml.name, compiled: true };
    }
    if (isSystemdUnit(text)) {
      const { policy } = systemdPolicy(text, name);
      return { program: compileLoaded(policy, name, optimize).program, name, compiled: true };
    }
    const scalar = jsonScalar(text);
    if (scalar !== undefined) {
      const what = (identifyPolicyDocument(scalar.value) as { what: string }).what;
      throw new CliError(`${name}: ${what}, not a filter (a JSON filter is an array of instructions) or a policy (a JSON object)`);
    }
    // A JSON object is a policy or a profile (a filter in JSON form is an array).
    if (/^\uFEFF?\s*\{/.test(text)) {
      const json = parseJsonText(text, name);
      const based = identifyPolicyDocument(json).kind === 'kubernetes-seccomp-profile' ? await withBase(text, filePath(source), name) : text;
      const { policy } = policyFromDocument(based, based === text ? json : JSON.parse(based) as unknown, name, {});
      return { program: compileLoaded(policy, name, optimize).program, name, compiled: true };
    }
  }
  const format = options.format ?? detectFormat(bytes);
  // A JSON program with a syntax error is named like any other JSON input (line and column).
  if (format === 'json') parseJsonText(new TextDecoder().decode(bytes), name);
  try {
    return { program: readProgram(bytes, format), name, compiled: false };
  } catch (err) {
    if (err instanceof ProgramFormatError) throw new CliError(`${name}: ${oneLine(err.message)}`);
    throw err;
  }
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
  const name = path === '-' ? '<stdin>' : path;
  const bytes = await readInput(path, io);
  if (isEmptyInput(bytes)) throw new CliError(`${command}: --workload ${name}: empty (expected call counts: {name: count} or a recording)`);
  const text = new TextDecoder().decode(bytes);
  let json: unknown;
  if (/^\uFEFF?\s*[{[]/.test(text)) json = parseJsonText(text, name);
  else {
    // Not JSON: an strace log, counted as record counts.
    try {
      json = JSON.parse(formatRecording(recordingFromStrace(text).recording));
    } catch (err) {
      if (err instanceof StraceError) throw new CliError(`${command}: --workload ${name}: neither JSON call counts nor strace output (${err.message})`);
      throw err;
    }
  }
  try {
    return parseWorkload(json);
  } catch (err) {
    if (err instanceof WorkloadError) throw new CliError(`${command}: --workload ${name}: ${oneLine(err.message)}`);
    throw err;
  }
}
