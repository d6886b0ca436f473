/**
 * The ABIs seccomp-ts knows, with their audit identifiers, byte order and syscall-number bases: the three x86
 * ABIs the compiler targets by default, and every other ABI libseccomp supports.
 */
import { ARCH_TABLE_COLUMNS, ARCH_TABLE_NAMES, AUDIT_ARCH_VALUES } from './tables/arches.js';

/** A syscall number as a filter sees it in `seccomp_data.nr` (for x32: including the x32 bit). */
export type SyscallNr = number & { readonly __brand: 'SyscallNr' };
/** An `AUDIT_ARCH_*` value as a filter sees it in `seccomp_data.arch`. */
export type AuditArch = number & { readonly __brand: 'AuditArch' };

/** An x86 ABI by name: x86_64, i386 (`int $0x80`) or x32. */
export type ArchName = 'x86_64' | 'i386' | 'x32';
/** The x86 ABIs a policy can cover, in the order sections are compiled. */
export const ARCH_NAMES: readonly ArchName[] = ['x86_64', 'i386', 'x32'];

/** `seccomp_data.arch` of an x86_64 or x32 call. */
export const AUDIT_ARCH_X86_64 = 0xc000003e as AuditArch;
/** `seccomp_data.arch` of an i386 call. */
export const AUDIT_ARCH_I386 = 0x40000003 as AuditArch;
/** `__X32_SYSCALL_BIT`: x32 calls arrive with arch x86_64 and this bit set in `nr`. */
export const X32_SYSCALL_BIT = 0x40000000;

/**
 * `nr` -1 as `seccomp_data` holds it: what a tracer (strace --inject, a debugger) writes to skip a call. On the
 * x86_64 audit arch it carries the x32 bit; without x32 in a filter, libseccomp gives it the default action.
 */
export const SKIPPED_SYSCALL_NR = 0xffffffff;

/** Marks a number as a syscall number as `seccomp_data.nr` holds it. */
export const asSyscallNr = (n: number): SyscallNr => (n >>> 0) as SyscallNr;
/** Marks a number as an audit arch value (`seccomp_data.arch`). */
export const asAuditArch = (n: number): AuditArch => (n >>> 0) as AuditArch;

/** The `seccomp_data.arch` value a call of this ABI carries. */
export function auditArchOf(arch: ArchName): AuditArch {
  return arch === 'i386' ? AUDIT_ARCH_I386 : AUDIT_ARCH_X86_64;
}

/** An i386 multiplexer syscall: calls made through it carry the sub-call number in `args[0]`. */
export interface Multiplexer {
  /** The multiplexer's own syscall number (i386). */
  readonly nr: SyscallNr;
  /** Sub-call number in `args[0]` for each syscall reachable through it, by that syscall's name. */
  readonly calls: Readonly<Record<string, number>>;
}

/** What a filter needs to know about one ABI. */
export interface ArchDescriptor {
  readonly name: ArchName;
  /** Spellings `parseArch` accepts (matched case-insensitively), the canonical name first. */
  readonly aliases: readonly string[];
  /** Value of `seccomp_data.arch` for calls of this ABI (x32 shares x86_64's). */
  readonly auditArch: AuditArch;
  /** Bits in one syscall argument: 64 on x86_64 and x32 (arguments are full registers), 32 on i386. */
  readonly wordSize: 32 | 64;
  /** True when every `seccomp_data.nr` of this ABI carries `X32_SYSCALL_BIT`. */
  readonly x32Bit: boolean;
  /** Value OR-ed into the ABI's own syscall numbers to give `seccomp_data.nr` (0 or `X32_SYSCALL_BIT`). */
  readonly nrBase: number;
  /** `socketcall` (linux/net.h `SYS_*`): i386 only. */
  readonly socketcall?: Multiplexer;
  /**
   * `ipc` (linux/ipc.h): i386 only. The kernel dispatches on `args[0] & 0xffff`; the high half carries an
   * interface version.
   */
  readonly ipc?: Multiplexer;
}

