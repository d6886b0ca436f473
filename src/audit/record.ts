/**
 * The kernel's seccomp audit records (AUDIT_SECCOMP, type 1326) in every form they reach a person: the kernel
 * log (`dmesg`, `/dev/kmsg`, journalctl: `audit: type=1326 audit(T:N): …`), auditd's log (`type=SECCOMP
 * msg=audit(T:N): …`, with or without the enriched fields after 0x1d) and `ausearch -i` (values interpreted:
 * `arch=x86_64 syscall=mkdir code=errno`).
 */
import { decodeAction } from '../syscalls/actions.js';
import { formatAction } from '../syscalls/action-text.js';
import { AUDIT_ARCH_I386, AUDIT_ARCH_X86_64, X32_SYSCALL_BIT, type ArchName } from '../syscalls/arch.js';
import { syscallName } from '../syscalls/resolve.js';

/** One decoded seccomp record. */
export interface SeccompRecord {
  /** Seconds since the epoch with milliseconds, from `audit(T:N)`; undefined when the record shows a local date (ausearch -i). */
  readonly time?: number;
  /** The record's time as printed (`1733275871.123`, or ausearch's local date). */
  readonly timeText: string;
  /** The audit event serial. */
  readonly serial: number;
  readonly pid?: number;
  readonly uid?: string;
  readonly comm?: string;
  readonly exe?: string;
  /** The ABI the call was made through, when it is one of the x86 ABIs. */
  readonly abi?: ArchName;
  /** The audit arch value (hex) or, in interpreted records, its name. */
  readonly arch: string;
  /** The syscall number as the ABI numbers it (x32 bit removed); undefined when only a name was printed. */
  readonly nr?: number;
  /** The syscall's name, when known. */
  readonly syscall?: string;
  /** The filter's return value; undefined when only an interpreted action was printed. */
  readonly code?: number;
  /** The action, as `formatAction` writes it (`ERRNO(EPERM)`, `KILL_PROCESS`, `LOG`). */
  readonly action: string;
  /** The signal sent (31 for a kill), 0 for none. */
  readonly signal?: string;
  readonly compat?: boolean;
}

/** A line that looks like a seccomp record but cannot be read: what is wrong with it. */
export class AuditRecordError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuditRecordError';
  }
}

const KERNEL_FORM = /(?:^|[\s:;])audit:\s+type=1326\s+audit\(([^)]*)\):\s?(.*)$/;
const AUDITD_FORM = /(?:^|\s)type=SECCOMP\s+msg=audit\(([^)]*)\)\s?:\s?(.*)$/;

/** True when `line` is a seccomp record in one of the known forms (well formed or not). */
export function isSeccompRecordLine(line: string): boolean {
  return KERNEL_FORM.test(line) || AUDITD_FORM.test(line);
}

/** The `key=value` fields (values may be quoted or hex-encoded strings), in order; the enriched part after 0x1d included. */
export function auditFields(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  const pattern = /([A-Za-z_][A-Za-z0-9_-]*)=("(?:[^"]*)"|'(?:[^']*)'|\S*)/g;
  for (const m of text.replace(/\x1d/g, ' ').matchAll(pattern)) {
    const key = m[1]!;
    const raw = m[2]!;
    if (!fields.has(key)) fields.set(key, raw);
  }
  return fields;
}

/** A string field's value: quoted text as is, `(null)` as undefined, an unquoted hex string decoded. */
function stringField(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '(null)' || raw === '?') return undefined;
  if (/^".*"$/.test(raw) || /^'.*'$/.test(raw)) return raw.slice(1, -1);
  if (/^(?:[0-9A-F]{2})+$/.test(raw) && raw.length >= 2) {
    const text = String.fromCharCode(...(raw.match(/../g) ?? []).map((h) => Number.parseInt(h, 16)));
    if (/^[\x20-\x7e]*$/.test(text)) return text;
  }
  return raw;
}

const ARCH_BY_AUDIT: ReadonlyMap<number, ArchName> = new Map([[AUDIT_ARCH_X86_64, 'x86_64'], [AUDIT_ARCH_I386, 'i386']]);
const ARCH_BY_INTERPRETED_NAME: ReadonlyMap<string, ArchName> = new Map([['x86_64', 'x86_64'], ['i386', 'i386'], ['i686', 'i386'], ['x32', 'x32']]);

/** ausearch's interpretation of `code=` (auparse's seccomp table) → our action names. */
const INTERPRETED_ACTIONS: ReadonlyMap<string, string> = new Map([
  ['kill', 'KILL_THREAD'], ['kill-thread', 'KILL_THREAD'], ['kill-process', 'KILL_PROCESS'], ['trap', 'TRAP'],
  ['errno', 'ERRNO'], ['user-notif', 'USER_NOTIF'], ['trace', 'TRACE'], ['log', 'LOG'], ['allow', 'ALLOW'],
]);

