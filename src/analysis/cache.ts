/**
 * The kernel's seccomp action cache (Linux 5.11+): when a filter is attached, the kernel walks it once per
 * syscall number of the native and the compat ABI with only `nr` and `arch` known (`seccomp_cache_prepare_bitmap`
 * calling `seccomp_is_const_allow`). Numbers for which the walk reaches `RET SECCOMP_RET_ALLOW` without touching
 * anything else are marked "always allow": the kernel skips the filter for them from then on.
 *
 * This module repeats that walk rule for rule on the program's raw instructions.
 */
import { UNFILTERED_X86_64_SYSCALLS } from '../syscalls/unfiltered.js';
import { toRaw, type Program, type RawInstruction } from '../bpf/instructions.js';
import * as op from '../bpf/opcodes.js';
import { OFFSET_ARCH, OFFSET_NR } from '../bpf/seccomp-data.js';
import { SECCOMP_RET_ALLOW } from '../syscalls/actions.js';
import { AUDIT_ARCH_I386, AUDIT_ARCH_X86_64 } from '../syscalls/arch.js';
import { maxSyscallNr, syscallName } from '../syscalls/resolve.js';
import type { Interval } from './intervals.js';

/** Why a syscall number is not cached. */
export type CacheMiss =
  | { readonly reason: 'returns'; readonly pc: number; readonly value: number }
  | { readonly reason: 'loads-data'; readonly pc: number; readonly offset: number }
  | { readonly reason: 'instruction'; readonly pc: number }
  | { readonly reason: 'ran-off-end' };

/** Whether the kernel's action cache lets one syscall through without running the filter, and why not. */
export type CacheDecision = { readonly cached: true; readonly passthrough?: boolean } | ({ readonly cached: false } & CacheMiss);

/**
 * One walk of `seccomp_is_const_allow`: may the kernel cache this (arch, nr) as "always allow"?
 * Only `LD W ABS` of `nr`/`arch`, `JA`, `JEQ/JGE/JGT/JSET K`, `AND K` and `RET K` are understood; the walk
 * reads the instructions as the caller wrote them (the kernel keeps that original copy for this purpose).
 */
export function constAllow(raws: readonly RawInstruction[], arch: number, nr: number): CacheDecision {
  let reg = 0;
  for (let pc = 0; pc < raws.length; pc++) {
    const insn = raws[pc] as RawInstruction;
    const k = insn.k >>> 0;
    switch (insn.code) {
      case op.BPF_LD | op.BPF_W | op.BPF_ABS:
        if (k === OFFSET_NR) reg = nr >>> 0;
        else if (k === OFFSET_ARCH) reg = arch >>> 0;
        else return { cached: false, reason: 'loads-data', pc, offset: k };
        break;
      case op.BPF_RET | op.BPF_K:
        return k === SECCOMP_RET_ALLOW ? { cached: true } : { cached: false, reason: 'returns', pc, value: k };
      case op.BPF_JMP | op.BPF_JA:
        pc += k;
        break;
      case op.BPF_JMP | op.BPF_JEQ | op.BPF_K:
        pc += reg === k ? insn.jt : insn.jf;
        break;
      case op.BPF_JMP | op.BPF_JGE | op.BPF_K:
        pc += reg >= k ? insn.jt : insn.jf;
        break;
      case op.BPF_JMP | op.BPF_JGT | op.BPF_K:
        pc += reg > k ? insn.jt : insn.jf;
        break;
      case op.BPF_JMP | op.BPF_JSET | op.BPF_K:
        pc += (reg & k) !== 0 ? insn.jt : insn.jf;
        break;
      case op.BPF_ALU | op.BPF_AND | op.BPF_K:
        reg = (reg & k) >>> 0;
        break;
      default:
        return { cached: false, reason: 'instruction', pc };
    }
  }
  return { cached: false, reason: 'ran-off-end' };
}

/** The cache bitmap of one ABI. */
export interface AbiCache {
  readonly abi: 'x86_64' | 'i386';
  readonly arch: number;
  /** Bitmap size: the kernel's table size for this ABI (`NR_syscalls` / `IA32_NR_syscalls`). */
  readonly size: number;
  /** Numbers the kernel treats as "always allow" (the filter never runs for them). */
  readonly cached: readonly number[];
  /** The same as ranges. */
  readonly cachedRanges: readonly Interval[];
  /** Every other number below `size`, with the reason. */
  readonly uncached: readonly { readonly nr: number; readonly name?: string; readonly miss: CacheMiss }[];
}