/** `SYS_*` sub-calls of i386 `socketcall` (linux/net.h). */
export const SOCKETCALL_CALLS: Readonly<Record<string, number>> = {
  socket: 1, bind: 2, connect: 3, listen: 4, accept: 5, getsockname: 6, getpeername: 7, socketpair: 8,
  send: 9, recv: 10, sendto: 11, recvfrom: 12, shutdown: 13, setsockopt: 14, getsockopt: 15, sendmsg: 16,
  recvmsg: 17, accept4: 18, recvmmsg: 19, sendmmsg: 20,
};

/** Sub-calls of i386 `ipc` (linux/ipc.h: SEMOP … SHMCTL). */
export const IPC_CALLS: Readonly<Record<string, number>> = {
  semop: 1, semget: 2, semctl: 3, semtimedop: 4,
  msgsnd: 11, msgrcv: 12, msgget: 13, msgctl: 14,
  shmat: 21, shmdt: 22, shmget: 23, shmctl: 24,
};

/** i386 syscall numbers of the two multiplexers. */
export const I386_SOCKETCALL_NR = 102 as SyscallNr;
/** The i386 `ipc` multiplexer's syscall number. */
export const I386_IPC_NR = 117 as SyscallNr;

/** Descriptor of each x86 ABI: its audit arch value and how its syscall numbers are written. */
export const ARCHES: Readonly<Record<ArchName, ArchDescriptor>> = {
  x86_64: {
    name: 'x86_64',
    aliases: ['x86_64', 'amd64', 'x86-64', 'SCMP_ARCH_X86_64'],
    auditArch: AUDIT_ARCH_X86_64,
    wordSize: 64,
    x32Bit: false,
    nrBase: 0,
  },
  i386: {
    name: 'i386',
    aliases: ['i386', 'x86', 'i686', 'SCMP_ARCH_X86'],
    auditArch: AUDIT_ARCH_I386,
    wordSize: 32,
    x32Bit: false,
    nrBase: 0,
    socketcall: { nr: I386_SOCKETCALL_NR, calls: SOCKETCALL_CALLS },
    ipc: { nr: I386_IPC_NR, calls: IPC_CALLS },
  },
  x32: {
    name: 'x32',
    aliases: ['x32', 'SCMP_ARCH_X32'],
    auditArch: AUDIT_ARCH_X86_64,
    wordSize: 64,
    x32Bit: true,
    nrBase: X32_SYSCALL_BIT,
  },
};

const ARCH_BY_ALIAS: ReadonlyMap<string, ArchName> = new Map(
  ARCH_NAMES.flatMap((arch) => ARCHES[arch].aliases.map((alias) => [alias.toLowerCase(), arch] as const)),
);

/**
 * Reads an architecture name as users write it (`x86_64`, `amd64`, `SCMP_ARCH_X86`, `i686`, `x32`, …),
 * case-insensitively. Throws an Error listing the accepted names otherwise.
 */
export function parseArch(text: string): ArchName {
  const arch = ARCH_BY_ALIAS.get(text.trim().toLowerCase());
  if (arch !== undefined) return arch;
  const accepted = ARCH_NAMES.map((a) => `${a} (${ARCHES[a].aliases.slice(1).join(', ')})`).join('; ');
  throw new Error(`unknown architecture "${text}"; expected one of: ${accepted}`);
}

/** Type guard for the canonical names. */
export const isArchName = (text: string): text is ArchName => (ARCH_NAMES as readonly string[]).includes(text);

/**
 * Every ABI libseccomp knows, by the name libseccomp's `arch_def` token gives it (`x86` is `i386` here). The x86
 * three are {@link ArchName}; the others share the same descriptor shape, with their byte order.
 */
