/**
 * What a workload pays for a filter. The mean over the syscall table weighs `kexec_load` like `read`; a real
 * program makes a few syscalls very often and most never. Given call counts (a `record` recording or a
 * `{name: count}` map), each call costs the instructions the filter executes for it — or nothing, when the
 * kernel's action cache lets the syscall through without running the filter (Linux 5.11+: a syscall the
 * filter allows on a path that reads only `nr` and `arch`, on any ABI but x32) or when Linux runs no filter for
 * it at all (x86_64 uretprobe and uprobe).
 */
import { toRaw, type Program } from '../bpf/instructions.js';
import { seccompData } from '../emulator/data.js';
import { prepareFilter } from '../emulator/executor.js';
import { parseRecording, RecordingError } from '../record/recording.js';
import { decodeAction } from '../syscalls/actions.js';
import { formatAction } from '../syscalls/action-text.js';
import { isLinuxArchName, LINUX_ARCHES, type LinuxArchName } from '../syscalls/arch.js';
import { lookupSyscall, syscallName } from '../syscalls/resolve.js';
import { isUnfiltered } from '../syscalls/unfiltered.js';
import { constAllow } from './cache.js';

/** Call counts of a workload: per ABI, syscall number (as `seccomp_data.nr` holds it) → calls. */
export interface Workload {
  readonly abis: ReadonlyMap<LinuxArchName, ReadonlyMap<number, number>>;
}

