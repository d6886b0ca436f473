/**
 * A recorded workload's calls, replayed in the real kernel under a filter without being executed
 * (bench/native/replay-cost.c stacks a deny-all filter on the filter under test and times the calls). This
 * module turns a recording into the helper's call lists and runs it; bench/workload.ts turns the times into
 * nanoseconds per call.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Program } from '../src/bpf/instructions.js';
import { seccompData } from '../src/emulator/data.js';
import { prepareFilter, type PreparedFilter } from '../src/emulator/executor.js';
import type { Recording } from '../src/record/recording.js';
import {
  SECCOMP_RET_ACTION_FULL, SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO, SECCOMP_RET_LOG, SECCOMP_RET_TRACE, SECCOMP_RET_USER_NOTIF,
} from '../src/syscalls/actions.js';
import type { LinuxArchName } from '../src/syscalls/arch.js';
import { lookupSyscall } from '../src/syscalls/resolve.js';
import { isUnfiltered } from '../src/syscalls/unfiltered.js';

/** One kind of call of a workload: a syscall with the argument values it was recorded with (others zero). */
export interface ReplayCall {
  readonly nr: number;
  readonly args: readonly bigint[];
  readonly calls: number;
}

/** The value bench/native/replay-cost.c reserves for its own calls: no replayed argument may hold it. */
export const REPLAY_MARKER = 0x5eccd0e5c0ffee01n;

/** Bytes per call in the helper's call lists: nr and six arguments, little-endian u64. */
export const CALL_RECORD_SIZE = 56;

/** The ABI whose calls this machine can replay, if any. */
export function nativeAbi(): LinuxArchName | undefined {
  if (process.platform !== 'linux') return undefined;
  return process.arch === 'x64' ? 'x86_64' : process.arch === 'arm64' ? 'aarch64' : undefined;
}

/**
 * The calls of `abi` in a recording: one entry per syscall, or per recorded value of its argument (a recording
 * keeps one argument of a few syscalls: socket's family, clone's flags, ...), every other argument zero.
 * Calls the recording counts beyond its argument values keep zero there too. Keys without a name (`#NR`) are
 * replayed by number.
 */