const parseNumber = (raw: string | undefined): number | undefined =>
  raw !== undefined && /^\d+$/.test(raw) ? Number(raw) : undefined;

/** The time and serial of `audit(T:N)`. */
function parseStamp(stamp: string): { time?: number; timeText: string; serial: number } {
  const m = /^(.*):(\d+)$/.exec(stamp.trim());
  if (!m) throw new AuditRecordError(`audit(${stamp}): expected audit(TIME:SERIAL)`);
  const timeText = m[1]!;
  const serial = Number(m[2]);
  return /^\d+(?:\.\d+)?$/.test(timeText) ? { time: Number(timeText), timeText, serial } : { timeText, serial };
}

/**
 * Reads one seccomp record from `line` (any known form); undefined when the line is not a seccomp record.
 * Throws `AuditRecordError` for a seccomp record that lacks a field or has one that cannot be read.
 */
export function parseSeccompRecord(line: string): SeccompRecord | undefined {
  const m = KERNEL_FORM.exec(line) ?? AUDITD_FORM.exec(line);
  if (!m) return undefined;
  const { time, timeText, serial } = parseStamp(m[1]!);
  const fields = auditFields(m[2]!);
  const archRaw = fields.get('arch');
  const syscallRaw = fields.get('syscall');
  const codeRaw = fields.get('code');
  if (archRaw === undefined) throw new AuditRecordError('no arch= field');
  if (syscallRaw === undefined) throw new AuditRecordError('no syscall= field');
  if (codeRaw === undefined) throw new AuditRecordError('no code= field');
  const compatRaw = fields.get('compat');
  const compat = compatRaw === undefined ? undefined : compatRaw === '1';

  let abi: ArchName | undefined;
  let nr: number | undefined;
  let syscall: string | undefined;
  if (/^[0-9a-f]+$/i.test(archRaw) && /^\d+$/.test(syscallRaw)) {
    const arch = Number.parseInt(archRaw, 16) >>> 0;
    const number = Number(syscallRaw);
    abi = ARCH_BY_AUDIT.get(arch);
    if (abi === 'x86_64' && ((number & X32_SYSCALL_BIT) !== 0 || compat === true)) abi = 'x32';
    nr = abi === 'x32' ? number & ~X32_SYSCALL_BIT : number;
    syscall = abi === undefined ? undefined : syscallName(abi, abi === 'x32' ? nr | X32_SYSCALL_BIT : nr);
  } else if (/^[A-Za-z0-9_]+$/.test(archRaw)) {
    // ausearch -i: names instead of numbers.
    abi = ARCH_BY_INTERPRETED_NAME.get(archRaw.toLowerCase());
    if (/^\d+$/.test(syscallRaw)) nr = Number(syscallRaw);
    else if (/^[a-z_0-9]+$/.test(syscallRaw)) syscall = syscallRaw;
    else throw new AuditRecordError(`syscall=${syscallRaw}: not a syscall number or name`);
    if (abi === 'x86_64' && compat === true) abi = 'x32';
  } else {
    throw new AuditRecordError(`arch=${archRaw}: not an audit arch`);
  }

  let code: number | undefined;
  let action: string;
  if (/^0x[0-9a-f]{1,8}$/i.test(codeRaw)) {
    code = Number.parseInt(codeRaw.slice(2), 16) >>> 0;
    action = formatAction(decodeAction(code));
  } else if (INTERPRETED_ACTIONS.has(codeRaw.toLowerCase())) {
    action = INTERPRETED_ACTIONS.get(codeRaw.toLowerCase())!;
  } else {
    throw new AuditRecordError(`code=${codeRaw}: not a seccomp return value`);
  }

  const pid = parseNumber(fields.get('pid'));
  const uid = stringField(fields.get('uid'));
  const comm = stringField(fields.get('comm'));
  const exe = stringField(fields.get('exe'));
  const signal = fields.get('sig');
  return {
    ...(time !== undefined && { time }), timeText, serial,
    ...(pid !== undefined && { pid }), ...(uid !== undefined && { uid }), ...(comm !== undefined && { comm }),
    ...(exe !== undefined && { exe }), ...(abi !== undefined && { abi }), arch: archRaw,
    ...(nr !== undefined && { nr }), ...(syscall !== undefined && { syscall }), ...(code !== undefined && { code }),
    action, ...(signal !== undefined && { signal }), ...(compat !== undefined && { compat }),
  };
}
