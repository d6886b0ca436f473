/**
 * The kernel's audit records as they are made, from the audit netlink socket's read-only multicast group
 * (AUDIT_NLGRP_READLOG; CAP_AUDIT_READ, so root). Unlike the kernel log, this sees every record whether or not an
 * audit daemon runs (with one, records never reach the kernel log) and is not subject to printk's rate limit.
 */
import { loadLibc } from './ffi.js';

const AF_NETLINK = 16;
const SOCK_RAW = 3;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const NETLINK_AUDIT = 9;
const AUDIT_NLGRP_READLOG = 1;
const NLMSG_HDRLEN = 16;
const ENOBUFS = 105;
const AUDIT_SECCOMP = 1326;
const SOL_SOCKET = 1;
const SO_RCVBUF = 8;
const SO_RCVBUFFORCE = 33;
const RECEIVE_QUEUE_BYTES = 8 << 20;

/** A subscription to new audit records. */
export interface AuditStream {
  /** Records received since the last call, in the kernel log's text form (`audit: type=N audit(...): ...`). */
  readNew(): string[];
  close(): void;
}

/** Subscribes to audit records; undefined when this process may not (not root, or no audit support). */
export function openAuditStream(types: readonly number[] = [AUDIT_SECCOMP]): AuditStream | undefined {
  let libc;
  try {
    libc = loadLibc();
  } catch {
    return undefined;
  }
  const fd = libc.socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_AUDIT);
  if (fd < 0) return undefined;
  const address = Buffer.alloc(12); // struct sockaddr_nl: family, pad, pid, groups
  address.writeUInt16LE(AF_NETLINK, 0);
  address.writeUInt32LE(AUDIT_NLGRP_READLOG, 8);
  if (libc.bind(fd, address, address.length) < 0) {
    libc.close(fd);
    return undefined;
  }
  // A large receive queue, so that a flood of other processes' records does not push ours out (root may exceed
  // rmem_max with SO_RCVBUFFORCE; failing that, the default queue is used).
  if (libc.setsockoptInt(fd, SOL_SOCKET, SO_RCVBUFFORCE, RECEIVE_QUEUE_BYTES) < 0) libc.setsockoptInt(fd, SOL_SOCKET, SO_RCVBUF, RECEIVE_QUEUE_BYTES);
  const buffer = Buffer.alloc(65536);
  return {
    readNew() {
      const lines: string[] = [];
      for (;;) {
        const n = libc.recv(fd, buffer, buffer.length, 0);
        if (n < 0) {
          // EAGAIN: nothing more now. ENOBUFS: the queue overflowed and records were dropped; reading goes on.
          if (libc.errno() === ENOBUFS) continue;
          return lines;
        }
        for (let at = 0; at + NLMSG_HDRLEN <= n;) {
          const length = buffer.readUInt32LE(at);
          const type = buffer.readUInt16LE(at + 4);
          if (length < NLMSG_HDRLEN || at + length > n) break;
          if (types.includes(type)) {
            const text = buffer.subarray(at + NLMSG_HDRLEN, at + length).toString('utf8').replace(/\0+$/, '');
            lines.push(`audit: type=${type} ${text}`);
          }
          at += (length + 3) & ~3;
        }
      }
    },
    close() {
      libc.close(fd);
    },
  };
}
