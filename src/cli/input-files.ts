/**
 * Reading a FILE input (src/cli/inputs.ts decides what is read): a policy in any format the CLI knows, a filter in
 * any program format, or call counts. Loaded only when a command reads a file, since the readers of every format
 * together are most of the CLI's code.
 */
import { errorMessage } from '../util/error-message.js';
import { ProgramFormatError } from '../bpf/format-error.js';
import { detectFormat, readProgram } from '../bpf/formats.js';
import { PolicyError } from '../policy/errors.js';
import { importSystemd, isSystemdUnit } from '../policy/formats/systemd.js';
import { parseWorkload, WorkloadError, type Workload } from '../analysis/workload.js';
import { formatRecording } from '../record/recording.js';
import { recordingFromStrace, StraceError } from '../record/strace.js';
import { identifyPolicyDocument, kubernetesYamlApiVersion, type PolicyDocument } from '../policy/detect.js';
import { firecrackerFilterNames, importFirecracker, type FirecrackerArch } from '../policy/formats/firecracker.js';
import { policyFromJsonText } from '../policy/json.js';
import { loadProfile, type ImportOptions } from '../policy/oci/index.js';
import { JsonSyntaxError, parseJsonExact } from '../policy/oci/json.js';
import { CliError, naming, readInput, type CliIO } from './command.js';
import {
  compileLoaded, emptyInputError, type FilterLoadOptions, type FirecrackerChoice, type LoadedFilter, type LoadedPolicy,
  type PolicyLoadOptions,
} from './inputs.js';

/** Control characters shown as escapes, so that a message stays on one line. */
const oneLine = (text: string): string =>
  text.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);

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
const filePath = (path: string): string | undefined => (path !== '-' ? path : undefined);

/** A JSON value that is no object or array (`"hello"`, `null`, `5`), if TEXT is one. */
function jsonScalar(text: string): { value: unknown } | undefined {
  if (!/^\uFEFF?\s*(["\d-]|true\b|false\b|null\b)/.test(text)) return undefined;
  try {
    return { value: JSON.parse(text.replace(/^\uFEFF/, '')) as unknown };
  } catch {
    return undefined;
  }
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

/** Reads a policy from PATH (`-` for stdin), named NAME in messages: any format but a built-in profile. */
export async function loadPolicyFile(path: string, name: string, io: CliIO, options: PolicyLoadOptions): Promise<LoadedPolicy> {
  const bytes = await readInput(path, io);
  const text = new TextDecoder().decode(bytes);
  if (isEmptyInput(bytes)) throw emptyInputError(name, 'a policy or a Docker/OCI profile, in JSON');
  const yaml = bytes.includes(0) ? undefined : await yamlResource(text, name, filePath(path), options.firecracker);
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
  const based = identifyPolicyDocument(json).kind === 'kubernetes-seccomp-profile' ? await withBase(text, filePath(path), name) : text;
  return policyFromDocument(based, based === text ? json : JSON.parse(based) as unknown, name, options.importOptions ?? {}, options.firecracker);
}

/** Reads a filter from PATH (`-` for stdin), named NAME in messages: a program in any format, or a policy compiled. */
export async function loadFilterFile(path: string, name: string, io: CliIO, options: FilterLoadOptions): Promise<LoadedFilter> {
  const optimize = options.optimize ?? true;
  const bytes = await readInput(path, io);
  if (isEmptyInput(bytes)) throw emptyInputError(name, 'a filter, or a policy to compile');
  if (options.format === undefined && !bytes.includes(0)) {
    const text = new TextDecoder().decode(bytes);
    const yaml = await yamlResource(text, name, filePath(path));
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
      const based = identifyPolicyDocument(json).kind === 'kubernetes-seccomp-profile' ? await withBase(text, filePath(path), name) : text;
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

/** Call counts from PATH (`--workload`): a recording, a `{name: count}` map or an strace log. */
export async function readWorkloadFile(path: string, io: CliIO, command: string): Promise<Workload> {
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
