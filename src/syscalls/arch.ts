/**
 * The three x86 ABIs seccomp-ts targets, with their audit identifiers.
 */

/** A syscall number as a filter sees it in `seccomp_data.nr` (for x32: including the x32 bit). */
export type SyscallNr = number & { readonly __brand: 'SyscallNr' };
/** An `AUDIT_ARCH_*` value as a filter sees it in `seccomp_data.arch`. */
export type AuditArch = number & { readonly __brand: 'AuditArch' };

export type ArchName = 'x86_64' | 'i386' | 'x32';
export const ARCH_NAMES: readonly ArchName[] = ['x86_64', 'i386', 'x32'];

export const AUDIT_ARCH_X86_64 = 0xc000003e as AuditArch;
export const AUDIT_ARCH_I386 = 0x40000003 as AuditArch;
/** `__X32_SYSCALL_BIT`: x32 calls arrive with arch x86_64 and this bit set in `nr`. */
export const X32_SYSCALL_BIT = 0x40000000;

/**
 * `nr` -1 as `seccomp_data` holds it: what a tracer (strace --inject, a debugger) writes to skip a call. On the
 * x86_64 audit arch it carries the x32 bit; without x32 in a filter, libseccomp gives it the default action.
 */
export const SKIPPED_SYSCALL_NR = 0xffffffff;

export const asSyscallNr = (n: number): SyscallNr => (n >>> 0) as SyscallNr;
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
export const I386_IPC_NR = 117 as SyscallNr;

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