export function recordedCalls(recording: Recording, abi: LinuxArchName): ReplayCall[] {
  // Recorded values are 32-bit, so none is the 64-bit marker.
  const out: ReplayCall[] = [];
  for (const [key, entry] of Object.entries(recording.abis[abi] ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
    const nr = key.startsWith('#') ? Number(key.slice(1)) : lookupSyscall(abi, key)?.nr;
    if (nr === undefined || entry.count === 0) continue;
    let left = entry.count;
    for (const [index, values] of Object.entries(entry.args ?? {})) {
      for (const [value, n] of Object.entries(values).sort(([a], [b]) => Number(a) - Number(b))) {
        const taken = Math.min(n, left);
        if (taken === 0) continue;
        const args = [0n, 0n, 0n, 0n, 0n, 0n];
        args[Number(index)] = BigInt(value);
        out.push({ nr, args, calls: taken });
        left -= taken;
      }
      break;
    }
    if (left > 0) out.push({ nr, args: [0n, 0n, 0n, 0n, 0n, 0n], calls: left });
  }
  return out;
}

/** Verdicts the deny-all filter's ERRNO outranks or equals: the call is then not executed. */
const OUTRANKED: ReadonlySet<number> = new Set([SECCOMP_RET_ERRNO, SECCOMP_RET_USER_NOTIF, SECCOMP_RET_TRACE, SECCOMP_RET_LOG, SECCOMP_RET_ALLOW]);

const preparedFilters = new WeakMap<Program, PreparedFilter>();
function prepared(program: Program): PreparedFilter {
  let f = preparedFilters.get(program);
  if (f === undefined) {
    f = prepareFilter(program);
    preparedFilters.set(program, f);
  }
  return f;
}

/**
 * Whether the kernel may be shown a call under these filters: the helper's deny-all verdict (ERRNO) must win,
 * which rules out a filter verdict that outranks it (KILL_PROCESS, KILL_THREAD, TRAP, or an action Linux does
 * not know, which it treats as KILL_PROCESS); and Linux must run filters for it at all (x86_64 uretprobe and
 * uprobe it never filters, so they would execute).
 */
export function replayable(call: ReplayCall, abi: LinuxArchName, filters: readonly Program[]): boolean {
  if (isUnfiltered(abi, call.nr)) return false;
  const data = seccompData({ arch: abi, nr: call.nr, args: call.args });
  return filters.every((f) => {
    const action = (prepared(f).run(data) & SECCOMP_RET_ACTION_FULL) >>> 0;
    return OUTRANKED.has(action);
  });
}

/** A small fixed-seed generator (mulberry32), so every run replays the same order. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `length` calls in which each kind appears in proportion to its count (largest remainders; a kind below half
 * a slot may drop out), in a fixed shuffled order (a recording keeps counts, not the order of the calls), as
 * the helper reads them.
 */
export function callList(calls: readonly ReplayCall[], length: number): Uint8Array {
  const total = calls.reduce((s, c) => s + c.calls, 0);
  if (total === 0 || length < 1) throw new Error('callList: no calls to replay');
  const exact = calls.map((c) => (c.calls * length) / total);
  const slots = exact.map(Math.floor);
  let left = length - slots.reduce((s, n) => s + n, 0);
  for (const i of exact.map((x, i) => i).sort((a, b) => (exact[b]! - slots[b]!) - (exact[a]! - slots[a]!) || a - b)) {
    if (left-- <= 0) break;
    slots[i]!++;
  }
  const order: number[] = [];
  slots.forEach((n, i) => { for (let k = 0; k < n; k++) order.push(i); });
  const next = random(0x5ecc);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const bytes = new Uint8Array(order.length * CALL_RECORD_SIZE);
  const view = new DataView(bytes.buffer);
  order.forEach((kind, i) => {
    const c = calls[kind]!;
    view.setBigUint64(i * CALL_RECORD_SIZE, BigInt(c.nr), true);
    c.args.forEach((a, k) => view.setBigUint64(i * CALL_RECORD_SIZE + 8 * (k + 1), a, true));
  });
  return bytes;
}

/** One measurement: a filter file (undefined: the deny-all filter alone) and a call list file. */
export interface ReplayJob {
  readonly filter?: string;
  readonly calls: string;
}

/** ns per replayed call of a job: the fastest pass of all processes, and the median of each process's fastest. */
export interface ReplayTime {
  readonly bestNs: number;
  readonly medianNs: number;
}

/** Runs every job in `rounds` interleaved rounds (a fresh process per job and round), `passes` timed passes each. */
export function runReplay(bin: string, jobs: readonly ReplayJob[], rounds: number, passes: number, timeoutMs: number): ReplayTime[] {
  const args = [String(rounds), String(passes), ...jobs.map((j) => `${j.filter ?? '-'},${j.calls}`)];
  const r = spawnSync(bin, args, { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 1 << 20 });
  if (r.error !== undefined || r.status !== 0) {
    const why = r.stderr?.trim() || r.error?.message || (r.signal ? `killed by ${r.signal}` : `exit ${r.status}`);
    throw new Error(`replay-cost (${jobs.length} jobs): ${why}`);
  }
  return (JSON.parse(r.stdout) as { jobs: ReplayTime[] }).jobs;
}

/** Whether BPF programs (seccomp filters among them) are JIT-compiled here: /proc/sys/net/core/bpf_jit_enable. */
export function bpfJit(): string {
  try {
    return readFileSync('/proc/sys/net/core/bpf_jit_enable', 'utf8').trim();
  } catch {
    return 'unknown';
  }
}
