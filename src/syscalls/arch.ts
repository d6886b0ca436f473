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

export const asSyscallNr = (n: number): SyscallNr => (n >>> 0) as SyscallNr;
export const asAuditArch = (n: number): AuditArch => (n >>> 0) as AuditArch;

/** The `seccomp_data.arch` value a call of this ABI carries. */
export function auditArchOf(arch: ArchName): AuditArch {
  return arch === 'i386' ? AUDIT_ARCH_I386 : AUDIT_ARCH_X86_64;
}
