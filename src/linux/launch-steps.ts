/**
 * What the launcher does between being spawned and becoming CMD, one small step each, so that further steps
 * (a user namespace, say) can be put in between. Everything runs on the launcher's main thread: a filter
 * installed without TSYNC covers only that thread, which is the one that execs.
 */
import { constants } from 'node:os';
import type { Libc, SockFprog } from './ffi.js';

/** What the launcher is asked to do; passed from the parent process as JSON plus the filters. */
export interface LaunchPlan {
  /** CMD's path, already resolved through PATH. */
  readonly file: string;
  /** CMD's argv (argv[0] as the user typed it). */
  readonly argv: readonly string[];
  /** Filters in installation order, each as `struct sock_filter[]` bytes in the host's order. */
  readonly filters: readonly Uint8Array[];
  /** Install the last filter with SECCOMP_FILTER_FLAG_NEW_LISTENER (a supervisor takes the listener). */
  readonly listener: boolean;
  /** Descriptors above 2 that CMD inherits (the parent put them at the same numbers). */
  readonly passFds: readonly number[];
}

/** A step failed: the launcher prints `message` and exits with `exitCode` (125 setup, 126 exec failed). */
export class LaunchError extends Error {
  constructor(message: string, readonly exitCode: number) {
    super(message);
    this.name = 'LaunchError';
  }
}

const F_GETFD = 1;
const F_SETFD = 2;
const FD_CLOEXEC = 1;
const PR_SET_NO_NEW_PRIVS = 38;
const SECCOMP_FILTER_FLAG_NEW_LISTENER = 8;

/** The errno's symbolic name (EPERM), for messages. */
export function errnoName(errno: number): string {
  const entry = Object.entries(constants.errno).find(([, value]) => value === errno);
  return entry?.[0] ?? `errno ${errno}`;
}

/** Node marks inherited descriptors close-on-exec; CMD must get 0-2 and those the parent passed. */
export function keepInheritedFds(libc: Libc, plan: LaunchPlan): void {
  for (const fd of [0, 1, 2, ...plan.passFds]) {
    const flags = libc.fcntl(fd, F_GETFD);
    if (flags < 0) continue; // not open: CMD gets it closed, as it was given
    if ((flags & FD_CLOEXEC) !== 0 && libc.fcntlInt(fd, F_SETFD, flags & ~FD_CLOEXEC) < 0) {
      throw new LaunchError(`cannot pass fd ${fd} to the command (${errnoName(libc.errno())})`, 125);
    }
  }
}

/** PR_SET_NO_NEW_PRIVS: what lets an unprivileged process install a filter. */
export function setNoNewPrivs(libc: Libc): void {
  if (libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) !== 0) {
    throw new LaunchError(`prctl(PR_SET_NO_NEW_PRIVS) failed (${errnoName(libc.errno())})`, 125);
  }
}

/**
 * What the last two steps pass to the kernel, built while no filter is in force: once the first filter is
 * installed, the launcher's own thread is filtered too, and any work Node does there (V8 taking a new heap page
 * with mmap and madvise, a futex on a lock its helper threads hold) is a call the filter judges — one a recorded
 * profile never saw, so the command would die before it starts, or only sometimes, as heap and threads allow.
 */
export interface PreparedLaunch {
  readonly filters: readonly { readonly flags: number; readonly fprog: SockFprog }[];
  readonly file: string;
  /** CMD's argv and environment as execve takes them (ending with null). */
  readonly argv: readonly (string | null)[];
  readonly envp: readonly (string | null)[];
}

/** Builds every argument of the filter installations and of execve, so that nothing is allocated between them. */
export function prepareLaunch(plan: LaunchPlan, env: NodeJS.ProcessEnv): PreparedLaunch {
  const envp = Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined).map(([k, v]) => `${k}=${v}`);
  return {
    filters: plan.filters.map((filter, i) => ({
      flags: plan.listener && i === plan.filters.length - 1 ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0,
      fprog: { len: filter.length / 8, filter },
    })),
    file: plan.file,
    argv: [...plan.argv, null],
    envp: [...envp, null],
  };
}

/**
 * Installs the filters in order (the kernel runs every one on each call and the strictest verdict wins) and
 * becomes CMD. Between the first installation and execve only the FFI calls themselves run: no allocation, no
 * message built; errors are described once the calls have failed. Returns only on failure, as a LaunchError.
 */
export function installFiltersAndExec(libc: Libc, plan: LaunchPlan, launch: PreparedLaunch): never {
  const { filters } = launch;
  let refused = -1;
  for (let i = 0; i < filters.length; i++) {
    if (libc.seccompFilter(filters[i]!.flags, filters[i]!.fprog) < 0) {
      refused = i;
      break;
    }
  }
  if (refused < 0) libc.execve(launch.file, launch.argv, launch.envp);
  const errno = errnoName(libc.errno());
  if (refused >= 0) {
    const why = errno === 'EINVAL' ? ': the kernel rejects the program or a flag' : errno === 'EACCES' ? ': no_new_privs is not set' : '';
    throw new LaunchError(`seccomp(SECCOMP_SET_MODE_FILTER) refused filter ${refused + 1} of ${filters.length} (${errno}${why})`, 125);
  }
  const hint = errno === 'EPERM' || errno === 'ENOSYS' ? ' (does the filter allow execve?)' : '';
  throw new LaunchError(`${plan.argv[0] ?? plan.file}: cannot execute: ${errno}${hint}`, errno === 'ENOENT' ? 127 : 126);
}
