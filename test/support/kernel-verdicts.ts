/**
 * What the running kernel decides for a list of syscalls under a filter, without any of them ever executing.
 *
 * Every `RET K` at index i is rewritten into `RET ERRNO(i + 1)`: a probe that comes back with errno i + 1 ended
 * at instruction i, so the kernel's verdict is that instruction's K. A `RET A` is rewritten into a jump to an
 * appended epilogue that returns ERRNO(base + a slice of A's bits); the program runs once per slice and the
 * slices give back A's 32 bits. Errno values stay at most 4095 (the kernel caps larger ones).
 *
 * A division by a zero X makes the program return 0 (KILL_THREAD) without any RET: the oracle sees that probe's
 * child killed by SIGSYS and goes on with the next probe in a new child.
 *
 * Probes enter through `syscall` (x86_64, and x32 numbers with the x32 bit) or `int $0x80` (i386) in a forked
 * child of the oracle; the child ends with a fault, as exit itself would meet the filter.
 */
import { ins, toRaw, type Program, type RawInstruction } from '../../src/bpf/instructions.js';
import { SECCOMP_RET_ERRNO } from '../../src/syscalls/actions.js';
import type { ArchName, LinuxArchName } from '../../src/syscalls/arch.js';
import { seccompData, type DataValue, type SeccompData } from '../../src/emulator/data.js';
import { bypassesFilters, UNFILTERED_X86_64_SYSCALLS } from '../../src/emulator/exemptions.js';
import {
  kernelAccepts,
  kernelProbe,
  MAX_PROBES_PER_JOB,
  type OracleProbe,
  type ProbeEntry,
  type ProbeJob,
} from './oracle.js';

export { oracleMissing } from './oracle.js';

/** A syscall to ask the kernel about: arch, `nr` as the filter sees it (x32 with its bit), up to six args. */
export interface Probe {
  readonly arch: ArchName;
  readonly nr: number;
  readonly args?: readonly DataValue[];
}

export interface KernelCase {
  readonly program: Program;
  readonly probes: readonly Probe[];
}

export interface KernelVerdictRun {
  /** The instruction pointer the kernel showed the filter, per entry, during this run. */
  readonly instructionPointers: Readonly<Record<ProbeEntry, bigint>>;
  /** Per case, per probe: the raw 32-bit value the kernel's filter run returned. */
  readonly verdicts: number[][];
}

/** Largest program the rewriting can handle: ERRNO data must stay at most 4095 (MAX_ERRNO). */
const MAX_ERRNO = 4095;
const EPILOGUE_LENGTH = 4;

function entryOf(arch: LinuxArchName): ProbeEntry {
  if (arch === 'i386') return 'int80';
  if (arch === 'x86_64' || arch === 'x32') return 'syscall';
  throw new Error(`the kernel here runs x86 calls only, not ${arch}`);
}

/** The `seccomp_data` the kernel built for `probe` during a run (its instruction pointer included). */
export function probeData(probe: Probe, instructionPointers: Readonly<Record<ProbeEntry, bigint>>): SeccompData {
  return seccompData({ ...probe, instructionPointer: instructionPointers[entryOf(probe.arch)] });
}

/**
 * False for the probes the kernel runs no filter on (x86_64 uretprobe and uprobe): probing them would run
 * them, so {@link kernelVerdicts} refuses them. Filter probe lists with this.
 */
export function isProbeable(probe: Probe): boolean {
  return !bypassesFilters(seccompData(probe));
}

interface Plan {
  readonly program: Program;
  /** One rewritten program per run (one run without RET A, one per slice of A with it). */
  readonly runs: RawInstruction[][];
  /** Bits of A each run recovers. */
  readonly sliceBits: number;
  /** Errno of slice value 0. */
  readonly sliceBase: number;
}

function plan(program: Program): Plan {
  const n = program.length;
  const hasRetA = program.some((i) => i.kind === 'ret' && i.src === 'A');
  if (!hasRetA) {
    if (n > MAX_ERRNO) throw new Error(`kernel probing handles programs of at most ${MAX_ERRNO} instructions (got ${n})`);
    const rewritten = program.map((insn, i) =>
      insn.kind === 'ret' ? toRaw(ins.ret(SECCOMP_RET_ERRNO | (i + 1))) : toRaw(insn));
    return { program, runs: [rewritten], sliceBits: 0, sliceBase: 0 };
  }
  const sliceBase = n + 1;
  const room = MAX_ERRNO + 1 - sliceBase;
  const sliceBits = room >= 2 ? Math.min(16, Math.floor(Math.log2(room))) : 0;
  if (sliceBits === 0 || n + EPILOGUE_LENGTH > 4096) {
    throw new Error(`kernel probing handles programs with RET A of at most ${MAX_ERRNO - 3} instructions (got ${n})`);
  }
  const runs: RawInstruction[][] = [];
  for (let shift = 0; shift < 32; shift += sliceBits) {
    const body = program.map((insn, i) => {
      if (insn.kind !== 'ret') return toRaw(insn);
      if (insn.src === 'K') return toRaw(ins.ret(SECCOMP_RET_ERRNO | (i + 1)));
      return toRaw(ins.ja(n - i - 1));
    });
    body.push(
      toRaw(ins.alu('rsh', shift)),
      toRaw(ins.alu('and', 2 ** sliceBits - 1)),
      toRaw(ins.alu('add', SECCOMP_RET_ERRNO + sliceBase)),
      toRaw(ins.retA()),
    );
    runs.push(body);
  }
  return { program, runs, sliceBits, sliceBase };
}

