/**
 * What the playground computes, with no DOM: reading an input (a policy, a Docker/OCI profile, or a filter in
 * any text form or base64), tuning and compiling it, and every view of the resulting filter. Everything comes
 * from the library's public entry, as any user would import it.
 */
import {
  ARCH_NAMES, cacheReport, callData, compilePolicy, decodeProgram, diffPrograms, diffText, disassemble,
  detectFormat, encodeProgram, explain, explanationText, exportProfile, filterStats, findProfile,
  formatPolicyJson, formatVerdict, formatHex, getProfile, importProfile, interpret, identifyPolicyDocument, importFirecracker, firecrackerFilterNames,
  performanceCompileOptions, policyFromJsonText, prepareFilter, ProgramFormatError, PolicyError,
  readProgram, seccompData, syscallTable, tunePolicy, validate, writeProgram, bypassesFilters, LINUX_ARCH_NAMES,
  type FilterStats, type LinuxArchName, type Policy, type PolicyWarning, type ProfileMeta,
  type Program, type TargetArch, type FirecrackerArch, type Explanation,
} from '../../src/index.js';
import { jsonOffsets, JsonLocateError, lineColumn, locatePath, offsetOf } from './json-locate.js';

/** A fault in an input, placed in its text when the place is known. */
export interface InputFault {
  readonly message: string;
  /** Offsets in the text (from ≤ to) of the faulty part. */
  readonly from?: number;
  readonly to?: number;
  readonly line?: number;
  readonly column?: number;
}

/** Thrown by `loadInput` and `buildFilter`: the fault as the page shows it. */
export class InputError extends Error {
  constructor(readonly fault: InputFault) {
    super(fault.message);
    this.name = 'InputError';
  }
}

/** An input read: a policy (to tune and compile) or a filter. */
export type Loaded =
  | {
      readonly kind: 'policy'; readonly what: string; readonly policy: Policy; readonly oci: boolean; readonly meta?: ProfileMeta;
      readonly warnings: readonly string[];
      /** A Firecracker file's filters, by name, when the input is one (the one read is named in `what`). */
      readonly filters?: readonly string[];
    }
  | { readonly kind: 'filter'; readonly what: string; readonly program: Program; readonly warnings: readonly string[] };

const placed = (text: string, message: string, from: number, to = from): InputError => {
  const { line, column } = lineColumn(text, from);
  return new InputError({ message: `line ${line}, column ${column}: ${message}`, from, to: Math.max(to, from), line, column });
};

/** A library error naming a JSON path, placed at that path in TEXT. */
function pathFault(text: string, places: Map<string, { start: number; end: number }>, err: PolicyError): InputError {
  const where = locatePath(places, err.path);
  if (where === undefined) return new InputError({ message: err.message });
  return placed(text, err.message, where.start, where.end);
}

