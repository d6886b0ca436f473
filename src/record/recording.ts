/**
 * A recording of the system calls programs made: per ABI, per syscall, how many calls and — for the arguments a
 * profile can check (socket's family, personality's persona, clone's flags) — how many calls had each value. It
 * merges, reads and writes itself as JSON, and becomes a policy that allows exactly what was seen.
 */
import type { ArgIndex } from '../bpf/seccomp-data.js';
import { type Action } from '../syscalls/actions.js';
import { LINUX_ARCHES, LINUX_ARCH_NAMES, X32_SYSCALL_BIT, isLinuxArchName, type LinuxArchName } from '../syscalls/arch.js';
import { lookupSyscall, syscallName } from '../syscalls/resolve.js';
import type { ArgCondition, Policy, Rule, SyscallRef } from '../policy/types.js';

/** The arguments worth recording: profiles can check them, and their values are few. */
export const RECORDED_ARGUMENTS: Readonly<Record<string, { readonly index: ArgIndex; readonly what: string }>> = {
  socket: { index: 0, what: 'address family' },
  socketpair: { index: 0, what: 'address family' },
  personality: { index: 0, what: 'persona' },
  clone: { index: 0, what: 'flags' },
};

/** Above this many distinct values an argument is not made a condition (the rule allows every value). */
export const MAX_CONDITION_VALUES = 16;

/** Calls of one syscall on one ABI. */
export interface SyscallCalls {
  count: number;
  /** Argument index → value (decimal text, low 32 bits) → calls with that value. */
  args?: Record<string, Record<string, number>>;
}

/** What one or more runs called. */
export interface Recording {
  /** The commands recorded, one argv per run. */
  readonly runs: string[][];
  /** ABI (any: x86_64, aarch64, s390x, …) → syscall name (or `#NR` for a number with no name) → calls. */
  readonly abis: Partial<Record<LinuxArchName, Record<string, SyscallCalls>>>;
}

/** A recording's JSON is not one. */
export class RecordingError extends Error {
  constructor(readonly path: string, message: string) {
    super(`${path}: ${message}`);
    this.name = 'RecordingError';
  }
}

/** A recording with nothing in it. */
export const emptyRecording = (): Recording => ({ runs: [], abis: {} });

/** The key a call is counted under: the syscall's name on its ABI, else `#NR`. */
export function syscallKey(abi: LinuxArchName, nr: number): string {
  const seen = abi === 'x32' ? (nr | X32_SYSCALL_BIT) >>> 0 : nr;
  return syscallName(abi, seen) ?? `#${abi === 'x32' ? nr & ~X32_SYSCALL_BIT : nr}`;
}

/** Counts one call (mutating `recording`); `args` are the six argument registers. */
export function addCall(recording: Recording, abi: LinuxArchName, nr: number, args: readonly bigint[]): void {
  const key = syscallKey(abi, nr);
  const table = (recording.abis[abi] ??= {});
  const calls = (table[key] ??= { count: 0 });
  calls.count++;
  const recorded = RECORDED_ARGUMENTS[key];
  if (recorded !== undefined) {
    const value = ((args[recorded.index] ?? 0n) & 0xffffffffn).toString();
    const byIndex = (calls.args ??= {});
    const values = (byIndex[String(recorded.index)] ??= {});
    values[value] = (values[value] ?? 0) + 1;
  }
}

/** The sum of recordings: runs listed in order, counts added. */
export function mergeRecordings(...recordings: readonly Recording[]): Recording {
  const out = emptyRecording();
  for (const r of recordings) {
    out.runs.push(...r.runs.map((argv) => [...argv]));
    for (const abi of LINUX_ARCH_NAMES) {
      for (const [key, calls] of Object.entries(r.abis[abi] ?? {})) {
        const table = (out.abis[abi] ??= {});
        const mine = (table[key] ??= { count: 0 });
        mine.count += calls.count;
        for (const [index, values] of Object.entries(calls.args ?? {})) {
          const into = ((mine.args ??= {})[index] ??= {});
          for (const [value, n] of Object.entries(values)) into[value] = (into[value] ?? 0) + n;
        }
      }
    }
  }
  return out;
}