export type LinuxArchName =
  | ArchName | 'arm' | 'aarch64' | 'loongarch64' | 'm68k' | 'mips' | 'mipsel' | 'mips64' | 'mipsel64'
  | 'mips64n32' | 'mipsel64n32' | 'parisc' | 'parisc64' | 'ppc' | 'ppc64' | 'ppc64le' | 'riscv64' | 's390'
  | 's390x' | 'sh' | 'sheb';

/** Byte order of `seccomp_data` (and of exported `sock_filter` records) on an ABI. */
export type Endian = 'little' | 'big';

/** The column of libseccomp's syscalls.csv that numbers an ABI's calls (both byte orders share one). */
export type TableColumn = keyof typeof ARCH_TABLE_COLUMNS | 'x86' | 'x86_64' | 'x32';

/** What a filter needs to know about any ABI libseccomp supports. */
export interface LinuxArchDescriptor {
  readonly name: LinuxArchName;
  /** Spellings `parseLinuxArch` accepts (case-insensitive): canonical name, Go/Debian names, `SCMP_ARCH_*`. */
  readonly aliases: readonly string[];
  /** libseccomp's and the OCI runtime spec's token (`SCMP_ARCH_AARCH64`). */
  readonly scmpName: string;
  readonly auditArch: AuditArch;
  readonly endian: Endian;
  /** Bits in one syscall argument as libseccomp compares it (32 for 32-bit ABIs, 64 otherwise). */
  readonly wordSize: 32 | 64;
  /** The csv column numbering its calls. */
  readonly table: TableColumn;
  /**
   * Added to the csv's number to give `seccomp_data.nr`: `X32_SYSCALL_BIT` for x32, 4000/5000/6000 for the MIPS
   * o32/n64/n32 ABIs (the kernel's `__NR_Linux` bases, which the csv leaves out), 0 elsewhere.
   */
  readonly nrBase: number;
  /** `socketcall` and `ipc`, on ABIs whose kernel has these multiplexers (sub-call in `args[0]`). */
  readonly socketcall?: Multiplexer;
  readonly ipc?: Multiplexer;
}

interface ArchSpec {
  readonly aliases: readonly string[];
  readonly scmp: string;
  readonly audit: keyof typeof AUDIT_ARCH_VALUES;
  readonly table: TableColumn;
  readonly wordSize: 32 | 64;
  readonly nrBase?: number;
}

/** MIPS `__NR_Linux` bases: o32 4000, n64 5000, n32 6000. */
const MIPS_O32_BASE = 4000;
const MIPS_N64_BASE = 5000;
const MIPS_N32_BASE = 6000;

