/**
 * The supervisor's side of SECCOMP_RET_USER_NOTIF: taking the listener a child created (it shows in
 * /proc/PID/fd as `anon_inode:seccomp notify`; pidfd_open + pidfd_getfd copy it, with no privilege beyond being
 * allowed to ptrace the child), then receiving each notification and letting the call continue.
 */
import { readdirSync, readlinkSync } from 'node:fs';
import type { Libc } from './ffi.js';
import { errnoName } from './launch-steps.js';

const SECCOMP_IOCTL_NOTIF_RECV = 0xc0502100;
const SECCOMP_IOCTL_NOTIF_SEND = 0xc0182101;
const SECCOMP_USER_NOTIF_FLAG_CONTINUE = 1;
const NOTIF_SIZE = 80;
const RESP_SIZE = 24;
const POLLIN = 0x1;
const POLLERR = 0x8;
const POLLHUP = 0x10;
const ENOENT = 2;
const EINTR = 4;

/** One intercepted call, as `struct seccomp_notif` carries it. */
export interface Notification {
  /** The calling thread's id. */
  readonly pid: number;
  readonly nr: number;
  readonly arch: number;
  readonly args: readonly bigint[];
}

/** The listener's number in `pid`'s descriptor table, if it has one yet. */
export function findListenerFd(pid: number): number | undefined {
  let names: string[];
  try {
    names = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return undefined;
  }
  for (const name of names) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${name}`) === 'anon_inode:seccomp notify') return Number(name);
    } catch {
      // closed meanwhile
    }
  }
  return undefined;
}

/** Copies descriptor `fd` of process `pid` into this process. */
export function copyFd(libc: Libc, pid: number, fd: number): number {
  const pidfd = libc.pidfdOpen(pid);
  if (pidfd < 0) throw new Error(`pidfd_open(${pid}) failed (${errnoName(libc.errno())})`);
  try {
    const copy = libc.pidfdGetfd(pidfd, fd);
    if (copy < 0) throw new Error(`pidfd_getfd of the listener failed (${errnoName(libc.errno())}; Linux 5.6+ and ptrace access to the child are needed)`);
    return copy;
  } finally {
    libc.close(pidfd);
  }
}

/** What one poll of the listener found. */
export type PollResult = 'ready' | 'idle' | 'closed';

/** A listener taken from a child: poll, receive, continue. */
export class Listener {
  private readonly pollfd = Buffer.alloc(8);
  private readonly notif = Buffer.alloc(NOTIF_SIZE);
  private readonly resp = Buffer.alloc(RESP_SIZE);

  constructor(private readonly libc: Libc, readonly fd: number) {
    this.pollfd.writeInt32LE(fd, 0);
    this.pollfd.writeInt16LE(POLLIN, 4);
  }

  /** Waits up to `timeoutMs` for a notification; `closed` once no process uses the filter any more. */
  poll(timeoutMs: number): PollResult {
    this.pollfd.writeInt16LE(0, 6);
    const n = this.libc.poll(this.pollfd, 1, timeoutMs);
    if (n < 0) {
      const errno = this.libc.errno();
      if (errno === EINTR) return 'idle';
      throw new Error(`poll on the listener failed (${errnoName(errno)})`);
    }
    if (n === 0) return 'idle';
    const revents = this.pollfd.readInt16LE(6);
    if ((revents & POLLIN) !== 0) return 'ready';
    if ((revents & (POLLHUP | POLLERR)) !== 0) return 'closed';
    return 'idle';
  }

  /** Receives one notification, lets the call go on, and returns it; undefined when the caller died meanwhile. */
  receiveAndContinue(): Notification | undefined {
    this.notif.fill(0); // the kernel refuses a buffer that is not zeroed
    if (this.libc.ioctl(this.fd, SECCOMP_IOCTL_NOTIF_RECV, this.notif) < 0) {
      const errno = this.libc.errno();
      if (errno === ENOENT || errno === EINTR) return undefined;
      throw new Error(`SECCOMP_IOCTL_NOTIF_RECV failed (${errnoName(errno)})`);
    }
    const notification: Notification = {
      pid: this.notif.readUInt32LE(8),
      nr: this.notif.readInt32LE(16) >>> 0,
      arch: this.notif.readUInt32LE(20),
      args: Array.from({ length: 6 }, (_, i) => this.notif.readBigUInt64LE(32 + 8 * i)),
    };
    this.resp.fill(0);
    this.notif.copy(this.resp, 0, 0, 8); // the id
    this.resp.writeUInt32LE(SECCOMP_USER_NOTIF_FLAG_CONTINUE, 20);
    if (this.libc.ioctl(this.fd, SECCOMP_IOCTL_NOTIF_SEND, this.resp) < 0) {
      const errno = this.libc.errno();
      if (errno !== ENOENT) throw new Error(`SECCOMP_IOCTL_NOTIF_SEND failed (${errnoName(errno)})`);
    }
    return notification;
  }

  close(): void {
    this.libc.close(this.fd);
  }
}