/** The recording as JSON text (ABIs and syscalls sorted, so equal recordings give equal text). */
export function formatRecording(recording: Recording): string {
  const abis: Record<string, Record<string, SyscallCalls>> = {};
  for (const abi of LINUX_ARCH_NAMES) {
    const table = recording.abis[abi];
    if (table === undefined) continue;
    abis[abi] = Object.fromEntries(Object.keys(table).sort().map((k) => [k, table[k]!]));
  }
  return `${JSON.stringify({ seccompTsRecording: 1, runs: recording.runs, abis }, null, 2)}\n`;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** Reads a recording written by `formatRecording`; errors name the JSON path. */
export function parseRecording(json: unknown): Recording {
  if (!isObject(json) || json.seccompTsRecording !== 1) {
    throw new RecordingError('$', 'not a seccomp-ts recording (expected {"seccompTsRecording": 1, ...}, as record --format json writes)');
  }
  const runs = json.runs;
  if (!Array.isArray(runs) || !runs.every((r) => Array.isArray(r) && r.every((a) => typeof a === 'string'))) {
    throw new RecordingError('$.runs', 'expected an array of argv arrays (strings)');
  }
  if (!isObject(json.abis)) throw new RecordingError('$.abis', 'expected an object');
  const out: Recording = { runs: runs.map((r) => [...(r as string[])]), abis: {} };
  for (const [abi, table] of Object.entries(json.abis)) {
    const path = `$.abis.${abi}`;
    if (!isLinuxArchName(abi)) throw new RecordingError(path, `unknown ABI (one of ${LINUX_ARCH_NAMES.join(', ')})`);
    if (!isObject(table)) throw new RecordingError(path, 'expected an object');
    const into: Record<string, SyscallCalls> = {};
    for (const [key, calls] of Object.entries(table)) {
      const at = `${path}.${key}`;
      if (!/^#\d+$/.test(key) && lookupSyscall(abi, key) === undefined) throw new RecordingError(at, `no syscall of this name on ${abi}`);
      if (!isObject(calls) || !isCount(calls.count)) throw new RecordingError(at, 'expected {"count": N, ...}');
      const entry: SyscallCalls = { count: calls.count };
      if (calls.args !== undefined) {
        if (!isObject(calls.args)) throw new RecordingError(`${at}.args`, 'expected an object');
        entry.args = {};
        for (const [index, values] of Object.entries(calls.args)) {
          if (!/^[0-5]$/.test(index) || !isObject(values)) throw new RecordingError(`${at}.args.${index}`, 'expected argument index 0-5 → {value: count}');
          const counts: Record<string, number> = {};
          for (const [value, n] of Object.entries(values)) {
            if (!/^\d+$/.test(value) || BigInt(value) > 0xffffffffn || !isCount(n)) throw new RecordingError(`${at}.args.${index}.${value}`, 'expected a 32-bit value → count');
            counts[value] = n;
          }
          entry.args[index] = counts;
        }
      }
      into[key] = entry;
    }
    out.abis[abi] = into;
  }
  return out;
}

/** How `recordingPolicy` turns a recording into a policy (default action, argument conditions). */
export interface RecordedPolicyOptions {
  /** The verdict for everything not seen (default ERRNO(EPERM)). */
  readonly defaultAction?: Action;
  /** Make recorded argument values conditions (default true). */
  readonly conditions?: boolean;
  /**
   * `exact`: every syscall allowed on the ABI it was seen on only (by number where a name would reach other
   * ABIs). `names`: one rule per name for every recorded ABI — what a Docker/OCI profile can say (default exact).
   */
  readonly scope?: 'exact' | 'names';
}

/** The conditions for one recorded syscall: one alternative per value, or none when too many values were seen. */
function alternatives(calls: SyscallCalls): ArgCondition[][] | undefined {
  for (const [index, values] of Object.entries(calls.args ?? {})) {
    const seen = Object.keys(values);
    if (seen.length === 0 || seen.length > MAX_CONDITION_VALUES) return undefined;
    return seen.map((v) => [{ arg: Number(index) as ArgIndex, op: 'eq', value: BigInt(v), width: 32 }]);
  }
  return undefined;
}

/** A ref for `key` on `abi`: its name when `byName`, else its number there. */
function refOf(abi: LinuxArchName, key: string, byName: boolean): SyscallRef {
  if (key.startsWith('#')) return { arch: abi, nr: Number(key.slice(1)) };
  if (byName) return key;
  const entry = lookupSyscall(abi, key)!;
  return { arch: abi, nr: (entry.nr & ~X32_SYSCALL_BIT) >>> 0 };
}

/**
 * The policy that allows what the recording saw and gives `defaultAction` to everything else, on the ABIs seen.
 * Calls of any other ABI get the default action too (they were never made).
 */
export function recordingPolicy(recording: Recording, options: RecordedPolicyOptions = {}): Policy {
  const defaultAction = options.defaultAction ?? { kind: 'ERRNO', data: 1 };
  const withConditions = options.conditions ?? true;
  const arches = LINUX_ARCH_NAMES.filter((a) => Object.keys(recording.abis[a] ?? {}).length > 0);
  const names = options.scope === 'names';
  // A name seen on every recorded ABI may stay a name in the exact scope too: it reaches no ABI it was not seen on.
  const everywhere = (key: string): boolean => arches.every((a) => recording.abis[a]?.[key] !== undefined);
  const rules: Rule[] = [];
  const plain = new Map<string, SyscallRef>();
  const conditional = new Map<string, { refs: SyscallRef[]; alternatives: ArgCondition[][] }>();
  for (const abi of arches) {
    for (const [key, calls] of Object.entries(recording.abis[abi]!).sort(([a], [b]) => a.localeCompare(b))) {
      const byName = names || everywhere(key);
      const ref = refOf(abi, key, byName && !key.startsWith('#'));
      const refKey = typeof ref === 'string' ? ref : `${ref.arch}:${ref.nr}`;
      const alts = withConditions ? alternatives(calls) : undefined;
      if (alts === undefined) {
        plain.set(refKey, ref);
        continue;
      }
      const existing = conditional.get(refKey);
      if (existing === undefined) conditional.set(refKey, { refs: [ref], alternatives: alts });
      else {
        const have = new Set(existing.alternatives.map((c) => String(c[0]!.value)));
        for (const alt of alts) if (!have.has(String(alt[0]!.value))) existing.alternatives.push(alt);
      }
    }
  }
  for (const key of conditional.keys()) if (plain.has(key)) conditional.delete(key);
  if (plain.size > 0) rules.push({ syscalls: [...plain.values()], action: { kind: 'ALLOW' } });
  for (const { refs, alternatives: alts } of conditional.values()) {
    for (const conditions of alts.sort((a, b) => (a[0]!.value < b[0]!.value ? -1 : 1))) rules.push({ syscalls: refs, action: { kind: 'ALLOW' }, conditions });
  }
  // A recorded socketcall must stay allowed even where socket is restricted by family (which otherwise denies
  // socketcall, as it reaches socket with arguments no filter reads): the program was seen using it.
  const socketcallSeen = arches.some((a) => LINUX_ARCHES[a].socketcall !== undefined && recording.abis[a]?.socketcall !== undefined);
  return {
    defaultAction, arches: arches.length > 0 ? arches : ['x86_64'], badArchAction: defaultAction, rules,
    ...(socketcallSeen && { allowSocketcallHole: true }),
  };
}