/** The syscall numbers the kernel's action cache allows without running the filter, per ABI. */
export interface CacheReport {
  readonly native: AbiCache;
  readonly compat: AbiCache;
  /** x32 calls (nr with bit 0x40000000) are never in the bitmap: the filter always runs for them. */
  readonly x32: { readonly cached: readonly number[]; readonly note: string };
}

/** Bitmap sizes and passthrough numbers for the action-cache report. */
export interface CacheOptions {
  /** Size of the native bitmap (default: one past the highest x86_64 syscall number the tables know). */
  readonly nativeSize?: number;
  /** Size of the compat bitmap (default: one past the highest i386 syscall number the tables know). */
  readonly compatSize?: number;
  /**
   * Native syscall numbers the kernel lets through before any filter runs and reports as cached
   * (`seccomp_uprobe_exception`: uretprobe 335 since 6.11, uprobe 336 since 6.17). Default [335, 336];
   * pass [] for older kernels.
   */
  readonly nativePassthrough?: readonly number[];
}

const UPROBE_PASSTHROUGH = [...UNFILTERED_X86_64_SYSCALLS.keys()];

function toRanges(numbers: readonly number[]): Interval[] {
  const out: [number, number][] = [];
  for (const n of numbers) {
    const last = out[out.length - 1];
    if (last && n === last[1] + 1) last[1] = n;
    else out.push([n, n]);
  }
  return out;
}

function abiCache(raws: readonly RawInstruction[], abi: 'x86_64' | 'i386', arch: number, size: number, passthrough: readonly number[]): AbiCache {
  const cached: number[] = [];
  const uncached: { nr: number; name?: string; miss: CacheMiss }[] = [];
  for (let nr = 0; nr < size; nr++) {
    const d: CacheDecision = passthrough.includes(nr) ? { cached: true, passthrough: true } : constAllow(raws, arch, nr);
    if (d.cached) {
      cached.push(nr);
    } else {
      const { cached: _c, ...miss } = d;
      const name = syscallName(abi, nr);
      uncached.push({ nr, ...(name !== undefined && { name }), miss });
    }
  }
  return { abi, arch, size, cached, cachedRanges: toRanges(cached), uncached };
}

/**
 * Which syscall numbers the kernel caches as "always allow" for this filter (installed alone), per ABI.
 * With several filters stacked the kernel keeps a number only if every filter allows it constantly: intersect
 * the reports.
 */
export function cacheReport(program: Program, options: CacheOptions = {}): CacheReport {
  const raws = program.map(toRaw);
  const nativeSize = options.nativeSize ?? (maxSyscallNr('x86_64') as number) + 1;
  const compatSize = options.compatSize ?? (maxSyscallNr('i386') as number) + 1;
  return {
    native: abiCache(raws, 'x86_64', AUDIT_ARCH_X86_64, nativeSize, options.nativePassthrough ?? UPROBE_PASSTHROUGH),
    compat: abiCache(raws, 'i386', AUDIT_ARCH_I386, compatSize, []),
    x32: { cached: [], note: 'x32 numbers carry bit 0x40000000 and are past the native bitmap: never cached' },
  };
}

function missText(m: CacheMiss): string {
  switch (m.reason) {
    case 'returns': return `returns 0x${m.value.toString(16)} at ${m.pc}`;
    case 'loads-data': return `loads offset ${m.offset} at ${m.pc}`;
    case 'instruction': return `instruction ${m.pc} not understood by the cache walk`;
    case 'ran-off-end': return 'ran off the end';
  }
}

/** The report as text, for `seccomp-ts stats`. */
export function cacheReportText(r: CacheReport): string {
  const lines: string[] = [];
  for (const c of [r.native, r.compat]) {
    const set = c.cachedRanges.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(', ');
    lines.push(`${c.abi}: ${c.cached.length} of ${c.size} syscall numbers always allowed without running the filter${c.cached.length ? `: ${set}` : ''}`);
    const loads = c.uncached.filter((u) => u.miss.reason === 'loads-data' && u.name !== undefined);
    if (loads.length > 0) {
      lines.push(`  not cached because the filter reads arguments or ip on their path: ${loads.map((u) => u.name).join(', ')}`);
    }
    const odd = c.uncached.filter((u) => u.miss.reason === 'instruction' || u.miss.reason === 'ran-off-end');
    if (odd.length > 0) lines.push(`  not cached (${missText(odd[0]!.miss)}): ${odd.length} numbers`);
  }
  lines.push(`x32: ${r.x32.note}`);
  return `${lines.join('\n')}\n`;
}