/** The errno a probe ended with: the register holds -errno (int $0x80 only sets the low 32 bits meaningfully). */
function errnoOf(ret: bigint, entry: ProbeEntry): number {
  const v = entry === 'int80' ? BigInt.asIntN(32, ret) : BigInt.asIntN(64, ret);
  return Number(-v);
}

/**
 * Asks the kernel, in one oracle process, for the verdict of every probe of every case. Throws when the kernel
 * refuses a program (naming the case and the errno) or answers something the rewriting cannot explain.
 */
export function kernelVerdictsBatch(cases: readonly KernelCase[]): KernelVerdictRun {
  const plans = cases.map((c) => plan(c.program));
  const withRetA = plans.map((p, i) => (p.runs.length > 1 ? i : -1)).filter((i) => i >= 0);
  if (withRetA.length > 0) {
    // The epilogue could make a refused program acceptable (it ends in RET); the original must load as it is.
    const answers = kernelAccepts(withRetA.map((i) => (plans[i] as Plan).program.map(toRaw)));
    answers.forEach((a, j) => {
      if (!a.accepted) throw new Error(`case ${withRetA[j]}: the kernel refuses the program (errno ${a.errno})`);
    });
  }
  const jobs: ProbeJob[] = [];
  const jobIndex: { caseIndex: number; run: number; start: number; count: number }[] = [];
  const datas = cases.map((c) => c.probes.map((p) => seccompData(p)));
  datas.forEach((ds, ci) => ds.forEach((d, pi) => {
    if (bypassesFilters(d)) {
      throw new Error(`case ${ci}, probe ${pi}: the kernel runs no filter for x86_64 syscall ${d.nr} ` +
        `(${UNFILTERED_X86_64_SYSCALLS.get(d.nr)}), so probing it would run it`);
    }
  }));
  cases.forEach((c, caseIndex) => {
    const probes: OracleProbe[] = (datas[caseIndex] as SeccompData[]).map((d) =>
      ({ entry: entryOf(d.arch), nr: d.nr, args: d.args }));
    (plans[caseIndex] as Plan).runs.forEach((program, run) => {
      for (let start = 0; start === 0 || start < probes.length; start += MAX_PROBES_PER_JOB) {
        const slice = probes.slice(start, start + MAX_PROBES_PER_JOB);
        jobs.push({ program, probes: slice });
        jobIndex.push({ caseIndex, run, start, count: slice.length });
      }
    });
  });
  const result = kernelProbe(jobs);
  const verdicts = cases.map((c) => new Array<number>(c.probes.length).fill(0));
  const ending = cases.map((c) => new Array<string | undefined>(c.probes.length));
  result.answers.forEach((answer, j) => {
    const { caseIndex, run, start, count } = jobIndex[j] as (typeof jobIndex)[number];
    const p = plans[caseIndex] as Plan;
    const out = verdicts[caseIndex] as number[];
    const seen = ending[caseIndex] as (string | undefined)[];
    if (!answer.loaded) throw new Error(`case ${caseIndex}: the kernel refuses the program (errno ${answer.errno})`);
    for (let k = 0; k < count; k++) {
      const index = start + k;
      const probe = (cases[caseIndex] as KernelCase).probes[index] as Probe;
      const returned = answer.returns[k] as bigint | 'killed';
      const where = `case ${caseIndex}, probe ${index} (${probe.arch} nr ${probe.nr})`;
      const errno = returned === 'killed' ? 0 : errnoOf(returned, entryOf(probe.arch));
      let end: string;
      if (returned === 'killed') {
        // Every RET returns an ERRNO here, so only the conversion's own exit (division by a zero X) returns
        // something else, and it returns 0.
        end = 'killed';
        out[index] = 0;
      } else if (errno >= 1 && errno <= p.program.length) {
        const insn = p.program[errno - 1];
        if (insn?.kind !== 'ret' || insn.src !== 'K') throw new Error(`${where}: errno ${errno} names no RET K`);
        end = `ret ${errno}`;
        if (run > 0 && out[index] !== insn.value >>> 0) throw new Error(`${where}: runs disagree`);
        out[index] = insn.value >>> 0;
      } else if (p.sliceBits > 0 && errno >= p.sliceBase && errno < p.sliceBase + 2 ** p.sliceBits) {
        end = 'ret A';
        out[index] = ((out[index] as number) + (errno - p.sliceBase) * 2 ** (run * p.sliceBits)) >>> 0;
      } else {
        throw new Error(`${where}: the kernel returned ${answer.returns[k]}, which no instruction explains`);
      }
      if (seen[index] !== undefined && seen[index] !== end) throw new Error(`${where}: runs ended differently`);
      seen[index] = end;
    }
  });
  return { instructionPointers: result.instructionPointers, verdicts };
}

/** The raw 32-bit value the kernel's run of `program` returned for each probe. */
export function kernelVerdicts(program: Program, probes: readonly Probe[]): number[] {
  return kernelVerdictsBatch([{ program, probes }]).verdicts[0] as number[];
}
