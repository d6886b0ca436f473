/**
 * Builds `oracle.c` with `cc` (once per test process) and runs it: the running kernel answers whether it
 * accepts a program as a seccomp filter.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RawInstruction } from '../../src/bpf/instructions.js';
import type { Missing } from './require.js';

const here = dirname(fileURLToPath(import.meta.url));
let built: { path?: string; missing: Missing } | undefined;

/** Compiles the oracle; returns why it cannot be used, or undefined when it can. */
export function oracleMissing(): Missing {
  return buildOracle().missing;
}

function buildOracle(): { path?: string; missing: Missing } {
  if (built) return built;
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    built = { missing: `the kernel oracle needs Linux on x86_64 (this is ${process.platform}/${process.arch})` };
    return built;
  }
  const cc = spawnSync('cc', ['--version'], { encoding: 'utf8' });
  if (cc.status !== 0) {
    built = { missing: 'no C compiler (`cc`) on this machine' };
    return built;
  }
  const dir = mkdtempSync(join(tmpdir(), 'seccomp-ts-oracle-'));
  const path = join(dir, 'oracle');
  try {
    execFileSync('cc', ['-O2', '-Wall', '-o', path, join(here, 'oracle.c')], { stdio: 'pipe' });
  } catch (err) {
    built = { missing: `cannot build the kernel oracle: ${(err as Error).message.split('\n')[0]}` };
    return built;
  }
  const probe = spawnSync(path, ['check'], { input: encodeBatch([[{ code: 0x06, jt: 0, jf: 0, k: 0x7fff0000 }]]) });
  if (probe.status !== 0 || probe.stdout.toString().trim() !== 'accepted') {
    built = { missing: `this kernel does not load seccomp filters here (${probe.stdout}${probe.stderr})`.trim() };
    return built;
  }
  built = { path, missing: undefined };
  return built;
}

export function oraclePath(): string {
  const b = buildOracle();
  if (!b.path || !existsSync(b.path)) throw new Error(`kernel oracle unavailable: ${b.missing}`);
  return b.path;
}

function encodeBatch(programs: readonly (readonly RawInstruction[])[]): Buffer {
  const size = programs.reduce((n, p) => n + 4 + 8 * p.length, 0);
  const buf = Buffer.alloc(size);
  let o = 0;
  for (const p of programs) {
    buf.writeUInt32LE(p.length, o); o += 4;
    for (const r of p) {
      buf.writeUInt16LE(r.code, o); buf.writeUInt8(r.jt, o + 2); buf.writeUInt8(r.jf, o + 3); buf.writeUInt32LE(r.k >>> 0, o + 4);
      o += 8;
    }
  }
  return buf;
}

export type KernelAnswer = { accepted: true } | { accepted: false; errno: number };

/** Asks the kernel whether it accepts each program as a seccomp filter. */
export function kernelAccepts(programs: readonly (readonly RawInstruction[])[]): KernelAnswer[] {
  const out = spawnSync(oraclePath(), ['check'], { input: encodeBatch(programs), maxBuffer: 1 << 28 });
  if (out.status !== 0) throw new Error(`oracle failed: ${out.stderr.toString()}`);
  const lines = out.stdout.toString().trim().split('\n').filter(Boolean);
  if (lines.length !== programs.length) throw new Error(`oracle answered ${lines.length} of ${programs.length}`);
  return lines.map((l) => (l === 'accepted' ? { accepted: true } : { accepted: false, errno: Number(l.split(' ')[1]) }));
}

/** How a probe enters the kernel: `syscall` (x86_64 and x32 numbers) or `int $0x80` (i386). */
export type ProbeEntry = 'syscall' | 'int80';

export interface OracleProbe {
  readonly entry: ProbeEntry;
  /** The 32-bit value put in eax. */
  readonly nr: number;
  /** Six unsigned 64-bit values, loaded in full into the argument registers. */
  readonly args: readonly bigint[];
}

export interface ProbeJob {
  /** A program whose every return is an ERRNO, so that no probe ever runs a syscall. */
  readonly program: readonly RawInstruction[];
  readonly probes: readonly OracleProbe[];
}

export type ProbeAnswer =
  | {
      readonly loaded: true;
      /** Each probe's return value as the register holds it, or 'killed' when the filter's verdict killed it. */
      readonly returns: (bigint | 'killed')[];
    }
  | { readonly loaded: false; readonly errno: number };

export interface ProbeRun {
  /** What `seccomp_data.instruction_pointer` holds for each entry during this run of the oracle. */
  readonly instructionPointers: Readonly<Record<ProbeEntry, bigint>>;
  readonly answers: ProbeAnswer[];
}

/** Most probes one job may carry (the oracle's shared result area). */
export const MAX_PROBES_PER_JOB = 65536;

/**
 * The instructions a filter of a `stack` job starts with: they allow the seccomp() calls (marked in args[3]
 * and args[4]) that load the filters after it, and go on to the filter itself for everything else.
 */
export function stackPrefix(): RawInstruction[] {
  const ld = (k: number): RawInstruction => ({ code: 0x20, jt: 0, jf: 0, k });
  const jne = (k: number, skip: number): RawInstruction => ({ code: 0x15, jt: 0, jf: skip, k });
  return [
    ld(4), jne(0xc000003e, 9),
    ld(0), jne(317, 7),
    ld(16), jne(1, 5),
    ld(40), jne(0x5ecc0ca7, 3),
    ld(48), jne(0x0ac1e5ed, 1),
    { code: 0x06, jt: 0, jf: 0, k: 0x7fff0000 },
    { code: 0x00, jt: 0, jf: 0, k: 0 }, // A = 0 again, as every filter starts
  ];
}

