/**
 * The libseccomp side of the Docker/OCI differential tests: `libseccomp.py` builds a profile's filter the way
 * Docker + runc do (Debian's libseccomp 2.5.4 via its Python bindings), and the helpers here run that filter and
 * seccomp-ts's verdicts side by side on every syscall number of every x86 ABI and on random argument vectors.
 * Every libseccomp run has a timeout: Debian's 2.5.4 can loop forever on some rule pairs.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeProgram } from '../../src/bpf/encode.js';
import type { Instruction } from '../../src/bpf/instructions.js';
import { analyzeFlow } from '../../src/bpf/flow.js';
import { prepareFilter } from '../../src/emulator/executor.js';
import { AUDIT_ARCH_I386, AUDIT_ARCH_X86_64, LINUX_ARCHES, X32_SYSCALL_BIT, type ArchName, type LinuxArchName } from '../../src/syscalls/arch.js';
import { maxSyscallNr, syscallTable } from '../../src/syscalls/index.js';
import { SCMP_ARCH_TO_ABI, TARGETS, type TargetArch } from '../../src/policy/oci/vocabulary.js';
import { multiplexedVia } from '../../src/policy/oci/multiplex.js';
import { importProfile, ProfileError, type ImportOptions, type ImportResult } from '../../src/policy/oci/index.js';
import { expect } from 'vitest';
import type { Missing } from './require.js';

const here = dirname(fileURLToPath(import.meta.url));
const PYTHON = '/usr/bin/python3';
/** Per libseccomp run. */
export const LIBSECCOMP_TIMEOUT_MS = 60_000;

let missing: Missing | null = null;

/** Why the libseccomp harness cannot run here, or undefined when it can. */
export function libseccompMissing(): Missing {
  if (missing !== null) return missing;
  if (!existsSync(PYTHON)) {
    missing = `${PYTHON} not found (Debian's python3-seccomp bindings import only under it)`;
    return missing;
  }
  const r = spawnSync(PYTHON, ['-c', 'import seccomp; print(seccomp.__name__)'], { encoding: 'utf8', timeout: 20_000 });
  missing = r.status === 0 ? undefined
    : `libseccomp Python bindings unavailable (apt-get install python3-seccomp libseccomp-dev): ${(r.stderr || r.error?.message || '').trim().split('\n').pop()}`;
  return missing;
}

export interface LibseccompRequest {
  /** The profile as JSON text (kept verbatim so 64-bit values stay exact). */
  readonly profileText: string;
  readonly target?: TargetArch;
  readonly caps: readonly string[];
  readonly kernel?: string;
  /** Milliseconds before the run is killed (default {@link LIBSECCOMP_TIMEOUT_MS}). */
  readonly timeoutMs?: number;
}

export type LibseccompResult =
  | { readonly ok: true; readonly program: Instruction[]; readonly bytes: Uint8Array; readonly unknown: readonly string[]; readonly optimize: number; readonly unresolved: Readonly<Partial<Record<LinuxArchName, readonly string[]>>> }
  | { readonly ok: false; readonly error: string; readonly timedOut?: boolean };

