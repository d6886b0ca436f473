/**
 * How big a filter is and how much work it does per syscall: every number of each ABI's table run once with
 * zero arguments, the instructions executed, the verdicts, and what the kernel's action cache lets through.
 */
import type { Program } from '../bpf/instructions.js';
import { seccompData } from '../emulator/data.js';
import { prepareFilter } from '../emulator/executor.js';
import { decodeAction } from '../syscalls/actions.js';
import { formatAction } from '../syscalls/action-text.js';
import { ARCH_NAMES, type LinuxArchName } from '../syscalls/arch.js';
import { syscallTable } from '../syscalls/resolve.js';
import { isUnfiltered } from '../syscalls/unfiltered.js';
import { cacheBitmapSize, cachingKernel, cacheReport } from './cache.js';

/** What one ABI's syscalls cost under a filter. */
export interface AbiStats {
  readonly abi: LinuxArchName;
  /** Syscalls in the ABI's table: every one is evaluated once, with all arguments zero. */
  readonly syscalls: number;
  /** Mean instructions executed per syscall, the final RET included. */
  readonly meanExecuted: number;
  readonly maxExecuted: number;
  /** How many of the table's syscalls get each verdict (text form, e.g. `ERRNO(EPERM)`). */
  readonly verdicts: Readonly<Record<string, number>>;
  /**
   * Syscalls of the table the kernel's action cache will let through without running the filter (the filter
   * allows them on a path that reads only nr and arch), on the kernel that caches this ABI (natively, or as
   * its compat ABI: arm on aarch64). Always 0 for x32 and the MIPS ABIs, which no kernel caches.
   */
  readonly kernelCached: number;
  /**
   * Syscalls of the table Linux never runs a filter for (x86_64 uretprobe and uprobe), counted apart: they are
   * in none of the figures above, and their verdict here is what the filter says but is never applied.
   */
  readonly unfiltered: readonly { readonly nr: number; readonly name: string; readonly verdict: string }[];
}

/** A filter's size and, per ABI, what its syscalls cost and get (see `filterStats`). */
export interface FilterStats {
  readonly instructions: number;
  readonly abis: readonly AbiStats[];
}

/** Size, executed instructions, verdicts and kernel-cacheable syscalls of a filter, per ABI. */
export function filterStats(program: Program, abis: readonly LinuxArchName[] = ARCH_NAMES): FilterStats {
  const filter = prepareFilter(program);
  const none: ReadonlySet<number> = new Set();
  // Each ABI on the kernel that caches it: x86_64 and i386 on an x86_64 kernel, arm on aarch64's, …
  const cachedBy = (abi: LinuxArchName): ReadonlySet<number> => {
    const kernel = cachingKernel(abi);
    if (kernel === undefined) return none;
    const size = cacheBitmapSize(abi);
    const r = cacheReport(program, { kernel, nativePassthrough: [], nativeSize: size, compatSize: size });
    return new Set((r.native.abi === abi ? r.native : r.compat)?.cached ?? []);
  };
  return {
    instructions: program.length,
    abis: abis.map((abi) => {
      const table = syscallTable(abi);
      let total = 0;
      let max = 0;
      let cached = 0;
      const verdicts: Record<string, number> = {};
      const cachedHere = cachedBy(abi);
      const unfiltered: { nr: number; name: string; verdict: string }[] = [];
      let counted = 0;
      // The whole table in one batch run: the filter body loops over the records, with no call per syscall.
      const records = new Uint32Array(16 * table.length);
      table.forEach((entry, i) => records.set(seccompData({ arch: abi, nr: entry.nr }).words, 16 * i));
      const raws = new Uint32Array(table.length);
      const executedBy = new Uint32Array(table.length);
      filter.runBatchCounting(records, raws, executedBy);
      for (const [i, entry] of table.entries()) {
        const run = { raw: raws[i] as number, executed: executedBy[i] as number };
        if (isUnfiltered(abi, entry.nr)) {
          unfiltered.push({ nr: entry.nr, name: entry.name, verdict: formatAction(decodeAction(run.raw)) });
          continue;
        }
        counted++;
        total += run.executed;
        max = Math.max(max, run.executed);
        const text = formatAction(decodeAction(run.raw));
        verdicts[text] = (verdicts[text] ?? 0) + 1;
        if (cachedHere.has(entry.nr)) cached++;
      }
      return { abi, syscalls: counted, meanExecuted: total / counted, maxExecuted: max, verdicts, kernelCached: cached, unfiltered };
    }),
  };
}

/** The report as an aligned table. */
export function filterStatsText(stats: FilterStats, title: string): string {
  const rows = stats.abis.map((a) => [
    a.abi, String(a.syscalls), a.meanExecuted.toFixed(2), String(a.maxExecuted),
    cachingKernel(a.abi) === undefined ? '0 (never)' : String(a.kernelCached),
    Object.entries(a.verdicts).sort((x, y) => y[1] - x[1]).map(([v, n]) => `${v} ${n}`).join(', '),
  ]);
  const head = ['ABI', 'syscalls', 'mean', 'max', 'kernel-cached', 'verdicts'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] as number))).join('  ');
  const apart = stats.abis.filter((a) => a.unfiltered.length > 0).map((a) =>
    `${a.abi} ${a.unfiltered.map((u) => `${u.name} (${u.nr}): ${u.verdict}`).join(', ')}: counted apart, never filtered (Linux runs no seccomp filter for them)`);
  return [
    `${title}: ${stats.instructions} instruction${stats.instructions === 1 ? '' : 's'}`,
    'executed instructions per syscall: every number of each ABI\'s table, arguments zero',
    line(head),
    ...rows.map(line),
    ...apart,
  ].join('\n') + '\n';
}
