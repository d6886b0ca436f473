/**
 * Syscall name ↔ number per ABI, over the generated tables. Numbers are as a filter sees them in
 * `seccomp_data.nr`: x32 numbers include `X32_SYSCALL_BIT`.
 */
import {
  LINUX_ARCHES, LINUX_ARCH_NAMES, X32_SYSCALL_BIT, type LinuxArchName, type SyscallNr, type TableColumn,
} from './arch.js';
import { ARCH_TABLE_COLUMNS, ARCH_TABLE_NAMES } from './tables/arches.js';
import { I386_ROWS } from './tables/i386.js';
import { X32_ROWS } from './tables/x32.js';
import { X86_64_ROWS } from './tables/x86_64.js';
import type { SyscallEntry, SyscallRow } from './types.js';

/** Input the resolver cannot accept: an empty name, a negative or fractional number, one past the table. */
export class SyscallError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SyscallError';
  }
}

/**
 * No syscall of any ABI has a longer name (the longest, `sched_rr_get_interval_time64`, has 28 characters); a
 * longer name is refused at once, before any lookup or suggestion search.
 */
export const SYSCALL_NAME_MAX = 64;

/** How many characters of a long name a message shows. */
const SHOWN_PREFIX = 32;

/**
 * A user-written name as messages show it: quoted as JSON (control characters escaped, so one line), and a name
 * longer than any syscall's cut to a short prefix with its length.
 */
export function quoteName(name: string): string {
  if (name.length <= SYSCALL_NAME_MAX) return JSON.stringify(name);
  return `${JSON.stringify(name.slice(0, SHOWN_PREFIX))}… (${name.length} characters)`;
}

/** Whether `name` is too long to be any syscall's name (surrounding white space aside). */
export function isOverlongSyscallName(name: string): boolean {
  return name.length > SYSCALL_NAME_MAX && name.trim().length > SYSCALL_NAME_MAX;
}

/** A syscall name the ABI does not have. The message names the nearest known names. */
export class UnknownSyscallError extends SyscallError {
  constructor(
    readonly syscall: string,
    readonly arch: LinuxArchName,
    /** Nearest names on `arch`, best first (possibly empty). */
    readonly suggestions: string[],
    /** Other ABIs that do have a syscall of this name. */
    readonly otherArches: LinuxArchName[],
  ) {
    let message = `unknown syscall ${quoteName(syscall)} on ${arch}`;
    if (isOverlongSyscallName(syscall)) message += `: longer than any syscall name (at most ${SYSCALL_NAME_MAX} characters)`;
    if (otherArches.length > SHOWN_ARCHES) {
      message += ` (it exists on ${otherArches.slice(0, SHOWN_ARCHES).join(', ')} and ${otherArches.length - SHOWN_ARCHES} other ABIs)`;
    } else if (otherArches.length > 0) {
      message += ` (it exists on ${joinOr(otherArches, 'and')})`;
    }
    if (suggestions.length > 0) message += `; did you mean ${joinOr(suggestions, 'or')}?`;
    super(message);
    this.name = 'UnknownSyscallError';
  }
}

/** How many other ABIs an unknown-name message lists before counting the rest. */
const SHOWN_ARCHES = 4;
const X86_ABIS: readonly LinuxArchName[] = ['x86_64', 'i386', 'x32'];