/** Builds the profile with libseccomp as runc does; throws when the run fails or times out. */
export function buildWithLibseccomp(req: LibseccompRequest): LibseccompResult {
  const dir = mkdtempSync(join(tmpdir(), 'seccomp-ts-libseccomp-'));
  const file = join(dir, 'request.json');
  writeFileSync(file, `{"profile": ${req.profileText}, "target": ${JSON.stringify(req.target ?? 'amd64')}, ` +
    `"caps": ${JSON.stringify(req.caps)}, "kernel": ${JSON.stringify(req.kernel ?? null)}}`);
  const r = spawnSync(PYTHON, [join(here, 'libseccomp.py'), file], {
    encoding: 'utf8', timeout: req.timeoutMs ?? LIBSECCOMP_TIMEOUT_MS, killSignal: 'SIGKILL', maxBuffer: 64 << 20,
  });
  if (r.error !== undefined && (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT') {
    return { ok: false, error: `libseccomp did not finish within ${req.timeoutMs ?? LIBSECCOMP_TIMEOUT_MS} ms`, timedOut: true };
  }
  if (r.error !== undefined) throw new Error(`libseccomp run failed: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`libseccomp run exited with ${r.status ?? r.signal}: ${r.stderr}`);
  const out = JSON.parse(r.stdout) as { bpf?: string; unknown?: string[]; optimize?: number; error?: string; unresolved?: Record<string, string[]> };
  if (out.error !== undefined) return { ok: false, error: out.error };
  let bytes = Uint8Array.from(Buffer.from(out.bpf ?? '', 'hex'));
  // libseccomp exports a big-endian machine's filter in that machine's byte order.
  if (LINUX_ARCHES[TARGETS[req.target ?? 'amd64'].native].endian === 'big') bytes = swapRecords(bytes);
  const unresolved: Partial<Record<LinuxArchName, readonly string[]>> = {};
  for (const [scmp, names] of Object.entries(out.unresolved ?? {})) {
    const abi = SCMP_ARCH_TO_ABI[scmp];
    if (abi !== undefined) unresolved[abi] = names;
  }
  return { ok: true, program: decodeProgram(bytes), bytes, unknown: out.unknown ?? [], optimize: out.optimize ?? 0, unresolved };
}

/** The action values libseccomp writes (`SECCOMP_RET_*` without data bits). */
const KNOWN_ACTIONS = new Set([0x80000000, 0, 0x00030000, 0x00050000, 0x7fc00000, 0x7ff00000, 0x7ffc0000, 0x7fff0000]);
const DATA_ACTIONS = new Set([0x00030000, 0x00050000, 0x7ff00000]);
const plausibleRet = (k: number): boolean => {
  const action = (k & 0xffff0000) >>> 0;
  return KNOWN_ACTIONS.has(action) && (DATA_ACTIONS.has(action) || (k & 0xffff) === 0);
};

/**
 * `struct sock_filter` records from big-endian to little-endian byte order (code u16, jt, jf, k u32). Built on a
 * little-endian host, Debian's libseccomp 2.5.4 writes some `RET` constants of a big-endian filter in the host's
 * order (on the machine itself both orders are one): a `RET` whose big-endian reading is no action libseccomp
 * writes is read in host order.
 */
function swapRecords(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(bytes.length);
  const from = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const to = new DataView(out.buffer);
  for (let o = 0; o + 8 <= bytes.length; o += 8) {
    const code = from.getUint16(o, false);
    to.setUint16(o, code, true);
    out[o + 2] = bytes[o + 2]!;
    out[o + 3] = bytes[o + 3]!;
    let k = from.getUint32(o + 4, false);
    if (code === 0x06 && !plausibleRet(k) && plausibleRet(from.getUint32(o + 4, true))) k = from.getUint32(o + 4, true);
    to.setUint32(o + 4, k, true);
  }
  return out;
}

/** A call as the comparison feeds it: raw audit arch, nr as `seccomp_data.nr` holds it, six 64-bit args. */
export interface RawCall {
  readonly arch: number;
  readonly nr: number;
  readonly args: readonly bigint[];
}

/** The 16 words of `seccomp_data` for a call (instruction pointer 0). */
export function callWords(call: RawCall): Uint32Array {
  const w = new Uint32Array(16);
  w[0] = call.nr >>> 0;
  w[1] = call.arch >>> 0;
  // A big-endian ABI (no __AUDIT_ARCH_LE bit) holds an argument's high half first.
  const big = (call.arch & 0x40000000) === 0;
  for (let i = 0; i < 6; i++) {
    const v = BigInt.asUintN(64, call.args[i] ?? 0n);
    w[(big ? 5 : 4) + 2 * i] = Number(v & 0xffffffffn);
    w[(big ? 4 : 5) + 2 * i] = Number(v >> 32n);
  }
  return w;
}

export const ABI_AUDIT: Readonly<Record<ArchName, number>> = {
  x86_64: AUDIT_ARCH_X86_64, i386: AUDIT_ARCH_I386, x32: AUDIT_ARCH_X86_64,
};

/**
 * Every syscall number worth asking about on each ABI: the whole table range and 64 past it, plus the edges
 * of the number space (the x32 bit, -1, huge values).
 */
export function everySyscallNumber(abis: readonly LinuxArchName[] = ['x86_64', 'i386', 'x32']): RawCall[] {
  const calls: RawCall[] = [];
  const zero = [0n, 0n, 0n, 0n, 0n, 0n];
  const edges = [0x3fffffff, 0x40000000 - 1, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, 4095, 65535];
  for (const abi of abis) {
    const { auditArch, nrBase } = LINUX_ARCHES[abi];
    // From 0 (below a MIPS base too) to 64 past the table.
    const base = abi === 'x32' ? X32_SYSCALL_BIT : 0;
    // ARM's private calls (0xf0001…) are asked about as edges, not by walking the range up to them.
    const regular = syscallTable(abi).filter((e) => e.nr - base < 0xf0000);
    const top = (regular[regular.length - 1]!.nr - base) + 64;
    for (let n = 0; n <= top; n++) calls.push({ arch: auditArch, nr: (base + n) >>> 0, args: zero });
    for (const e of [...edges, nrBase + 0xf0000, 0xf0000, 0xf0001, 0xf0002, 0xf0003, 0xf0004, 0xf0005, 0xf0006, 0xf07ff, 0xf0800]) calls.push({ arch: auditArch, nr: e >>> 0, args: zero });
  }
  // Foreign ABIs (some real, some nonsense) must get the bad-arch verdict on both sides.
  const foreign = [0xc00000b7, 0x40000028, 0x80000016, 0xc000003e, 0, 0xffffffff]
    .filter((a) => !abis.some((abi) => LINUX_ARCHES[abi].auditArch === a));
  for (const arch of foreign) calls.push({ arch, nr: 0, args: zero });
  return calls;
}

/** A small deterministic PRNG (xorshift128+), so failures reproduce from the seed. */
export function prng(seed: number): () => bigint {
  let s0 = BigInt.asUintN(64, BigInt(seed) * 0x9e3779b97f4a7c15n + 1n);
  let s1 = BigInt.asUintN(64, s0 ^ 0xd1b54a32d192ed03n);
  return () => {
    let x = s0;
    const y = s1;
    s0 = y;
    x = BigInt.asUintN(64, x ^ (x << 23n));
    s1 = x ^ y ^ (x >> 17n) ^ (y >> 26n);
    return BigInt.asUintN(64, s1 + y);
  };
}

/**
 * Random calls biased toward a profile: mostly the syscalls its conditional rules test (and the i386
 * multiplexers), with argument values drawn from its constants, their neighbours, their halves and random
 * upper halves, else uniformly random.
 */
export function biasedCalls(count: number, seed: number, focus: readonly RawCall[], constants: readonly bigint[], abis?: readonly LinuxArchName[]): RawCall[] {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Number(rnd() % BigInt(xs.length))] as T;
  const pool = new Set<bigint>([0n, 1n, 0xffffffffn, 0x100000000n, (1n << 64n) - 1n, 1n << 63n, 0x80000000n]);
  for (const c of constants) {
    for (const v of [c, c - 1n, c + 1n, c & 0xffffffffn, c >> 32n, (c & 0xffffffffn) | (0xffffffffn << 32n)]) pool.add(BigInt.asUintN(64, v));
  }
  const values = [...pool];
  const all = everySyscallNumber(abis);
  const calls: RawCall[] = [];
  for (let i = 0; i < count; i++) {
    const base = rnd() % 10n < 8n && focus.length > 0 ? pick(focus) : pick(all);
    const args: bigint[] = [];
    for (let a = 0; a < 6; a++) {
      const r = rnd() % 10n;
      let v = r < 6n ? pick(values) : rnd();
      if (r === 6n) v = (v & 0xffffffffn) | (rnd() << 32n); // junk upper half over a meaningful low half
      args.push(BigInt.asUintN(64, v));
    }
    calls.push({ arch: base.arch, nr: base.nr, args });
  }
  return calls;
}

export interface Disagreement {
  readonly call: RawCall;
  readonly ours: number;
  readonly theirs: number;
}

/** Runs libseccomp's program and `ours` on every call; returns the disagreements (raw return values). */
export function compareVerdicts(theirs: readonly Instruction[], ours: (call: RawCall, words: Uint32Array) => number, calls: readonly RawCall[]): Disagreement[] {
  const filter = prepareFilter(theirs);
  const out: Disagreement[] = [];
  for (const call of calls) {
    const words = callWords(call);
    const t = filter.runWords(words) >>> 0;
    const o = ours(call, words) >>> 0;
    if (t !== o) out.push({ call, ours: o, theirs: t });
  }
  return out;
}

/** The ABI a raw call belongs to on x86, or undefined. */
export function rawAbi(call: RawCall): ArchName | undefined {
  if (call.arch === AUDIT_ARCH_I386) return 'i386';
  if (call.arch === AUDIT_ARCH_X86_64) return call.nr >>> 0 >= X32_SYSCALL_BIT ? 'x32' : 'x86_64';
  return undefined;
}

export function describeCall(call: RawCall): string {
  return `${rawAbi(call) ?? `arch 0x${call.arch.toString(16)}`} nr ${call.nr} args [${call.args.map((a) => `0x${a.toString(16)}`).join(', ')}]`;
}

/**
 * Names libseccomp cannot resolve on an ABI where seccomp-ts's tables have them (libseccomp is older), by ABI:
 * the only calls on which the two may disagree.
 */
export function newerThanLibseccomp(built: Extract<LibseccompResult, { ok: true }>, lookup: (abi: ArchName, name: string) => boolean): Record<ArchName, string[]> {
  const out: Record<ArchName, string[]> = { x86_64: [], i386: [], x32: [] };
  for (const [abi, names] of Object.entries(built.unresolved) as Array<[ArchName, readonly string[]]>) {
    out[abi] = names.filter((n) => lookup(abi, n)).sort();
  }
  return out;
}

/**
 * The syscalls a policy's conditional rules test, as raw calls (the random vectors focus on them), and the
 * constants its conditions use.
 */
export function policyFocus(policy: { arches?: readonly LinuxArchName[]; rules: ReadonlyArray<{ syscalls: readonly (string | { arch: LinuxArchName; nr: number })[]; conditions?: ReadonlyArray<{ value: bigint; op: string; mask?: bigint }> }> }): { focus: RawCall[]; constants: bigint[] } {
  const focus: RawCall[] = [];
  const constants: bigint[] = [];
  for (const r of policy.rules) {
    if (r.conditions === undefined || r.conditions.length === 0) continue;
    for (const c of r.conditions) {
      constants.push(c.value);
      if (c.mask !== undefined) constants.push(c.mask);
    }
    for (const ref of r.syscalls) {
      if (typeof ref !== 'object') continue;
      const nr = ref.arch === 'x32' ? (ref.nr | X32_SYSCALL_BIT) >>> 0 : ref.nr;
      focus.push({ arch: LINUX_ARCHES[ref.arch].auditArch, nr, args: [] });
    }
  }
  // The multiplexers (i386's, and those of every covered ABI that has them) and their sub-call numbers.
  focus.push({ arch: AUDIT_ARCH_I386, nr: 102, args: [] }, { arch: AUDIT_ARCH_I386, nr: 117, args: [] });
  for (const abi of policy.arches ?? []) {
    const { auditArch, socketcall, ipc } = LINUX_ARCHES[abi];
    for (const mux of [socketcall, ipc]) if (mux !== undefined) focus.push({ arch: auditArch, nr: mux.nr, args: [] });
  }
  for (let k = 0n; k <= 24n; k++) constants.push(k);
  return { focus, constants };
}

/**
 * Whether a libseccomp program tests a value while A still holds the architecture it has already checked: the
 * code generator of libseccomp 2.5.4 sometimes leaves out the `A = sys_number` load of an x86_64 + x32 section
 * (seen when a rule names a syscall neither ABI has, such as `chown32`), and the filter then compares the
 * architecture against syscall numbers. seccomp-ts does not reproduce code-generation bugs.
 */
export function missesSyscallNumberLoad(program: readonly Instruction[]): boolean {
  const facts = analyzeFlow(program);
  return program.some((ins, i) => {
    const f = facts[i];
    return f !== undefined && f.reachable && ins.kind === 'jmp' && ins.src === 'K' && f.a === 'arch' && f.arch !== undefined;
  });
}

type ProfileEntry = { names: readonly string[]; args: ReadonlyArray<{ index: number; op: string }> };
const ORDERED = new Set(['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_GE', 'SCMP_CMP_GT']);

/**
 * libseccomp 2.5.4 merges the rule trees of one syscall wrongly when two of its rules test the same argument and
 * one of the tests is an ordered comparison (the merge bug fixed in later releases; an instance is pinned in
 * test/oci-differential.test.ts). Profiles doing that are left out of the comparison.
 */
export function inMergeBugArea(entries: readonly ProfileEntry[]): boolean {
  const tests = new Map<string, Array<{ entry: number; index: number; ordered: boolean }>>();
  const add = (name: string, entry: number, index: number, ordered: boolean): void => {
    const list = tests.get(name) ?? [];
    list.push({ entry, index, ordered });
    tests.set(name, list);
  };
  entries.forEach((e, i) => {
    for (const name of e.names) {
      for (const a of e.args) add(name, i, a.index, ORDERED.has(a.op));
      // On i386 the rule also lands on the multiplexer, with an equality on argument 0.
      const mux = multiplexedVia(name);
      if (mux === undefined) continue;
      add(mux.via, i, 0, false);
      for (const a of e.args) if (a.index !== 0) add(mux.via, i, a.index, ORDERED.has(a.op));
    }
  });
  for (const list of tests.values()) {
    for (let a = 0; a < list.length; a++) {
      for (let b = a + 1; b < list.length; b++) {
        const x = list[a]!;
        const y = list[b]!;
        if (x.index === y.index && (x.ordered || y.ordered)) return true;
      }
    }
  }
  return false;
}

/** Why random profiles were not compared with libseccomp's build of them. */
export interface NotCompared {
  bothRefuse: number;
  onlyOursRefuses: number;
  libseccompHung: number;
  libseccompMissingNrLoad: number;
  mergeBugArea: number;
}

/**
 * Whether a random profile can be compared with libseccomp's build of it. When not, counts why in `stats`, and
 * keeps the profile in `theirsOnlyRefuses` when libseccomp alone refuses it; seccomp-ts may refuse alone only
 * what runc cannot run or no policy conditions can state (`ourError` is then checked to say so).
 */
/** seccomp-ts's import of a profile, or the ProfileError refusing it (any other error is a bug and is thrown). */
export function importOrRefusal(text: string, options?: ImportOptions): { ours?: ImportResult; ourError?: ProfileError } {
  try {
    return { ours: importProfile(text, options) };
  } catch (err) {
    if (!(err instanceof ProfileError)) throw err;
    return { ourError: err };
  }
}

export function comparable(
  built: LibseccompResult, ours: unknown, ourError: unknown, profile: { readonly syscalls: readonly ProfileEntry[] }, text: string,
  stats: NotCompared, theirsOnlyRefuses: string[], label = '',
): built is Extract<LibseccompResult, { ok: true }> {
  if (!built.ok) {
    if (built.timedOut === true) stats.libseccompHung++;
    else if (ours === undefined) stats.bothRefuse++;
    else theirsOnlyRefuses.push(`${label}${built.error}\n${text}`);
    return false;
  }
  if (inMergeBugArea(profile.syscalls)) {
    stats.mergeBugArea++;
    return false;
  }
  if (missesSyscallNumberLoad(built.program)) {
    stats.libseccompMissingNrLoad++;
    return false;
  }
  if (ours === undefined) {
    expect(String(ourError)).toMatch(/can match the same calls|cannot be used for write|libseccomp refuses/);
    stats.onlyOursRefuses++;
    return false;
  }
  return true;
}