/** A workload's JSON is not one; `path` names the place (`$.abis.x86_64.read`). */
export class WorkloadError extends Error {
  constructor(readonly path: string, message: string) {
    super(`${path}: ${message}`);
    this.name = 'WorkloadError';
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A syscall key of a count map: a name on the ABI or `#NR` (the number as the ABI's table numbers it). */
function keyNumber(abi: LinuxArchName, key: string, path: string): number {
  const numbered = /^#(\d{1,10})$/.exec(key);
  if (numbered !== undefined && numbered !== null) {
    const nr = Number(numbered[1]);
    if (nr > 0xffffffff) throw new WorkloadError(path, 'a syscall number is 0..0xffffffff');
    return abi === 'x32' ? (nr | LINUX_ARCHES.x32.nrBase) >>> 0 : nr;
  }
  const found = lookupSyscall(abi, key);
  if (found === undefined) throw new WorkloadError(path, `no syscall of this name on ${abi}`);
  return found.nr;
}

function countsOf(abi: LinuxArchName, table: Record<string, unknown>, path: string): Map<number, number> {
  const counts = new Map<number, number>();
  for (const [key, value] of Object.entries(table)) {
    const at = `${path}.${key.length > 64 ? `${key.slice(0, 64)}…` : key}`;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw new WorkloadError(at, 'a call count is a whole number ≥ 0');
    const nr = keyNumber(abi, key, at);
    counts.set(nr, (counts.get(nr) ?? 0) + value);
  }
  return counts;
}

/**
 * Reads call counts from JSON: a recording (`record --format json`), a `{name: count}` map for one ABI
 * (`abi`, default x86_64), or `{ABI: {name: count}}`. Names may be `#NR` for numbers without a name.
 */
export function parseWorkload(json: unknown, abi: LinuxArchName = 'x86_64'): Workload {
  if (isObject(json) && 'seccompTsRecording' in json) {
    let recording;
    try {
      recording = parseRecording(json);
    } catch (err) {
      if (err instanceof RecordingError) throw new WorkloadError(err.path, err.message.slice(err.path.length + 2));
      throw err;
    }
    const abis = new Map<LinuxArchName, Map<number, number>>();
    for (const [name, table] of Object.entries(recording.abis)) {
      const a = name as LinuxArchName;
      const counts: Record<string, number> = {};
      for (const [key, calls] of Object.entries(table ?? {})) counts[key] = calls.count;
      abis.set(a, countsOf(a, counts, `$.abis.${a}`));
    }
    return { abis };
  }
  if (!isObject(json)) throw new WorkloadError('$', 'call counts are a JSON object: {name: count}, {ABI: {name: count}} or a recording');
  const values = Object.values(json);
  if (values.length > 0 && values.every(isObject)) {
    const abis = new Map<LinuxArchName, Map<number, number>>();
    for (const [name, table] of Object.entries(json)) {
      if (!isLinuxArchName(name)) throw new WorkloadError(`$.${name}`, 'unknown ABI (x86_64, i386, x32, aarch64, …)');
      abis.set(name, countsOf(name, table as Record<string, unknown>, `$.${name}`));
    }
    return { abis };
  }
  return { abis: new Map([[abi, countsOf(abi, json, '$')]]) };
}

/** One syscall of a workload under a filter. */
export interface WorkloadSyscall {
  readonly name: string;
  readonly nr: number;
  readonly calls: number;
  /** Instructions the filter executes for one call (arguments zero), 0 when cached or never filtered. */
  readonly executed: number;
  /** The kernel's action cache lets it through without running the filter. */
  readonly cached: boolean;
  /** Linux runs no filter for it (x86_64 uretprobe, uprobe). */
  readonly unfiltered: boolean;
  readonly verdict: string;
}

/** A workload's cost on one ABI. */
export interface AbiWorkloadStats {
  readonly abi: LinuxArchName;
  readonly calls: number;
  /** Calls the kernel lets through without running the filter (cached or never filtered). */
  readonly skippedCalls: number;
  /** Expected instructions executed per call, skipped calls counting 0. */
  readonly perCall: number;
  /** Expected instructions per call that runs the filter. */
  readonly perFilteredCall: number;
  /** The workload's syscalls, costliest in total first. */
  readonly syscalls: readonly WorkloadSyscall[];
}

/** A workload's cost under a filter, per ABI and over all calls. */
export interface WorkloadStats {
  readonly instructions: number;
  readonly calls: number;
  /** Expected instructions executed per call over every ABI. */
  readonly perCall: number;
  readonly abis: readonly AbiWorkloadStats[];
}

/** Options of `workloadStats`. */
export interface WorkloadStatsOptions {
  /** Model the kernel's action cache (Linux 5.11+; default true). */
  readonly kernelCache?: boolean;
}

/** The instructions a workload's calls execute under a filter, aware of the kernel's action cache. */
export function workloadStats(program: Program, workload: Workload, options: WorkloadStatsOptions = {}): WorkloadStats {
  const filter = prepareFilter(program);
  const raws = program.map(toRaw);
  const useCache = options.kernelCache !== false;
  let allCalls = 0;
  let allExecuted = 0;
  const abis: AbiWorkloadStats[] = [];
  for (const [abi, counts] of workload.abis) {
    const rows: WorkloadSyscall[] = [];
    let calls = 0;
    let skipped = 0;
    let executed = 0;
    for (const [nr, n] of counts) {
      if (n === 0) continue;
      const run = filter.runCounting(seccompData({ arch: abi, nr }));
      const unfiltered = isUnfiltered(abi, nr);
      const cached = !unfiltered && useCache && abi !== 'x32' && constAllow(raws, LINUX_ARCHES[abi].auditArch, nr).cached;
      const cost = unfiltered || cached ? 0 : run.executed;
      const name = syscallName(abi, nr) ?? `#${abi === 'x32' ? (nr & ~LINUX_ARCHES.x32.nrBase) >>> 0 : nr}`;
      rows.push({ name, nr, calls: n, executed: cost, cached, unfiltered, verdict: formatAction(decodeAction(run.raw)) });
      calls += n;
      if (cost === 0) skipped += n;
      executed += cost * n;
    }
    rows.sort((a, b) => b.calls * b.executed - a.calls * a.executed || b.calls - a.calls || a.nr - b.nr);
    const filtered = calls - skipped;
    abis.push({ abi, calls, skippedCalls: skipped, perCall: calls > 0 ? executed / calls : 0, perFilteredCall: filtered > 0 ? executed / filtered : 0, syscalls: rows });
    allCalls += calls;
    allExecuted += executed;
  }
  return { instructions: program.length, calls: allCalls, perCall: allCalls > 0 ? allExecuted / allCalls : 0, abis };
}

/** The report as text: per ABI the expected cost, then the costliest syscalls (at most `rows` per ABI). */
export function workloadStatsText(stats: WorkloadStats, title: string, rows = 15): string {
  const lines = [
    `${title}: ${stats.instructions} instructions; ${stats.calls} calls, ${stats.perCall.toFixed(2)} instructions executed per call`,
    'per call: instructions the filter executes (arguments zero); calls the kernel\'s action cache lets through, and',
    'calls Linux never filters, cost 0',
  ];
  for (const a of stats.abis) {
    lines.push('', `${a.abi}: ${a.calls} calls, ${a.skippedCalls} skip the filter; ${a.perCall.toFixed(2)} per call, ${a.perFilteredCall.toFixed(2)} per filtered call`);
    const shown = a.syscalls.slice(0, rows);
    const width = Math.max(7, ...shown.map((s) => s.name.length));
    lines.push(`  ${'syscall'.padEnd(width)}  ${'calls'.padStart(9)}  ${'executed'.padStart(8)}  share   verdict`);
    const total = a.perCall * a.calls;
    for (const s of shown) {
      const share = total > 0 ? `${((100 * s.calls * s.executed) / total).toFixed(1)}%` : '0%';
      const note = s.unfiltered ? ' (never filtered)' : s.cached ? ' (cached)' : '';
      lines.push(`  ${s.name.padEnd(width)}  ${String(s.calls).padStart(9)}  ${String(s.executed).padStart(8)}  ${share.padStart(6)}  ${s.verdict}${note}`);
    }
    if (a.syscalls.length > shown.length) lines.push(`  … ${a.syscalls.length - shown.length} more syscalls (--json lists all)`);
  }
  return `${lines.join('\n')}\n`;
}
