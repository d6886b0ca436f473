/**
 * The profiles the performance benchmark compiles: the built-in ones, Docker's default as Docker renders it
 * for other containers (extra capabilities, a 32-bit host), and policies modelled on two other deployed
 * filters: a desktop-sandbox denylist (default allow, a list of dangerous calls and argument checks, in the
 * manner of Flatpak's) and a VMM-thread allowlist (default kill, a short list with many argument values, in
 * the manner of Firecracker's).
 */
import { DOCKER_DEFAULT_CAPABILITIES, importDockerDefault } from '../src/policy/oci/index.js';
import { getProfile, listProfiles } from '../src/policy/profiles/index.js';
import type { ArgCondition, Policy, Rule } from '../src/policy/types.js';
import type { Action } from '../src/syscalls/actions.js';
import type { RangeDispatchOptions } from '../src/compiler/dispatch/index.js';

export interface BenchProfile {
  readonly name: string;
  readonly description: string;
  readonly policy: Policy;
  /** Dispatch options for seccomp-ts other than the defaults (a variant of another profile's row). */
  readonly dispatch?: RangeDispatchOptions;
}

const ALLOW: Action = { kind: 'ALLOW' };
const EPERM: Action = { kind: 'ERRNO', data: 1 };
const EAFNOSUPPORT: Action = { kind: 'ERRNO', data: 97 };
const eq = (arg: 0 | 1 | 2 | 3 | 4 | 5, value: number): ArgCondition => ({ arg, op: 'eq', value: BigInt(value) });
const anyOf = (syscall: string, arg: 0 | 1 | 2 | 3, values: readonly number[], action: Action = ALLOW): Rule[] =>
  values.map((v) => ({ syscalls: [syscall], action, conditions: [eq(arg, v)] }));

/** Default allow; dangerous calls and a few argument patterns refused. */
function desktopSandbox(): Policy {
  const refused = ['syslog', 'uselib', 'acct', 'quotactl', 'add_key', 'keyctl', 'request_key', 'move_pages', 'mbind',
    'get_mempolicy', 'set_mempolicy', 'migrate_pages', 'unshare', 'setns', 'mount', 'umount2', 'pivot_root', 'chroot',
    'perf_event_open', 'ptrace', 'process_vm_readv', 'process_vm_writev', 'kexec_load', 'kexec_file_load',
    'init_module', 'finit_module', 'delete_module', 'bpf', 'userfaultfd', 'open_by_handle_at', 'name_to_handle_at',
    'fsopen', 'fsmount', 'fsconfig', 'fspick', 'move_mount', 'open_tree', 'clone3'];
  return {
    defaultAction: ALLOW,
    arches: ['x86_64', 'i386'],
    badArchAction: { kind: 'KILL_PROCESS' },
    rules: [
      { syscalls: refused, action: EPERM },
      // TIOCSTI pushes input into the terminal: refused whatever else the call carries.
      { syscalls: ['ioctl'], action: EPERM, conditions: [{ arg: 1, op: 'masked_eq', mask: 0xffffffffn, value: 0x5412n }] },
      { syscalls: ['clone'], action: EPERM, conditions: [{ arg: 0, op: 'masked_eq', mask: 0x10000000n, value: 0x10000000n }] },
      // Address families other than unix, inet, inet6, netlink.
      { syscalls: ['socket'], action: EAFNOSUPPORT, conditions: [eq(0, 0)] },
      { syscalls: ['socket'], action: EAFNOSUPPORT, conditions: [{ arg: 0, op: 'ge', value: 3n }, { arg: 0, op: 'le', value: 9n }] },
      { syscalls: ['socket'], action: EAFNOSUPPORT, conditions: [{ arg: 0, op: 'ge', value: 11n }, { arg: 0, op: 'le', value: 15n }] },
      { syscalls: ['socket'], action: EAFNOSUPPORT, conditions: [{ arg: 0, op: 'ge', value: 17n }] },
    ],
  };
}

