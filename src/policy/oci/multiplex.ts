/**
 * i386 multiplexed socket and IPC calls, as libseccomp (and so runc) handles them: a rule on a socket call
 * (`socket`, `bind`, …) or an IPC call (`semop`, `shmat`, …) for the x86 ABI is also added to the multiplexer
 * (`socketcall` or `ipc`) with argument 0 set to the call's sub-call number. The other argument conditions are
 * copied unchanged, although the multiplexer's arguments 1..5 are not the original call's arguments (libseccomp
 * issue #476): the import reproduces that too, so verdicts match runc's.
 */

/** `socketcall(2)` sub-call numbers (include/uapi/linux/net.h, `SYS_*`). */
export const SOCKETCALL_SUBCALLS: Readonly<Record<string, number>> = {
  socket: 1, bind: 2, connect: 3, listen: 4, accept: 5, getsockname: 6, getpeername: 7, socketpair: 8, send: 9,
  recv: 10, sendto: 11, recvfrom: 12, shutdown: 13, setsockopt: 14, getsockopt: 15, sendmsg: 16, recvmsg: 17,
  accept4: 18, recvmmsg: 19, sendmmsg: 20,
};

/** `ipc(2)` sub-call numbers (include/uapi/linux/ipc.h). */
export const IPC_SUBCALLS: Readonly<Record<string, number>> = {
  semop: 1, semget: 2, semctl: 3, semtimedop: 4, msgsnd: 11, msgrcv: 12, msgget: 13, msgctl: 14, shmat: 21,
  shmdt: 22, shmget: 23, shmctl: 24,
};

/** The multiplexer and sub-call a name is reachable through on i386, or undefined. */
export function multiplexedVia(name: string): { readonly via: 'socketcall' | 'ipc'; readonly subcall: number } | undefined {
  const lower = name.toLowerCase();
  const s = Object.hasOwn(SOCKETCALL_SUBCALLS, lower) ? SOCKETCALL_SUBCALLS[lower] : undefined;
  if (s !== undefined) return { via: 'socketcall', subcall: s };
  const i = Object.hasOwn(IPC_SUBCALLS, lower) ? IPC_SUBCALLS[lower] : undefined;
  if (i !== undefined) return { via: 'ipc', subcall: i };
  return undefined;
}
