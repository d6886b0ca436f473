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
import { LINUX_ARCHES, type LinuxArchName } from '../syscalls/arch.js';
import { syscallName, syscallTable } from '../syscalls/resolve.js';
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

/**
 * The ABIs a kernel's action cache covers, by the kernel's native ABI: `SECCOMP_ARCH_NATIVE` and, where the
 * kernel runs 32-bit programs, `SECCOMP_ARCH_COMPAT` (the kernel's arch/NAME/include/asm/seccomp.h). Kernels that define
 * neither (MIPS) have no action cache: their filters run for every call. A little-endian ppc64 kernel's
 * compat ABI is 32-bit little-endian powerpc, which the tables do not know; only its native ABI is modelled.
 */
export const KERNEL_CACHE_ABIS: Readonly<Partial<Record<LinuxArchName, { readonly native: LinuxArchName; readonly compat?: LinuxArchName }>>> = {
  x86_64: { native: 'x86_64', compat: 'i386' },
  i386: { native: 'i386' },
  aarch64: { native: 'aarch64', compat: 'arm' },
  arm: { native: 'arm' },
  s390x: { native: 's390x', compat: 's390' },
  ppc64: { native: 'ppc64', compat: 'ppc' },
  ppc64le: { native: 'ppc64le' },
  ppc: { native: 'ppc' },
  parisc64: { native: 'parisc64', compat: 'parisc' },
  parisc: { native: 'parisc' },
  riscv64: { native: 'riscv64' },
  loongarch64: { native: 'loongarch64' },
  m68k: { native: 'm68k' },
  // SuperH: AUDIT_ARCH_SH with __AUDIT_ARCH_LE on a little-endian kernel (our `sh`), without it on a big-endian one.
  sh: { native: 'sh' },
  sheb: { native: 'sheb' },
};

/** The kernel whose action cache covers calls of `abi`: its own as native, else one running it as compat. */
export function cachingKernel(abi: LinuxArchName): LinuxArchName | undefined {
  if (KERNEL_CACHE_ABIS[abi] !== undefined) return abi;
  return (Object.keys(KERNEL_CACHE_ABIS) as LinuxArchName[]).find((k) => KERNEL_CACHE_ABIS[k]?.compat === abi);
}

/**
 * The kernel's bitmap size for an ABI (`NR_syscalls`), as one past the highest number the tables know below
 * ARM's private range (0xf0000 and up, past the kernel's table).
 */
export function cacheBitmapSize(abi: LinuxArchName): number {
  let max = -1;
  for (const e of syscallTable(abi)) if (e.nr < 0xf0000 && e.nr > max) max = e.nr;
  return max + 1;
}

/** The cache bitmap of one ABI. */
export interface AbiCache {
  readonly abi: LinuxArchName;
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
  /** The kernel modelled, by its native ABI. */
  readonly kernel: LinuxArchName;
  readonly native: AbiCache;
  /** The compat ABI's bitmap, on kernels that have one (x86_64: i386; aarch64: arm; s390x: s390; …). */
  readonly compat?: AbiCache;
  /** On x86_64: x32 calls (nr with bit 0x40000000) are never in the bitmap: the filter always runs for them. */
  readonly x32?: { readonly cached: readonly number[]; readonly note: string };
}

/** Bitmap sizes and passthrough numbers for the action-cache report. */
export interface CacheOptions {
  /**
   * The kernel, by its native ABI (default x86_64): one of {@link KERNEL_CACHE_ABIS}. MIPS kernels
   * have no action cache.
   */
  readonly kernel?: LinuxArchName;
  /** Size of the native bitmap (default: one past the highest native syscall number the tables know). */
  readonly nativeSize?: number;
  /** Size of the compat bitmap (default: one past the highest compat syscall number the tables know). */
  readonly compatSize?: number;
  /**
   * Native syscall numbers the kernel lets through before any filter runs and reports as cached
   * (`seccomp_uprobe_exception`: uretprobe 335 since 6.11, uprobe 336 since 6.17). Default [335, 336] on an
   * x86_64 kernel, none elsewhere; pass [] for older kernels.
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

function abiCache(raws: readonly RawInstruction[], abi: LinuxArchName, arch: number, size: number, passthrough: readonly number[]): AbiCache {
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
  const kernel = options.kernel ?? 'x86_64';
  const abis = KERNEL_CACHE_ABIS[kernel];
  if (abis === undefined) {
    throw new Error(`a ${kernel} kernel has no seccomp action cache (no SECCOMP_ARCH_NATIVE); its filters run for every call`);
  }
  const raws = program.map(toRaw);
  const nativeSize = options.nativeSize ?? cacheBitmapSize(abis.native);
  const passthrough = options.nativePassthrough ?? (kernel === 'x86_64' ? UPROBE_PASSTHROUGH : []);
  const native = abiCache(raws, abis.native, LINUX_ARCHES[abis.native].auditArch, nativeSize, passthrough);
  const compat = abis.compat === undefined ? undefined
    : abiCache(raws, abis.compat, LINUX_ARCHES[abis.compat].auditArch, options.compatSize ?? cacheBitmapSize(abis.compat), []);
  return {
    kernel, native, ...(compat && { compat }),
    ...(kernel === 'x86_64' && { x32: { cached: [], note: 'x32 numbers carry bit 0x40000000 and are past the native bitmap: never cached' } }),
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
  for (const c of r.compat ? [r.native, r.compat] : [r.native]) {
    const set = c.cachedRanges.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(', ');
    lines.push(`${c.abi}: ${c.cached.length} of ${c.size} syscall numbers always allowed without running the filter${c.cached.length ? `: ${set}` : ''}`);
    const loads = c.uncached.filter((u) => u.miss.reason === 'loads-data' && u.name !== undefined);
    if (loads.length > 0) {
      lines.push(`  not cached because the filter reads arguments or ip on their path: ${loads.map((u) => u.name).join(', ')}`);
    }
    const odd = c.uncached.filter((u) => u.miss.reason === 'instruction' || u.miss.reason === 'ran-off-end');
    if (odd.length > 0) lines.push(`  not cached (${missText(odd[0]!.miss)}): ${odd.length} numbers`);
  }
  if (r.x32) lines.push(`x32: ${r.x32.note}`);
  return `${lines.join('\n')}\n`;
}
