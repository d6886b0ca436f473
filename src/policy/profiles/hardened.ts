/**
 * The `hardened` profile: the container-hardening baseline.
 *
 * Default ALLOW on x86_64; calls from any other ABI (i386 through `int 0x80`, x32) are killed. The syscalls
 * that reach the kernel's most sensitive state (kernel modules and kexec, raw I/O ports, swap, the clock,
 * `perf_event_open`, `kcmp`, ...) return ERRNO(EPERM). `socket()` refuses the legacy address families with
 * ERRNO(EAFNOSUPPORT): AF_AX25 (3) to AF_X25 (9), AF_ROSE (11) to AF_KEY (15), and every family above
 * AF_NETLINK (16). The family is an `int`, so only the low 32 bits of the argument are compared.
 */
import { arg32 } from '../builder.js';
import type { Policy } from '../types.js';

/** The syscalls `hardened` refuses with ERRNO(EPERM). */
export const HARDENED_EPERM_SYSCALLS: readonly string[] = [
  'kexec_load', 'open_by_handle_at', 'init_module', 'finit_module', 'delete_module', 'iopl', 'ioperm',
  'swapon', 'swapoff', 'sysfs', '_sysctl', 'adjtimex', 'clock_adjtime', 'lookup_dcookie', 'perf_event_open',
  'fanotify_init', 'kcmp',
];

const EPERM = 1;
const EAFNOSUPPORT = 97;

export function hardenedProfile(): Policy {
  const refuseFamilies = { kind: 'ERRNO', data: EAFNOSUPPORT } as const;
  return {
    defaultAction: { kind: 'ALLOW' },
    arches: ['x86_64'],
    badArchAction: { kind: 'KILL_PROCESS' },
    rules: [
      { syscalls: HARDENED_EPERM_SYSCALLS, action: { kind: 'ERRNO', data: EPERM }, comment: 'kernel state no container needs' },
      {
        syscalls: ['socket'], action: refuseFamilies,
        conditions: [arg32(0).ge(3), arg32(0).le(9)], comment: 'AF_AX25 .. AF_X25',
      },
      {
        syscalls: ['socket'], action: refuseFamilies,
        conditions: [arg32(0).ge(11), arg32(0).le(15)], comment: 'AF_ROSE .. AF_KEY',
      },
      {
        syscalls: ['socket'], action: refuseFamilies,
        conditions: [arg32(0).gt(16)], comment: 'every family above AF_NETLINK',
      },
    ],
  };
}
