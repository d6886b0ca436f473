/**
 * Seccomp actions as text: `ALLOW`, `ERRNO(EPERM)`, `TRAP(5)`, and libseccomp's `SCMP_ACT_*` spellings.
 */
import { SECCOMP_RET_DATA, type Action, type ActionKind } from './actions.js';
import { errnoName, errnoNumber } from './errno.js';

/**
 * Keyword → action kind. Note that libseccomp's `SCMP_ACT_KILL` means KILL_THREAD (as in OCI profiles),
 * while the plain `KILL` means KILL_PROCESS, the kernel's strongest action.
 */
const KEYWORDS: ReadonlyMap<string, ActionKind> = new Map<string, ActionKind>([
  ['ALLOW', 'ALLOW'],
  ['LOG', 'LOG'],
  ['KILL', 'KILL_PROCESS'],
  ['KILL_PROCESS', 'KILL_PROCESS'],
  ['KILL_THREAD', 'KILL_THREAD'],
  ['TRAP', 'TRAP'],
  ['ERRNO', 'ERRNO'],
  ['TRACE', 'TRACE'],
  ['USER_NOTIF', 'USER_NOTIF'],
  ['NOTIFY', 'USER_NOTIF'],
  ['SCMP_ACT_ALLOW', 'ALLOW'],
  ['SCMP_ACT_LOG', 'LOG'],
  ['SCMP_ACT_KILL', 'KILL_THREAD'],
  ['SCMP_ACT_KILL_THREAD', 'KILL_THREAD'],
  ['SCMP_ACT_KILL_PROCESS', 'KILL_PROCESS'],
  ['SCMP_ACT_TRAP', 'TRAP'],
  ['SCMP_ACT_ERRNO', 'ERRNO'],
  ['SCMP_ACT_TRACE', 'TRACE'],
  ['SCMP_ACT_NOTIFY', 'USER_NOTIF'],
  ['SCMP_ACT_USER_NOTIF', 'USER_NOTIF'],
]);

/** Accepted action spellings, for error messages and completion. */
export const ACTION_KEYWORDS: readonly string[] = [...KEYWORDS.keys()];

/** An action text that could not be read. */
export class ActionSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ActionSyntaxError';
  }
}

/** Reads a decimal or `0x` hexadecimal integer, or undefined if `text` is not one. */
function parseInteger(text: string): number | undefined {
  if (/^\d+$/.test(text)) return Number(text);
  if (/^0x[0-9a-f]+$/i.test(text)) return Number.parseInt(text.slice(2), 16);
  return undefined;
}

/**
 * Reads an action: `ALLOW`, `LOG`, `KILL` / `KILL_PROCESS`, `KILL_THREAD`, `USER_NOTIF`, `TRAP`, `TRAP(5)`,
 * `TRACE(7)`, `ERRNO(EPERM)`, `ERRNO(1)`, and the same with libseccomp's `SCMP_ACT_` prefix
 * (`SCMP_ACT_KILL` is KILL_THREAD there). Case-insensitive. ERRNO needs an errno (a name or 0-65535);
 * TRAP and TRACE take optional data (0-65535, default 0). Throws `ActionSyntaxError` otherwise.
 */
export function parseAction(text: string): Action {
  const match = /^\s*([A-Za-z_]+)\s*(?:\(\s*([^()]*?)\s*\))?\s*$/.exec(text);
  const keyword = match?.[1]?.toUpperCase();
  const kind = keyword === undefined ? undefined : KEYWORDS.get(keyword);
  if (match === undefined || match === null || kind === undefined) {
    throw new ActionSyntaxError(`unknown action "${text}"; expected ALLOW, LOG, KILL_PROCESS, KILL_THREAD, ` +
      'TRAP(n), ERRNO(name or n), TRACE(n), USER_NOTIF (or SCMP_ACT_* spellings)');
  }
  const argument = match[2];
  if (kind !== 'ERRNO' && kind !== 'TRAP' && kind !== 'TRACE') {
    if (argument !== undefined) throw new ActionSyntaxError(`action ${kind} takes no argument (in "${text}")`);
    return { kind };
  }
  if (argument === undefined || argument === '') {
    if (kind === 'ERRNO') throw new ActionSyntaxError(`ERRNO needs an errno, e.g. ERRNO(EPERM) or ERRNO(1) (in "${text}")`);
    return { kind, data: 0 };
  }
  let data = parseInteger(argument);
  if (data === undefined && kind === 'ERRNO') {
    data = errnoNumber(argument);
    if (data === undefined) throw new ActionSyntaxError(`unknown errno "${argument}" in "${text}"`);
  }
  if (data === undefined) throw new ActionSyntaxError(`${kind} data must be a number, got "${argument}" in "${text}"`);
  if (data > SECCOMP_RET_DATA) {
    throw new ActionSyntaxError(`${kind} data ${argument} does not fit the 16 data bits (0-65535) in "${text}"`);
  }
  return { kind, data };
}

/**
 * Text for an action that `parseAction` reads back to the same action: `ALLOW`, `KILL_PROCESS`,
 * `ERRNO(EPERM)` (the errno by name when it has one, else its number), `TRAP`, `TRAP(5)`, `TRACE(7)`.
 */
export function formatAction(action: Action): string {
  if (!('data' in action)) return action.kind;
  const data = action.data & SECCOMP_RET_DATA;
  if (action.kind === 'ERRNO') return `ERRNO(${errnoName(data) ?? data})`;
  return data === 0 ? action.kind : `${action.kind}(${data})`;
}