/** A job of the `stack` mode: several filters (each starting with {@link stackPrefix}), loaded oldest first. */
export interface StackJob {
  readonly programs: readonly (readonly RawInstruction[])[];
  readonly probes: readonly OracleProbe[];
}

function encodeProbeJobs(jobs: readonly (ProbeJob | StackJob)[]): Buffer {
  const programsOf = (j: ProbeJob | StackJob) => ('programs' in j ? j.programs : [j.program]);
  const size = jobs.reduce((n, j) =>
    n + 8 + programsOf(j).reduce((m, p) => m + 4 + 8 * p.length, 0) + 56 * j.probes.length, 0);
  const buf = Buffer.alloc(size);
  let o = 0;
  for (const job of jobs) {
    if (job.probes.length > MAX_PROBES_PER_JOB) throw new Error(`a probe job holds at most ${MAX_PROBES_PER_JOB} probes`);
    if ('programs' in job) {
      buf.writeUInt32LE(job.programs.length, o); o += 4;
    }
    const programs = encodeBatch(programsOf(job));
    programs.copy(buf, o); o += programs.length;
    buf.writeUInt32LE(job.probes.length, o); o += 4;
    for (const p of job.probes) {
      buf.writeUInt32LE(p.entry === 'int80' ? 1 : 0, o);
      buf.writeUInt32LE(p.nr >>> 0, o + 4);
      for (let i = 0; i < 6; i++) buf.writeBigUInt64LE(BigInt.asUintN(64, p.args[i] ?? 0n), o + 8 + 8 * i);
      o += 56;
    }
  }
  return buf.subarray(0, o);
}

/**
 * Loads each job's program in a fresh child of one oracle process and issues its probes there; returns what
 * every probe returned. The caller rewrites programs so that they only return ERRNO values.
 */
export function kernelProbe(jobs: readonly ProbeJob[]): ProbeRun {
  const out = spawnSync(oraclePath(), ['probe'], { input: encodeProbeJobs(jobs), maxBuffer: 1 << 30 });
  if (out.status !== 0) throw new Error(`oracle failed (status ${out.status}): ${out.stderr.toString()}`);
  const [header, ...lines] = out.stdout.toString().trim().split('\n');
  const ip = /^ip (\d+) (\d+)$/.exec(header ?? '');
  if (!ip) throw new Error(`oracle printed no instruction pointers: ${header}`);
  if (lines.length !== jobs.length) throw new Error(`oracle answered ${lines.length} of ${jobs.length} jobs`);
  const answers = lines.map((line, i): ProbeAnswer => {
    const refused = /^refused errno (\d+)$/.exec(line);
    if (refused) return { loaded: false, errno: Number(refused[1]) };
    const [tag, ...values] = line.split(' ');
    if (tag !== 'ok' || values.length !== (jobs[i] as ProbeJob).probes.length) {
      throw new Error(`oracle answer ${i} is malformed: ${line.slice(0, 80)}`);
    }
    return { loaded: true, returns: values.map((v) => (v === 'killed' ? 'killed' : BigInt(v))) };
  });
  return { instructionPointers: { syscall: BigInt(ip[1] as string), int80: BigInt(ip[2] as string) }, answers };
}

/** What a probe under a stack of filters came back with. */
export type StackOutcome = { readonly returned: bigint } | { readonly trapped: number } | { readonly killed: true };

/**
 * Loads each job's filters, oldest first, in a fresh child and issues its probes there. The filters must only
 * return actions that skip the syscall (KILL, TRAP, ERRNO, TRACE, USER_NOTIF, or unknown values below ALLOW).
 */
export function kernelStackProbe(jobs: readonly StackJob[]): { instructionPointers: Readonly<Record<ProbeEntry, bigint>>; outcomes: StackOutcome[][] } {
  const out = spawnSync(oraclePath(), ['stack'], { input: encodeProbeJobs(jobs), maxBuffer: 1 << 30 });
  if (out.status !== 0) throw new Error(`oracle failed (status ${out.status}): ${out.stderr.toString()}`);
  const [header, ...lines] = out.stdout.toString().trim().split('\n');
  const ip = /^ip (\d+) (\d+)$/.exec(header ?? '');
  if (!ip) throw new Error(`oracle printed no instruction pointers: ${header}`);
  if (lines.length !== jobs.length) throw new Error(`oracle answered ${lines.length} of ${jobs.length} jobs`);
  const outcomes = lines.map((line, i) => {
    const [tag, ...values] = line.split(' ');
    if (tag !== 'ok' || values.length !== (jobs[i] as StackJob).probes.length) {
      throw new Error(`oracle answer ${i}: ${line.slice(0, 80)}`);
    }
    return values.map((v): StackOutcome => {
      if (v === 'killed') return { killed: true };
      if (v.startsWith('trap:')) return { trapped: Number(v.slice(5)) };
      return { returned: BigInt(v) };
    });
  });
  return { instructionPointers: { syscall: BigInt(ip[1] as string), int80: BigInt(ip[2] as string) }, outcomes };
}
