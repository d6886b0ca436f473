/**
 * The strings of the OCI runtime-spec and Docker seccomp formats, and what they mean to seccomp-ts:
 * `SCMP_ACT_*` actions, `SCMP_CMP_*` operators, `SCMP_ARCH_*` architectures, Go architecture names used by
 * Docker's `includes.arches`, filter flags, and Linux capability names.
 */
import { LINUX_ARCHES, LINUX_ARCH_NAMES, type ArchName, type LinuxArchName } from '../../syscalls/arch.js';
import type { CompareOp } from '../types.js';

/** EPERM: the errno runc uses for `SCMP_ACT_ERRNO` and `SCMP_ACT_TRACE` when no `errnoRet` is given. */
export const DEFAULT_ERRNO_RET = 1;

/** Every action string the runtime-spec defines. */
export const OCI_ACTIONS = [
  'SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_TRAP', 'SCMP_ACT_ERRNO',
  'SCMP_ACT_TRACE', 'SCMP_ACT_ALLOW', 'SCMP_ACT_LOG', 'SCMP_ACT_NOTIFY',
] as const;
export type OciAction = (typeof OCI_ACTIONS)[number];

/** Actions whose return value carries `errnoRet` (runc: ERRNO and TRACE). */
export const ACTIONS_WITH_ERRNO: ReadonlySet<OciAction> = new Set(['SCMP_ACT_ERRNO', 'SCMP_ACT_TRACE']);

/** Operator strings and the policy operator each becomes. */
export const OCI_OPERATORS: Readonly<Record<string, CompareOp | 'masked_eq'>> = {
  SCMP_CMP_NE: 'ne',
  SCMP_CMP_LT: 'lt',
  SCMP_CMP_LE: 'le',
  SCMP_CMP_EQ: 'eq',
  SCMP_CMP_GE: 'ge',
  SCMP_CMP_GT: 'gt',
  SCMP_CMP_MASKED_EQ: 'masked_eq',
};
export const OPERATOR_STRINGS: Readonly<Record<CompareOp | 'masked_eq', string>> = {
  ne: 'SCMP_CMP_NE', lt: 'SCMP_CMP_LT', le: 'SCMP_CMP_LE', eq: 'SCMP_CMP_EQ', ge: 'SCMP_CMP_GE', gt: 'SCMP_CMP_GT',
  masked_eq: 'SCMP_CMP_MASKED_EQ',
};

/** Every architecture string the runtime-spec and libseccomp define. */
export const SCMP_ARCHES = [
  'SCMP_ARCH_X86', 'SCMP_ARCH_X86_64', 'SCMP_ARCH_X32', 'SCMP_ARCH_ARM', 'SCMP_ARCH_AARCH64',
  'SCMP_ARCH_LOONGARCH64', 'SCMP_ARCH_M68K', 'SCMP_ARCH_MIPS', 'SCMP_ARCH_MIPS64', 'SCMP_ARCH_MIPS64N32',
  'SCMP_ARCH_MIPSEL', 'SCMP_ARCH_MIPSEL64', 'SCMP_ARCH_MIPSEL64N32', 'SCMP_ARCH_PPC', 'SCMP_ARCH_PPC64',
  'SCMP_ARCH_PPC64LE', 'SCMP_ARCH_S390', 'SCMP_ARCH_S390X', 'SCMP_ARCH_SH', 'SCMP_ARCH_SHEB',
  'SCMP_ARCH_PARISC', 'SCMP_ARCH_PARISC64', 'SCMP_ARCH_RISCV64',
] as const;

/** Every ABI, by its libseccomp name. */
export const SCMP_ARCH_TO_ABI: Readonly<Record<string, LinuxArchName>> = Object.fromEntries(
  LINUX_ARCH_NAMES.map((a) => [LINUX_ARCHES[a].scmpName, a]),
);
export const ABI_TO_SCMP_ARCH: Readonly<Record<ArchName, string>> = {
  x86_64: 'SCMP_ARCH_X86_64',
  i386: 'SCMP_ARCH_X86',
  x32: 'SCMP_ARCH_X32',
};

/**
 * Targets a profile can be resolved for, named as Docker names them (Go's `GOARCH`): the native ABI, which
 * libseccomp always includes, the libseccomp architecture Docker looks up in `archMap`, and the ABIs a kernel of
 * that machine runs (a listed ABI outside them can never make a call there).
 */
export const TARGETS = {
  amd64: { native: 'x86_64', scmpArch: 'SCMP_ARCH_X86_64', runs: ['x86_64', 'i386', 'x32'] },
  '386': { native: 'i386', scmpArch: 'SCMP_ARCH_X86', runs: ['i386'] },
  arm64: { native: 'aarch64', scmpArch: 'SCMP_ARCH_AARCH64', runs: ['aarch64', 'arm'] },
  arm: { native: 'arm', scmpArch: 'SCMP_ARCH_ARM', runs: ['arm'] },
  ppc64le: { native: 'ppc64le', scmpArch: 'SCMP_ARCH_PPC64LE', runs: ['ppc64le'] },
  ppc64: { native: 'ppc64', scmpArch: 'SCMP_ARCH_PPC64', runs: ['ppc64', 'ppc'] },
  s390x: { native: 's390x', scmpArch: 'SCMP_ARCH_S390X', runs: ['s390x', 's390'] },
  riscv64: { native: 'riscv64', scmpArch: 'SCMP_ARCH_RISCV64', runs: ['riscv64'] },
  loong64: { native: 'loongarch64', scmpArch: 'SCMP_ARCH_LOONGARCH64', runs: ['loongarch64'] },
  mips64: { native: 'mips64', scmpArch: 'SCMP_ARCH_MIPS64', runs: ['mips64', 'mips64n32', 'mips'] },
  mips64le: { native: 'mipsel64', scmpArch: 'SCMP_ARCH_MIPSEL64', runs: ['mipsel64', 'mipsel64n32', 'mipsel'] },
  mips: { native: 'mips', scmpArch: 'SCMP_ARCH_MIPS', runs: ['mips'] },
  mipsle: { native: 'mipsel', scmpArch: 'SCMP_ARCH_MIPSEL', runs: ['mipsel'] },
} as const satisfies Record<string, { native: LinuxArchName; scmpArch: string; runs: readonly LinuxArchName[] }>;
/** An architecture a Docker/OCI profile can be imported for (Go's `GOARCH` names). */
export type TargetArch = keyof typeof TARGETS;

/** Filter flags of the runtime-spec. */
export const SECCOMP_FLAGS = [
  'SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW',
  'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV',
] as const;
/** A `seccomp()` filter flag a Docker/OCI profile may name. */
export type SeccompFlag = (typeof SECCOMP_FLAGS)[number];

/** Every Linux capability (include/uapi/linux/capability.h), as Docker spells them. */
export const CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST',
  'CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO',
  'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE',
  'CAP_SYS_RESOURCE', 'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE',
  'CAP_AUDIT_CONTROL', 'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
] as const;

/** The capabilities Docker grants a container by default (its bounding set without `--cap-add`). */
export const DOCKER_DEFAULT_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL',
  'CAP_AUDIT_WRITE',
];