/** Default kill; the calls a VMM's vCPU and device threads make, with their argument values. */
function vmmThreads(): Policy {
  const plain = ['read', 'write', 'readv', 'writev', 'close', 'lseek', 'epoll_wait', 'epoll_pwait', 'epoll_ctl',
    'exit', 'exit_group', 'brk', 'munmap', 'mremap', 'rt_sigreturn', 'rt_sigprocmask', 'sched_yield', 'timerfd_settime',
    'timerfd_gettime', 'clock_gettime', 'accept4', 'recvfrom', 'recvmsg', 'sendmsg', 'pread64', 'pwrite64', 'fstat',
    'newfstatat', 'statx', 'getrandom', 'io_uring_enter', 'eventfd2', 'tgkill', 'gettid'];
  const KVM = [0xae80, 0xc008ae88, 0x4008ae89, 0x4040ae9f, 0x8040ae9f, 0xae03, 0xc004ae02, 0x4004ae86, 0x8090ae81,
    0x4090ae82, 0x8138ae83, 0x4138ae84, 0x8400ae8e, 0x4400ae8f, 0xc018ae85, 0x4020aea5, 0x8080aea1, 0x4080aea2,
    0xc008aeba, 0x4048ae9b, 0x8048ae9c, 0x5421, 0x5401, 0x5413, 0x400454ca, 0x400454d0, 0x400454d8, 0x800454cf];
  const FUTEX = [0, 1, 128, 129, 137, 393, 9];
  return {
    defaultAction: { kind: 'KILL_PROCESS' },
    arches: ['x86_64'],
    badArchAction: { kind: 'KILL_PROCESS' },
    rules: [
      { syscalls: plain, action: ALLOW },
      ...anyOf('ioctl', 1, KVM),
      ...anyOf('futex', 1, FUTEX),
      ...anyOf('fcntl', 1, [1, 2, 3, 4]),
      ...anyOf('madvise', 2, [4, 8, 14]),
      ...anyOf('mmap', 3, [0x22, 0x4022, 0x1]),
      ...anyOf('socket', 0, [1]),
      ...anyOf('mprotect', 2, [0, 1, 3]),
      { syscalls: ['openat'], action: { kind: 'ERRNO', data: 13 } },
    ],
  };
}

/** Every profile of the benchmark, in report order. */
export function benchProfiles(): BenchProfile[] {
  const builtIn = listProfiles().map((p) => ({ name: p.name, description: p.description, policy: getProfile(p.name) }));
  const docker = (caps: readonly string[], target: 'amd64' | '386') => importDockerDefault({ capabilities: caps, target }).policy;
  const dockerDefault = builtIn.find((p) => p.name === 'docker-default');
  return [
    ...builtIn,
    ...(dockerDefault === undefined ? [] : [{
      ...dockerDefault,
      name: 'docker-default+holes',
      description: 'docker-default compiled with rangeDispatch({ freeHoles: true }): numbers naming no syscall join a neighbouring run',
      dispatch: { freeHoles: true },
    }]),
    {
      name: 'docker-cap-sys-admin',
      description: 'Docker default as rendered for `--cap-add SYS_ADMIN --cap-add SYS_PTRACE`',
      policy: docker([...DOCKER_DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN', 'CAP_SYS_PTRACE'], 'amd64'),
    },
    { name: 'docker-386-host', description: 'Docker default as rendered on a 32-bit x86 host', policy: docker(DOCKER_DEFAULT_CAPABILITIES, '386') },
    { name: 'desktop-sandbox', description: 'denylist in the manner of Flatpak: default allow, dangerous calls and TIOCSTI/CLONE_NEWUSER/rare families refused', policy: desktopSandbox() },
    { name: 'vmm-threads', description: 'allowlist in the manner of Firecracker: default kill, KVM ioctls, futex ops and other argument values', policy: vmmThreads() },
  ];
}
