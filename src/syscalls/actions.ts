/**
 * Seccomp actions: what a filter returns. The high 16 bits select the action, the low 16 carry data
 * (an errno for ERRNO, a value for TRAP and TRACE).
 */

export const SECCOMP_RET_KILL_PROCESS = 0x80000000;
/** Return value that kills the calling thread. */
export const SECCOMP_RET_KILL_THREAD = 0x00000000;
/** Return value that sends SIGSYS to the caller. */
export const SECCOMP_RET_TRAP = 0x00030000;
/** Return value that fails the call with the errno in the data bits. */
export const SECCOMP_RET_ERRNO = 0x00050000;
/** Return value that hands the call to a user-space supervisor. */
export const SECCOMP_RET_USER_NOTIF = 0x7fc00000;
/** Return value that hands the call to a ptrace tracer. */
export const SECCOMP_RET_TRACE = 0x7ff00000;
/** Return value that allows the call after logging it. */
export const SECCOMP_RET_LOG = 0x7ffc0000;
/** Return value that allows the call. */
export const SECCOMP_RET_ALLOW = 0x7fff0000;
/** Mask of the action bits of a filter's return value. */
export const SECCOMP_RET_ACTION_FULL = 0xffff0000;
/** Mask of the data bits of a filter's return value. */
export const SECCOMP_RET_DATA = 0x0000ffff;

/** The kinds of action the kernel knows, by name. */
export type ActionKind =
  | 'KILL_PROCESS'
  | 'KILL_THREAD'
  | 'TRAP'
  | 'ERRNO'
  | 'USER_NOTIF'
  | 'TRACE'
  | 'LOG'
  | 'ALLOW';

/** Actions whose low 16 bits carry data. */
export type ActionWithData = 'TRAP' | 'ERRNO' | 'TRACE';

/** A seccomp action: what a filter returns for a call (kind, and data for ERRNO, TRAP and TRACE). */
export type Action =
  | { readonly kind: Exclude<ActionKind, ActionWithData> }
  | { readonly kind: ActionWithData; readonly data: number };

/** Actions from strongest to weakest: when several filters or rules apply, the first one in this list wins. */
export const ACTION_PRECEDENCE: readonly ActionKind[] = [
  'KILL_PROCESS', 'KILL_THREAD', 'TRAP', 'ERRNO', 'USER_NOTIF', 'TRACE', 'LOG', 'ALLOW',
];

/** The return value of each action kind without data (`SECCOMP_RET_*`). */
export const ACTION_CODES: Readonly<Record<ActionKind, number>> = {
  KILL_PROCESS: SECCOMP_RET_KILL_PROCESS,
  KILL_THREAD: SECCOMP_RET_KILL_THREAD,
  TRAP: SECCOMP_RET_TRAP,
  ERRNO: SECCOMP_RET_ERRNO,
  USER_NOTIF: SECCOMP_RET_USER_NOTIF,
  TRACE: SECCOMP_RET_TRACE,
  LOG: SECCOMP_RET_LOG,
  ALLOW: SECCOMP_RET_ALLOW,
};

/** Whether an action kind carries data (ERRNO, TRAP, TRACE). */
export const hasData = (kind: ActionKind): kind is ActionWithData =>
  kind === 'TRAP' || kind === 'ERRNO' || kind === 'TRACE';

/** The 32-bit value a filter returns for this action. */
export function encodeAction(action: Action): number {
  const data = 'data' in action ? action.data & SECCOMP_RET_DATA : 0;
  return (ACTION_CODES[action.kind] | data) >>> 0;
}

/**
 * Decodes a filter's 32-bit return value the way the kernel does: an action value it does not know
 * is treated as KILL_PROCESS (`__seccomp_filter`'s default case).
 */
export function decodeAction(raw: number): Action {
  const full = (raw & SECCOMP_RET_ACTION_FULL) >>> 0;
  const data = raw & SECCOMP_RET_DATA;
  switch (full) {
    case SECCOMP_RET_KILL_PROCESS: return { kind: 'KILL_PROCESS' };
    case SECCOMP_RET_KILL_THREAD: return { kind: 'KILL_THREAD' };
    case SECCOMP_RET_TRAP: return { kind: 'TRAP', data };
    case SECCOMP_RET_ERRNO: return { kind: 'ERRNO', data };
    case SECCOMP_RET_USER_NOTIF: return { kind: 'USER_NOTIF' };
    case SECCOMP_RET_TRACE: return { kind: 'TRACE', data };
    case SECCOMP_RET_LOG: return { kind: 'LOG' };
    case SECCOMP_RET_ALLOW: return { kind: 'ALLOW' };
    default: return { kind: 'KILL_PROCESS' };
  }
}

/**
 * Orders two raw return values by kernel precedence: negative when `a` wins.
 * The kernel compares `(s32)(ret & SECCOMP_RET_ACTION_FULL)`, so KILL_PROCESS (negative) beats everything.
 */
export function compareRaw(a: number, b: number): number {
  return ((a & SECCOMP_RET_ACTION_FULL) | 0) - ((b & SECCOMP_RET_ACTION_FULL) | 0);
}

/** Orders two actions by precedence: negative when `a` is stronger. */
export function compareActions(a: Action, b: Action): number {
  return ACTION_PRECEDENCE.indexOf(a.kind) - ACTION_PRECEDENCE.indexOf(b.kind);
}

/** The stronger of two actions (the first on a tie). */
export const strongerAction = (a: Action, b: Action): Action => (compareActions(b, a) < 0 ? b : a);

/** Whether two actions give the same return value. */
export const actionsEqual = (a: Action, b: Action): boolean => encodeAction(a) === encodeAction(b);