const SPECS: Readonly<Record<LinuxArchName, ArchSpec>> = {
  x86_64: { aliases: ['x86_64', 'amd64', 'x86-64'], scmp: 'SCMP_ARCH_X86_64', audit: 'X86_64', table: 'x86_64', wordSize: 64 },
  i386: { aliases: ['i386', 'x86', 'i686', '386'], scmp: 'SCMP_ARCH_X86', audit: 'I386', table: 'x86', wordSize: 32 },
  x32: { aliases: ['x32'], scmp: 'SCMP_ARCH_X32', audit: 'X86_64', table: 'x32', wordSize: 64, nrBase: X32_SYSCALL_BIT },
  arm: { aliases: ['arm', 'armhf', 'armel', 'armv7l'], scmp: 'SCMP_ARCH_ARM', audit: 'ARM', table: 'arm', wordSize: 32 },
  aarch64: { aliases: ['aarch64', 'arm64'], scmp: 'SCMP_ARCH_AARCH64', audit: 'AARCH64', table: 'aarch64', wordSize: 64 },
  loongarch64: { aliases: ['loongarch64', 'loong64'], scmp: 'SCMP_ARCH_LOONGARCH64', audit: 'LOONGARCH64', table: 'loongarch64', wordSize: 64 },
  m68k: { aliases: ['m68k'], scmp: 'SCMP_ARCH_M68K', audit: 'M68K', table: 'm68k', wordSize: 32 },
  mips: { aliases: ['mips'], scmp: 'SCMP_ARCH_MIPS', audit: 'MIPS', table: 'mips', wordSize: 32, nrBase: MIPS_O32_BASE },
  mipsel: { aliases: ['mipsel', 'mipsle'], scmp: 'SCMP_ARCH_MIPSEL', audit: 'MIPSEL', table: 'mips', wordSize: 32, nrBase: MIPS_O32_BASE },
  mips64: { aliases: ['mips64'], scmp: 'SCMP_ARCH_MIPS64', audit: 'MIPS64', table: 'mips64', wordSize: 64, nrBase: MIPS_N64_BASE },
  mipsel64: { aliases: ['mipsel64', 'mips64el', 'mips64le'], scmp: 'SCMP_ARCH_MIPSEL64', audit: 'MIPSEL64', table: 'mips64', wordSize: 64, nrBase: MIPS_N64_BASE },
  mips64n32: { aliases: ['mips64n32'], scmp: 'SCMP_ARCH_MIPS64N32', audit: 'MIPS64N32', table: 'mips64n32', wordSize: 32, nrBase: MIPS_N32_BASE },
  mipsel64n32: { aliases: ['mipsel64n32', 'mips64n32el'], scmp: 'SCMP_ARCH_MIPSEL64N32', audit: 'MIPSEL64N32', table: 'mips64n32', wordSize: 32, nrBase: MIPS_N32_BASE },
  parisc: { aliases: ['parisc', 'hppa'], scmp: 'SCMP_ARCH_PARISC', audit: 'PARISC', table: 'parisc', wordSize: 32 },
  parisc64: { aliases: ['parisc64', 'hppa64'], scmp: 'SCMP_ARCH_PARISC64', audit: 'PARISC64', table: 'parisc64', wordSize: 64 },
  ppc: { aliases: ['ppc', 'powerpc'], scmp: 'SCMP_ARCH_PPC', audit: 'PPC', table: 'ppc', wordSize: 32 },
  ppc64: { aliases: ['ppc64', 'powerpc64'], scmp: 'SCMP_ARCH_PPC64', audit: 'PPC64', table: 'ppc64', wordSize: 64 },
  ppc64le: { aliases: ['ppc64le', 'ppc64el', 'powerpc64le'], scmp: 'SCMP_ARCH_PPC64LE', audit: 'PPC64LE', table: 'ppc64', wordSize: 64 },
  riscv64: { aliases: ['riscv64'], scmp: 'SCMP_ARCH_RISCV64', audit: 'RISCV64', table: 'riscv64', wordSize: 64 },
  s390: { aliases: ['s390'], scmp: 'SCMP_ARCH_S390', audit: 'S390', table: 's390', wordSize: 32 },
  s390x: { aliases: ['s390x'], scmp: 'SCMP_ARCH_S390X', audit: 'S390X', table: 's390x', wordSize: 64 },
  sh: { aliases: ['sh', 'shel', 'sh4'], scmp: 'SCMP_ARCH_SH', audit: 'SHEL', table: 'sh', wordSize: 32 },
  sheb: { aliases: ['sheb', 'sh4eb'], scmp: 'SCMP_ARCH_SHEB', audit: 'SH', table: 'sh', wordSize: 32 },
};

/** Every ABI, x86 first, then as libseccomp's csv orders the columns. */
export const LINUX_ARCH_NAMES: readonly LinuxArchName[] = Object.keys(SPECS) as LinuxArchName[];

/** `__AUDIT_ARCH_LE`: set in the audit arch value of every little-endian ABI. */
export const AUDIT_ARCH_LE = 0x40000000;

/** The csv's names in order, split once: the descriptors below look up two names on every ABI at load. */
let tableNames: readonly string[] | undefined;

