/**
 * Symbolic constants shared by the disassembler and the assembler: architecture names, syscall names through
 * an architecture, and return actions. Every name printed here reads back to the same number.
 */
import {
  AUDIT_ARCH_I386, AUDIT_ARCH_X86_64, LINUX_ARCHES, LINUX_ARCH_NAMES, X32_SYSCALL_BIT, archesOfAuditArch, decodeAction, encodeAction, formatAction, lookupSyscall,
  parseAction, quoteName, syscallName, type ArchName, type LinuxArchName,
} from '../syscalls/index.js';

/** `AUDIT_ARCH_*` values by the name the disassembler prints (`ARCH_X86_64`). */
export const ARCH_CONSTANTS: ReadonlyMap<string, number> = new Map([
  ['ARCH_X86_64', AUDIT_ARCH_X86_64],
  ['ARCH_I386', AUDIT_ARCH_I386],
  ['ARCH_AARCH64', 0xc00000b7],
  ['ARCH_ARM', 0x40000028],
  ['ARCH_RISCV64', 0xc00000f3],
  ['ARCH_PPC64LE', 0xc0000015],
  ['ARCH_PPC64', 0x80000015],
  ['ARCH_S390X', 0x80000016],
  ['ARCH_MIPS', 0x00000008],
  ['ARCH_MIPSEL', 0x40000008],
  ['ARCH_MIPS64', 0x80000008],
  ['ARCH_MIPSEL64', 0xc0000008],
  // The other ABIs libseccomp knows, by their canonical names.
  ...LINUX_ARCH_NAMES.filter((a) => a !== 'x32')
    .map((a): [string, number] => [`ARCH_${a.toUpperCase()}`, LINUX_ARCHES[a].auditArch])
    .filter(([name, value]) => !['X86_64', 'I386', 'AARCH64', 'ARM', 'RISCV64', 'PPC64LE', 'PPC64', 'S390X', 'MIPS', 'MIPSEL', 'MIPS64', 'MIPSEL64']
      .some((known) => name === `ARCH_${known}` || value === 0)),
]);

const ARCH_BY_VALUE: ReadonlyMap<number, string> = new Map([...ARCH_CONSTANTS].map(([n, v]) => [v >>> 0, n]));

/** `ARCH_X86_64` for 0xc000003e, or undefined. */
export const archConstantName = (value: number): string | undefined => ARCH_BY_VALUE.get(value >>> 0);

/** The value of `ARCH_X86_64` or `AUDIT_ARCH_X86_64` (any case), or undefined. */
export function archConstantValue(name: string): number | undefined {
  const upper = name.toUpperCase();
  return ARCH_CONSTANTS.get(upper.startsWith('AUDIT_') ? upper.slice(6) : upper);
}

/** The syscall tables that apply once `seccomp_data.arch` is known to equal `auditArch`. */
function abiFor(auditArch: number, nr: number): { abi: LinuxArchName; qualified: boolean } | undefined {
  if (auditArch === AUDIT_ARCH_I386) return { abi: 'i386', qualified: false };
  if (auditArch === AUDIT_ARCH_X86_64) {
    return (nr & X32_SYSCALL_BIT) !== 0 ? { abi: 'x32', qualified: true } : { abi: 'x86_64', qualified: false };
  }
  const abi = archesOfAuditArch(auditArch)[0];
  return abi === undefined ? undefined : { abi, qualified: false };
}

/**
 * The name of syscall `nr` once the architecture is `auditArch`: plain (`openat`) for the native table,
 * qualified (`x32:openat`) for x32 numbers under x86_64; undefined if there is none.
 */
export function syscallNameIn(auditArch: number, nr: number): string | undefined {
  const abi = abiFor(auditArch, nr >>> 0);
  if (abi === undefined) return undefined;
  const name = syscallName(abi.abi, nr >>> 0);
  if (name === undefined || lookupSyscall(abi.abi, name)?.nr !== nr >>> 0) return undefined;
  return abi.qualified ? `${abi.abi}:${name}` : name;
}

const ABIS: readonly ArchName[] = ['x86_64', 'i386', 'x32'];

/**
 * Reads a syscall name: `x86_64:read`, `i386:read`, `x32:read` anywhere, a plain `read` only when the
 * architecture is known (`auditArch`). Returns the number or a reason it cannot.
 */
export function syscallNumberIn(auditArch: number | undefined, name: string): number | string {
  const colon = name.indexOf(':');
  if (colon >= 0) {
    const abi = name.slice(0, colon) as ArchName;
    if (!ABIS.includes(abi)) return `unknown ABI ${quoteName(name.slice(0, colon))} (x86_64, i386, x32)`;
    const entry = lookupSyscall(abi, name.slice(colon + 1));
    return entry === undefined ? `unknown syscall ${quoteName(name.slice(colon + 1))} on ${abi}` : entry.nr;
  }
  if (auditArch === undefined) {
    const shown = quoteName(name);
    const bare = shown.startsWith('"') && shown.endsWith('"') ? name : 'NAME';
    return `syscall name ${shown} needs a known architecture on every path to here; write x86_64:${bare}, i386:${bare} or a number`;
  }
  const abi = auditArch === AUDIT_ARCH_X86_64 ? 'x86_64' : archesOfAuditArch(auditArch)[0];
  if (abi === undefined) return `no syscall table for architecture 0x${auditArch.toString(16)}`;
  const entry = lookupSyscall(abi, name);
  return entry === undefined ? `unknown syscall ${quoteName(name)} on ${abi}` : entry.nr;
}

/** `ALLOW`, `ERRNO(EPERM)`, …, or undefined when the value has no text that reads back to it exactly. */
export function actionName(value: number): string | undefined {
  const text = formatAction(decodeAction(value >>> 0));
  try {
    return encodeAction(parseAction(text)) === value >>> 0 ? text : undefined;
  } catch {
    return undefined;
  }
}

/** The return value an action text stands for, or an error message. */
export function actionValue(text: string): number | string {
  try {
    return encodeAction(parseAction(text));
  } catch (err) {
    return (err as Error).message;
  }
}
