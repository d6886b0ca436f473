/**
 * The few C library calls the kernel side needs, through koffi (an optional dependency). Loading is lazy: the
 * package works without koffi until a command needs the kernel, and then the error says what is missing.
 */
import { errorMessage } from '../util/error-message.js';
import { createRequire } from 'node:module';

/** Why the kernel side cannot run here. */
export class LinuxUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LinuxUnavailableError';
  }
}

/** The typed calls, each returning the C result (-1 with `errno()` set on failure). */
export interface Libc {
  fcntl(fd: number, cmd: number): number;
  fcntlInt(fd: number, cmd: number, arg: number): number;
  prctl(option: number, a2: number, a3: number, a4: number, a5: number): number;
  /** seccomp(SECCOMP_SET_MODE_FILTER, flags, &fprog). */
  seccompFilter(flags: number, fprog: SockFprog): number;
  /** execve(2); `argv` and `envp` end with null. */
  execve(path: string, argv: readonly (string | null)[], envp: readonly (string | null)[]): number;
  /** One write(2) of `bytes`: the count written, or -1. */
  write(fd: number, bytes: Uint8Array): number;
  /** _exit(2): ends the process at once, with none of Node's exit work (no further calls but exit_group). */
  exitNow(code: number): never;
  pidfdOpen(pid: number): number;
  pidfdGetfd(pidfd: number, targetFd: number): number;
  ioctl(fd: number, request: number, arg: Uint8Array): number;
  poll(fds: Uint8Array, count: number, timeoutMs: number): number;
  close(fd: number): number;
  socket(domain: number, type: number, protocol: number): number;
  bind(fd: number, address: Uint8Array, length: number): number;
  /** recv(2) into `buffer`; the byte count, or -1. */
  recv(fd: number, buffer: Uint8Array, length: number, flags: number): number;
  setsockoptInt(fd: number, level: number, name: number, value: number): number;
  errno(): number;
}

/** `struct sock_fprog`: the instruction count and the `struct sock_filter[]` bytes. */
export interface SockFprog {
  readonly len: number;
  readonly filter: Uint8Array;
}

/** Syscall numbers that differ between the machines koffi ships for (pidfd_* are the same everywhere). */
const SECCOMP_NR: Readonly<Record<string, number>> = { x64: 317, arm64: 277 };
const PIDFD_OPEN_NR = 434;
const PIDFD_GETFD_NR = 438;
const SECCOMP_SET_MODE_FILTER = 1;

let cached: Libc | undefined;

/** Why the kernel side is unavailable on this machine, or undefined when it is available. */
export function linuxUnavailable(): string | undefined {
  try {
    loadLibc();
    return undefined;
  } catch (err) {
    return errorMessage(err);
  }
}

interface Koffi {
  load(path: string): { func(definition: string): (...args: unknown[]) => unknown };
  struct(name: string, def: Record<string, string>): unknown;
  errno(): number;
}

/** Loads koffi and libc once; throws `LinuxUnavailableError` saying why not. */
export function loadLibc(): Libc {
  if (cached !== undefined) return cached;
  if (process.platform !== 'linux') throw new LinuxUnavailableError(`running commands under a filter needs Linux (this is ${process.platform})`);
  const seccompNr = SECCOMP_NR[process.arch];
  if (seccompNr === undefined) throw new LinuxUnavailableError(`running commands under a filter is supported on x64 and arm64 (this is ${process.arch})`);
  let koffi: Koffi;
  try {
    koffi = createRequire(import.meta.url)('koffi') as Koffi;
  } catch (err) {
    const detail = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new LinuxUnavailableError(`the optional dependency koffi is not installed or does not load (${detail}); install it with 'npm install koffi'`);
  }
  const libc = koffi.load('libc.so.6');
  koffi.struct('seccomp_ts_sock_fprog', { len: 'uint16_t', filter: 'void *' });
  const fcntl = libc.func('int fcntl(int fd, int cmd, ...)');
  const prctl = libc.func('int prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)');
  const syscall = libc.func('long syscall(long number, ...)');
  const execve = libc.func('int execve(const char *path, const char **argv, const char **envp)');
  const ioctl = libc.func('int ioctl(int fd, unsigned long request, void *arg)');
  const poll = libc.func('int poll(void *fds, unsigned long count, int timeout)');
  const close = libc.func('int close(int fd)');
  const write = libc.func('long write(int fd, const void *buffer, unsigned long length)');
  const exit = libc.func('void _exit(int status)');
  const socket = libc.func('int socket(int domain, int type, int protocol)');
  const bind = libc.func('int bind(int fd, void *address, unsigned int length)');
  const recv = libc.func('long recv(int fd, void *buffer, unsigned long length, int flags)');
  const setsockopt = libc.func('int setsockopt(int fd, int level, int name, void *value, unsigned int length)');
  cached = {
    fcntl: (fd, cmd) => fcntl(fd, cmd) as number,
    fcntlInt: (fd, cmd, arg) => fcntl(fd, cmd, 'int', arg) as number,
    prctl: (option, a2, a3, a4, a5) => prctl(option, a2, a3, a4, a5) as number,
    seccompFilter: (flags, fprog) => Number(syscall(seccompNr, 'unsigned int', SECCOMP_SET_MODE_FILTER,
      'unsigned int', flags, 'seccomp_ts_sock_fprog *', fprog)),
    execve: (path, argv, envp) => execve(path, argv, envp) as number,
    write: (fd, bytes) => Number(write(fd, bytes, bytes.length)),
    exitNow: (code) => {
      exit(code);
      throw new Error('_exit returned');
    },
    pidfdOpen: (pid) => Number(syscall(PIDFD_OPEN_NR, 'int', pid, 'unsigned int', 0)),
    pidfdGetfd: (pidfd, targetFd) => Number(syscall(PIDFD_GETFD_NR, 'int', pidfd, 'int', targetFd, 'unsigned int', 0)),
    ioctl: (fd, request, arg) => ioctl(fd, request, arg) as number,
    poll: (fds, count, timeoutMs) => poll(fds, count, timeoutMs) as number,
    close: (fd) => close(fd) as number,
    socket: (domain, type, protocol) => socket(domain, type, protocol) as number,
    bind: (fd, address, length) => bind(fd, address, length) as number,
    recv: (fd, buffer, length, flags) => Number(recv(fd, buffer, length, flags)),
    setsockoptInt: (fd, level, name, value) => {
      const box = Buffer.alloc(4);
      box.writeInt32LE(value, 0);
      return setsockopt(fd, level, name, box, 4) as number;
    },
    errno: () => koffi.errno(),
  };
  return cached;
}