function joinOr(items: readonly string[], word: string): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} ${word} ${items[items.length - 1]}`;
}

interface Table {
  readonly entries: readonly SyscallEntry[];
  readonly byName: ReadonlyMap<string, SyscallEntry>;
  readonly byNr: ReadonlyMap<number, SyscallEntry>;
}

/** A csv column's rows, sorted by number: x86's from their own checked tables, the others decoded. */
function rowsOf(column: TableColumn): readonly SyscallRow[] {
  if (column === 'x86_64') return X86_64_ROWS;
  if (column === 'x86') return I386_ROWS;
  if (column === 'x32') return X32_ROWS;
  const names = ARCH_TABLE_NAMES.split(' ');
  const rows: SyscallRow[] = [];
  ARCH_TABLE_COLUMNS[column].split(',').forEach((cell, i) => {
    if (cell === '') return;
    const [nr, minKernel] = cell.split('@');
    rows.push(minKernel === undefined ? [Number(nr), names[i]!] : [Number(nr), names[i]!, minKernel]);
  });
  return rows.sort((a, b) => a[0] - b[0]);
}

const built = new Map<LinuxArchName, Table>();

function table(arch: LinuxArchName): Table {
  let t = built.get(arch);
  if (t === undefined) {
    const descriptor = Object.hasOwn(LINUX_ARCHES, arch) ? LINUX_ARCHES[arch] : undefined;
    if (descriptor === undefined) throw new SyscallError(`unknown architecture "${String(arch)}"`);
    const entries = rowsOf(descriptor.table).map(([nr, name, minKernel]): SyscallEntry => Object.freeze(
      minKernel === undefined
        ? { name, nr: ((descriptor.nrBase + nr) >>> 0) as SyscallNr }
        : { name, nr: ((descriptor.nrBase + nr) >>> 0) as SyscallNr, minKernel },
    ));
    t = {
      entries: Object.freeze(entries),
      byName: new Map(entries.map((e) => [e.name, e])),
      byNr: new Map(entries.map((e) => [e.nr, e])),
    };
    built.set(arch, t);
  }
  return t;
}

/** Every syscall of the ABI, sorted by number. */
export function syscallTable(arch: LinuxArchName): readonly SyscallEntry[] {
  return table(arch).entries;
}

/** The highest syscall number of the ABI (for x32 including the x32 bit). */
export function maxSyscallNr(arch: LinuxArchName): SyscallNr {
  const entries = table(arch).entries;
  return entries[entries.length - 1]!.nr;
}

/** The table's spelling of a user-written name: lower case, and `sysctl` → `_sysctl` style aliases. */
function canonicalName(arch: LinuxArchName, name: string): string {
  const lower = name.trim().toLowerCase();
  const { byName } = table(arch);
  if (!byName.has(lower) && byName.has(`_${lower}`)) return `_${lower}`;
  return lower;
}

/**
 * The syscall called `name` on `arch`, or undefined. Case-insensitive; the names of removed or legacy calls
 * that the kernel spells with a leading underscore resolve without it too (`sysctl` → `_sysctl`,
 * `llseek` → `_llseek`, `newselect` → `_newselect`).
 */
export function lookupSyscall(arch: LinuxArchName, name: string): SyscallEntry | undefined {
  // Most names arrive spelled as the table spells them: one lookup, no new string.
  const exact = table(arch).byName.get(name);
  if (exact !== undefined) return exact;
  if (isOverlongSyscallName(name)) return undefined;
  return table(arch).byName.get(canonicalName(arch, name));
}

/**
 * The number of syscall `name` on `arch` as `seccomp_data.nr` carries it.
 * Throws `UnknownSyscallError` (with the nearest names) for a name the ABI lacks, `SyscallError` for an empty name.
 */
export function resolveSyscall(arch: LinuxArchName, name: string): SyscallNr {
  if (name.trim() === '') throw new SyscallError('empty syscall name');
  if (isOverlongSyscallName(name)) throw new UnknownSyscallError(name, arch, [], []);
  const entry = lookupSyscall(arch, name);
  if (entry !== undefined) return entry.nr;
  const wanted = name.trim().toLowerCase();
  // An x86 name is looked for on the other x86 ABIs first: that is where its users go next.
  const candidates = X86_ABIS.includes(arch) ? X86_ABIS : LINUX_ARCH_NAMES;
  let otherArches = candidates.filter((a) => a !== arch && lookupSyscall(a, wanted) !== undefined);
  if (otherArches.length === 0) otherArches = LINUX_ARCH_NAMES.filter((a) => a !== arch && lookupSyscall(a, wanted) !== undefined);
  throw new UnknownSyscallError(name, arch, suggestSyscalls(arch, wanted), otherArches);
}

/**
 * The name of syscall number `nr` on `arch` (x32: with the x32 bit), or undefined for any value that is not one
 * (holes, numbers past the table, negative or fractional values, x32 numbers without the bit).
 */
export function syscallName(arch: LinuxArchName, nr: number): string | undefined {
  return table(arch).byNr.get(nr)?.name;
}

/**
 * The syscall with number `nr` on `arch`, throwing a `SyscallError` that says why for anything else:
 * negative or fractional numbers, numbers past the table, unused numbers, x32 numbers lacking the x32 bit.
 */
export function syscallByNr(arch: LinuxArchName, nr: number): SyscallEntry {
  const t = table(arch);
  if (!Number.isSafeInteger(nr)) throw new SyscallError(`syscall number ${nr} is not an integer`);
  if (nr < 0) throw new SyscallError(`syscall number ${nr} is negative`);
  const entry = t.byNr.get(nr);
  if (entry !== undefined) return entry;
  const { nrBase } = LINUX_ARCHES[arch];
  const x32 = nrBase === X32_SYSCALL_BIT;
  const first = t.entries[0]!.nr;
  const last = maxSyscallNr(arch);
  const range = x32 ? `${hex(first)}-${hex(last)}` : `${first}-${last}`;
  if (nrBase !== 0 && nr < nrBase) {
    const withBase = t.byNr.get((nr + nrBase) >>> 0);
    const what = x32 ? `x32 syscall numbers carry the x32 bit ${hex(X32_SYSCALL_BIT)}` : `${arch} syscall numbers start at ${nrBase}`;
    throw new SyscallError(`${what}: ${nr} is not one` +
      (withBase ? ` (${x32 ? hex(withBase.nr) : withBase.nr} is ${withBase.name})` : ''));
  }
  if (nr > last) throw new SyscallError(`syscall number ${fmt(nr, x32)} is past the ${arch} table (${range})`);
  throw new SyscallError(`no syscall has number ${fmt(nr, x32)} on ${arch} (${range}, with gaps)`);
}

const hex = (n: number): string => `0x${n.toString(16)}`;
const fmt = (n: number, x32: boolean): string => (x32 ? hex(n) : String(n));

/**
 * Up to `limit` names on `arch` closest to `name` (edit distance counting transpositions as one edit), all at
 * the smallest distance found, and only if that distance makes a plausible typo (at most a third of the name).
 */
export function suggestSyscalls(arch: LinuxArchName, name: string, limit = 3): string[] {
  if (isOverlongSyscallName(name)) return [];
  const wanted = name.trim().toLowerCase();
  if (wanted === '') return [];
  const threshold = Math.max(1, Math.floor(wanted.length / 3));
  const scored: Array<{ name: string; distance: number }> = [];
  for (const entry of table(arch).entries) {
    // The distance is at least the difference in length: names too far off are not compared at all.
    if (Math.abs(entry.name.length - wanted.length) > threshold + 1) continue;
    const bare = entry.name.replace(/^_/, '');
    const distance = Math.min(editDistance(wanted, entry.name), editDistance(wanted, bare));
    if (distance <= threshold) scored.push({ name: entry.name, distance });
  }
  const best = Math.min(...scored.map((s) => s.distance));
  return scored
    .filter((s) => s.distance === best)
    .sort((a, b) => a.name.localeCompare(b.name))
    .slice(0, limit)
    .map((s) => s.name);
}

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent transpositions. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array<number>(rows * cols).fill(0);
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[(i - 1) * cols + j]! + 1, d[i * cols + j - 1]! + 1, d[(i - 1) * cols + j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, d[(i - 2) * cols + j - 2]! + 1);
      }
      d[i * cols + j] = best;
    }
  }
  return d[rows * cols - 1]!;
}