/** Base64 (or base64url) text holding raw `struct sock_filter` records, decoded; undefined when TEXT is none. */
function base64Bytes(text: string): Uint8Array | undefined {
  const body = text.replace(/\s+/g, '');
  if (body.length < 8 || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(body)) return undefined;
  try {
    const binary = atob(body.replace(/-/g, '+').replace(/_/g, '/'));
    return Uint8Array.from(binary, (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}

const FORMAT_NAMES: Readonly<Record<string, string>> = {
  raw: 'raw bytes', c: 'C source', hex: 'hex', json: 'JSON instructions', asm: 'assembler text',
};

/** How an input is read where it leaves a choice. */
export interface LoadOptions {
  /** The filter (thread name) of a Firecracker file; the first when undefined. */
  readonly firecrackerFilter?: string;
  /** The machine a Docker/OCI profile or a Firecracker file is resolved for, as Docker names it (default amd64). */
  readonly target?: TargetArch;
}

/** Docker's machine names as seccompiler names them: the machines a Firecracker file can be built for. */
const FIRECRACKER_TARGETS: Readonly<Partial<Record<TargetArch, FirecrackerArch>>> = { amd64: 'x86_64', arm64: 'aarch64', riscv64: 'riscv64' };

/**
 * A JSON object: a seccomp-ts policy, a Docker/OCI profile (or a config.json or Kubernetes SeccompProfile carrying
 * one), or a Firecracker filter file; anything else is a fault saying what the document is.
 */
function loadDocument(text: string, options: LoadOptions): Loaded {
  let places: Map<string, { start: number; end: number }>;
  try {
    places = jsonOffsets(text);
  } catch (err) {
    if (err instanceof JsonLocateError) throw placed(text, `not valid JSON: ${err.message}`, err.offset, err.offset + 1);
    throw err;
  }
  const json = JSON.parse(text.replace(/^\uFEFF/, '')) as unknown;
  const document = identifyPolicyDocument(json);
  try {
    switch (document.kind) {
      case 'oci-profile':
      case 'kubernetes-seccomp-profile': {
        const imported = importProfile(text, options.target !== undefined ? { target: options.target } : {});
        const what = document.kind === 'oci-profile' ? 'Docker/OCI profile' : 'Kubernetes SeccompProfile';
        return { kind: 'policy', what, policy: imported.policy, oci: true, meta: imported.meta, warnings: imported.warnings };
      }
      case 'firecracker': {
        const filters = firecrackerFilterNames(json);
        const name = options.firecrackerFilter !== undefined && filters.includes(options.firecrackerFilter) ? options.firecrackerFilter : filters[0];
        const arch = FIRECRACKER_TARGETS[options.target ?? 'amd64'];
        if (arch === undefined) {
          throw new InputError({ message: `seccompiler builds filters for ${Object.keys(FIRECRACKER_TARGETS).join(', ')}, not ${options.target}: choose another target` });
        }
        const imported = importFirecracker(json, { ...(name !== undefined && { name }), arch });
        return {
          kind: 'policy', what: `Firecracker filter "${imported.name}"`, policy: imported.policy, oci: false, warnings: imported.warnings,
          filters,
        };
      }
      case 'oci-config-without-seccomp':
        throw new InputError({ message: 'an OCI config.json without linux.seccomp: it sets no seccomp filter, so there is no policy to read' });
      case 'not-an-object':
        throw new InputError({ message: `${document.what}, not a policy or a profile` });
      case 'policy':
        return { kind: 'policy', what: 'seccomp-ts policy', policy: policyFromJsonText(text, json), oci: false, warnings: [] };
    }
  } catch (err) {
    if (err instanceof PolicyError) throw pathFault(text, places, err);
    if (err instanceof InputError) throw err;
    throw new InputError({ message: err instanceof Error ? err.message : String(err) });
  }
}

/** A filter in any text form the library reads (JSON, C, hex, assembler), or raw bytes in base64. */
function loadProgramText(text: string): Loaded {
  const bytes = new TextEncoder().encode(text);
  const format = detectFormat(bytes);
  let program: Program;
  let what = `filter (${FORMAT_NAMES[format] ?? format})`;
  try {
    program = readProgram(bytes, format);
  } catch (err) {
    const raw = format === 'asm' ? base64Bytes(text) : undefined;
    if (raw !== undefined && raw.length > 0 && raw.length % 8 === 0) {
      program = decodeProgram(raw);
      what = 'filter (raw bytes, base64)';
    } else if (err instanceof ProgramFormatError) {
      const { line, column } = err.where;
      if (line !== undefined) {
        const from = offsetOf(text, line, column ?? 1);
        const to = column === undefined ? text.indexOf('\n', from) : from + 1;
        throw new InputError({ message: err.message, from, to: to < 0 ? text.length : to, line, ...(column !== undefined && { column }) });
      }
      throw new InputError({ message: err.message });
    } else {
      throw new InputError({ message: err instanceof Error ? err.message : String(err) });
    }
  }
  const checked = validate(program);
  if (!checked.ok) {
    const first = checked.errors[0];
    throw new InputError({ message: `not a filter the kernel accepts: ${first !== undefined ? `instruction ${first.index}: ${first.message}` : 'invalid'}` });
  }
  return { kind: 'filter', what, program, warnings: [] };
}

/** Reads the editor's text: a JSON object is a policy or profile, anything else a filter. */
export function loadInput(text: string, options: LoadOptions = {}): Loaded {
  if (text.replace(/^\uFEFF/, '').trim() === '') {
    throw new InputError({ message: 'empty: paste a policy, a Docker/OCI profile or a filter, or pick a built-in profile' });
  }
  return /^\uFEFF?\s*\{/.test(text) ? loadDocument(text, options) : loadProgramText(text);
}

/** How the playground compiles a policy. */
export interface BuildOptions {
  /** `allow:NAME`, `deny:NAME`, `deny:all`, applied in order. */
  readonly tune: readonly string[];
  /** Range-tree dispatch and every optimizer pass (the CLI's default), or the plain form. */
  readonly optimize: boolean;
}

/** A filter ready to show, with the (tuned) policy it came from when there is one. */
export interface Built {
  readonly loaded: Loaded;
  readonly policy?: Policy;
  readonly program: Program;
  readonly warnings: readonly string[];
}

/** A compile warning worth showing; per-ABI name gaps are normal in a Docker/OCI profile, as the CLI holds. */
const shownWarning = (w: PolicyWarning, oci: boolean): boolean => !(oci && (w.code === 'partial-syscalls' || w.code === 'uncovered-abi'));

/** Tunes and compiles a policy input; a filter input is taken as it is (tuning applies to policies). */
export function buildFilter(loaded: Loaded, options: BuildOptions): Built {
  if (loaded.kind === 'filter') {
    const warnings = [...loaded.warnings];
    if (options.tune.length > 0) warnings.push('tuning applies to policies and profiles; this input is already a filter, so it is ignored');
    return { loaded, program: loaded.program, warnings };
  }
  let policy: Policy;
  try {
    policy = tunePolicy(loaded.policy, options.tune);
  } catch (err) {
    throw new InputError({ message: `tuning: ${err instanceof Error ? err.message : String(err)}` });
  }
  try {
    const result = compilePolicy(policy, options.optimize ? performanceCompileOptions() : {});
    const warnings = [...loaded.warnings, ...result.warnings.filter((w) => shownWarning(w, loaded.oci)).map((w) => w.message)];
    return { loaded, policy, program: result.program, warnings };
  } catch (err) {
    throw new InputError({ message: err instanceof Error ? err.message : String(err) });
  }
}

/** The text a built-in profile is shown as: a Docker/OCI profile's own JSON, else the policy's JSON form. */
export function builtInText(name: string): string {
  const info = findProfile(name);
  if (info === undefined) throw new InputError({ message: `no built-in profile "${name}"` });
  return info.profileJson ?? formatPolicyJson(getProfile(name));
}

/** The disassembly, one string per instruction (the CLI's `disasm` rows, without the header). */
export function disassemblyRows(program: Program): string[] {
  return disassemble(program).split('\n').slice(2).filter((l) => l !== '');
}

/** `explain` of a filter, or why it could not be finished (a time limit, a filter beyond the analysis). */
export type ExplainResult = { readonly explanation: Explanation } | { readonly error: string };

export function explainProgram(program: Program, timeoutMs: number): ExplainResult {
  try {
    return { explanation: explain(program, { timeoutMs }) };
  } catch (err) {
    return { error: `explain: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/** The whole explanation as `seccomp-ts explain` prints it. */
export function explainText(result: ExplainResult): string {
  return 'error' in result ? `${result.error}\n` : explanationText(result.explanation);
}

/**
 * The explain line of one call, as `seccomp-ts explain --syscall` prints it (`x86_64 socket: ERRNO(EAFNOSUPPORT)
 * if arg0.lo in {3..9}; else ALLOW`): why the call gets its verdict, for every argument value. Undefined for
 * ABIs other than x86_64, i386 and x32, which explain groups by arch value only.
 */
export function whyLine(explanation: Explanation, abi: LinuxArchName, nr: number): string | undefined {
  if (abi !== 'x86_64' && abi !== 'i386' && abi !== 'x32') return undefined;
  const group = explanation.groups.find((g) => g.abi === abi &&
    (g.syscalls.some((s) => s.nr === nr) || g.unnamed.some(([lo, hi]) => nr >= lo && nr <= hi)));
  if (group === undefined) return undefined;
  const name = group.syscalls.find((s) => s.nr === nr)?.name ?? `nr 0x${nr.toString(16)}`;
  return `${abi} ${name}: ${group.text}`;
}

/** The ABIs the emulate form offers: the three x86 ones first, then every other the tables know. */
export function abiChoices(): LinuxArchName[] {
  return [...ARCH_NAMES, ...LINUX_ARCH_NAMES.filter((a) => !(ARCH_NAMES as readonly string[]).includes(a))];
}

/** One syscall of an ABI under a filter: its number, name, instructions executed, verdict, and cache state. */
export interface SyscallCost {
  readonly nr: number;
  readonly name: string;
  readonly executed: number;
  readonly verdict: string;
  readonly cached: boolean;
}

/** Stats per ABI (the library's `filterStats`) and the cost of each syscall number, for the chart. */
export interface StatsView {
  readonly stats: FilterStats;
  readonly costs: Readonly<Record<string, readonly SyscallCost[]>>;
}

/** The ABIs stats are given for: a policy's own, else (a filter) x86_64, i386 and x32 as `seccomp-ts stats` does. */
export function statsAbis(built: Built): readonly LinuxArchName[] {
  return built.policy !== undefined && built.policy.arches.length > 0 ? built.policy.arches : ARCH_NAMES;
}

export function statsView(program: Program, abis: readonly LinuxArchName[] = ARCH_NAMES): StatsView {
  const stats = filterStats(program, abis);
  const filter = prepareFilter(program);
  const cache = cacheReport(program, { nativePassthrough: [] });
  const costs: Record<string, SyscallCost[]> = {};
  for (const abi of abis) {
    const cached = new Set(abi === 'x86_64' ? cache.native.cached : abi === 'i386' ? cache.compat?.cached ?? [] : []);
    costs[abi] = syscallTable(abi).map((entry) => {
      const run = filter.runCounting(seccompData({ arch: abi, nr: entry.nr }));
      return { nr: entry.nr, name: entry.name, executed: run.executed, verdict: formatVerdict(run.raw), cached: cached.has(entry.nr) };
    });
  }
  return { stats, costs };
}

/** A call to emulate, as the form holds it. */
export interface EmulateRequest {
  readonly abi: LinuxArchName;
  /** A syscall name or number (decimal or 0x hex). */
  readonly syscall: string;
  /** Six arguments as typed (decimal, 0x hex, or negative); empty is 0. */
  readonly args: readonly string[];
}

/** What one call gets. */
export interface Emulation {
  readonly nr: number;
  readonly verdict: string;
  readonly raw: number;
  readonly executed: number;
  /** Indices of the instructions executed, in order. */
  readonly path: readonly number[];
  readonly note?: string;
}

/** An argument as typed: decimal, 0x hex, 0o, 0b, or negative (taken modulo 2^64). */
export function parseArgument(text: string, index: number): bigint {
  const t = text.trim().replace(/_/g, '');
  if (t === '') return 0n;
  try {
    const v = t.startsWith('-') ? -BigInt(t.slice(1)) : BigInt(t);
    if (v >= 1n << 64n || v < -(1n << 63n)) throw new RangeError('out of range');
    return v < 0n ? v + (1n << 64n) : v;
  } catch {
    throw new InputError({ message: `argument ${index}: "${text}" is not an integer of 64 bits (decimal, 0x hex, or negative)` });
  }
}

/** Runs one call through the filter with a trace. */
export function emulate(program: Program, request: EmulateRequest): Emulation {
  const s = request.syscall.trim();
  if (s === '') throw new InputError({ message: 'syscall: give a name or a number' });
  const args = request.args.map((a, i) => parseArgument(a, i));
  const syscall = /^(0x[0-9a-f]+|\d+)$/i.test(s) ? Number(s) : s;
  let data;
  try {
    data = callData({ arch: request.abi, syscall, args });
  } catch (err) {
    throw new InputError({ message: `syscall: ${err instanceof Error ? err.message : String(err)}` });
  }
  const run = interpret(program, data, { trace: true });
  const note = bypassesFilters(data)
    ? `Linux runs no filter for this call (${request.abi} ${s}): it always proceeds, whatever the filter says`
    : undefined;
  return {
    nr: data.nr, verdict: formatVerdict(run), raw: run.raw, executed: run.executed,
    path: (run.trace ?? []).map((step) => step.pc), ...(note !== undefined && { note }),
  };
}

/** A witness call of a difference, as the emulate form takes it. */
export interface WitnessCall {
  /** `x86_64 socket: A ALLOW, B ERRNO(EPERM)` */
  readonly label: string;
  readonly abi: LinuxArchName;
  /** The syscall's name, or its number when it has none. */
  readonly syscall: string;
  readonly args: readonly string[];
}

/** Where two filters differ, as the CLI's `diff` prints it, with witnesses; those the form can replay as calls. */
export function diffView(a: Program, b: Program, timeoutMs: number): { equivalent: boolean; text: string; witnesses: WitnessCall[] } {
  try {
    const d = diffPrograms(a, b, { timeoutMs });
    // A witness with a non-zero instruction pointer, or from a foreign arch value, is no call the form can make.
    const witnesses = d.differences
      .filter((x) => x.abi !== 'other' && x.witness.instructionPointer === 0n)
      .map((x): WitnessCall => {
        const named = x.syscalls.find((n) => n.nr === x.witness.nr);
        const syscall = named?.name ?? String(x.abi === 'x32' ? (x.witness.nr & ~0x40000000) >>> 0 : x.witness.nr);
        return {
          label: `${x.abi} ${syscall}: A ${x.actionA}, B ${x.actionB}`,
          abi: x.abi as LinuxArchName,
          syscall,
          args: x.witness.args.map((v) => `0x${v.toString(16)}`),
        };
      });
    return { equivalent: d.equivalent, text: diffText(d, ['A', 'B']), witnesses };
  } catch (err) {
    return { equivalent: false, text: `diff: ${err instanceof Error ? err.message : String(err)}\n`, witnesses: [] };
  }
}

/** A file to download. */
export interface Download {
  readonly name: string;
  readonly type: string;
  readonly data: Uint8Array | string;
}

/** The downloads a built input offers, or why one is not offered. */
export function downloads(built: Built): Record<'raw' | 'c' | 'oci' | 'policy', Download | { unavailable: string }> {
  const notPolicy = { unavailable: 'the input is a filter, not a policy' };
  const policy = built.policy;
  let oci: Download | { unavailable: string } = notPolicy;
  if (policy !== undefined) {
    try {
      const meta = built.loaded.kind === 'policy' ? built.loaded.meta : undefined;
      const exported = exportProfile(policy, meta !== undefined ? { meta } : {});
      oci = { name: 'seccomp-profile.json', type: 'application/json', data: exported.text.endsWith('\n') ? exported.text : `${exported.text}\n` };
    } catch (err) {
      oci = { unavailable: err instanceof Error ? err.message : String(err) };
    }
  }
  return {
    raw: { name: 'filter.bpf', type: 'application/octet-stream', data: encodeProgram(built.program) },
    c: { name: 'filter.c', type: 'text/x-c', data: writeProgram(built.program, 'c') },
    oci,
    policy: policy !== undefined ? { name: 'policy.json', type: 'application/json', data: formatPolicyJson(policy) } : notPolicy,
  };
}

/** Raw `struct sock_filter` bytes (an uploaded `.bpf`) as the hex text the editor shows. */
export function rawToText(bytes: Uint8Array, name: string): string {
  const program = decodeProgram(bytes);
  return `# ${name.replace(/[\r\n]/g, ' ')}: ${program.length} instructions (raw bytes, shown as hex)\n${formatHex(program)}`;
}