/** The number of `name` in a csv column (without the ABI's base), or undefined. */
function columnNumber(table: TableColumn, name: string): number | undefined {
  if (table === 'x86' || table === 'x86_64' || table === 'x32') return undefined;
  const index = (tableNames ??= ARCH_TABLE_NAMES.split(' ')).indexOf(name);
  if (index < 0) return undefined;
  // The index-th cell, found without splitting the whole column (this runs for every command, at start).
  const column = ARCH_TABLE_COLUMNS[table];
  let start = 0;
  for (let i = 0; i < index; i++) {
    start = column.indexOf(',', start) + 1;
    if (start === 0) return undefined;
  }
  const end = column.indexOf(',', start);
  const cell = column.slice(start, end < 0 ? undefined : end);
  return cell === '' ? undefined : Number(cell.split('@')[0]);
}

function multiplexer(spec: ArchSpec, name: string, calls: Readonly<Record<string, number>>): Multiplexer | undefined {
  const nr = columnNumber(spec.table, name);
  return nr === undefined ? undefined : { nr: asSyscallNr(nr + (spec.nrBase ?? 0)), calls };
}

/** Descriptors of every ABI, keyed by canonical name. */
export const LINUX_ARCHES: Readonly<Record<LinuxArchName, LinuxArchDescriptor>> = Object.fromEntries(
  LINUX_ARCH_NAMES.map((name): [LinuxArchName, LinuxArchDescriptor] => {
    const spec = SPECS[name];
    const x86 = name === 'x86_64' || name === 'i386' || name === 'x32' ? ARCHES[name] : undefined;
    const socketcall = x86 ? x86.socketcall : multiplexer(spec, 'socketcall', SOCKETCALL_CALLS);
    const ipc = x86 ? x86.ipc : multiplexer(spec, 'ipc', IPC_CALLS);
    const auditArch = asAuditArch(AUDIT_ARCH_VALUES[spec.audit]);
    return [name, Object.freeze({
      name, aliases: [name, ...spec.aliases.filter((a) => a !== name), spec.scmp], scmpName: spec.scmp, auditArch,
      endian: (auditArch & AUDIT_ARCH_LE) !== 0 ? 'little' : 'big', wordSize: spec.wordSize, table: spec.table,
      nrBase: spec.nrBase ?? 0, ...(socketcall ? { socketcall } : {}), ...(ipc ? { ipc } : {}),
    } satisfies LinuxArchDescriptor)];
  }),
) as Record<LinuxArchName, LinuxArchDescriptor>;

const LINUX_ARCH_BY_ALIAS: ReadonlyMap<string, LinuxArchName> = new Map(
  LINUX_ARCH_NAMES.flatMap((arch) => LINUX_ARCHES[arch].aliases.map((alias) => [alias.toLowerCase(), arch] as const)),
);

/**
 * Reads any ABI name as users write it: canonical (`aarch64`), Go/Debian (`arm64`, `ppc64le`, `386`), or
 * libseccomp/OCI (`SCMP_ARCH_AARCH64`), case-insensitively. Throws an Error listing the accepted names otherwise.
 */
export function parseLinuxArch(text: string): LinuxArchName {
  const arch = LINUX_ARCH_BY_ALIAS.get(text.trim().toLowerCase());
  if (arch !== undefined) return arch;
  throw new Error(`unknown architecture ${JSON.stringify(text)}; expected one of: ${LINUX_ARCH_NAMES.join(', ')} ` +
    '(or a Go/Debian name such as arm64, or SCMP_ARCH_*)');
}

/** Type guard for the canonical names of every ABI. */
export const isLinuxArchName = (text: string): text is LinuxArchName => Object.hasOwn(SPECS, text);

/** The ABIs whose `seccomp_data.arch` is `auditArch` (two for x86_64: x86_64 and x32). */
export function archesOfAuditArch(auditArch: number): LinuxArchName[] {
  return LINUX_ARCH_NAMES.filter((a) => LINUX_ARCHES[a].auditArch === auditArch >>> 0);
}
