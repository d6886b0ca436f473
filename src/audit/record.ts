/**
 * The kernel's seccomp audit records (AUDIT_SECCOMP, type 1326) in every form they reach a person: the kernel
 * log (`dmesg`, `/dev/kmsg`, journalctl: `audit: type=1326 audit(T:N): …`), auditd's log (`type=SECCOMP
 * msg=audit(T:N): …`, with or without the enriched fields after 0x1d) and `ausearch -i` (values interpreted:
 * `arch=x86_64 syscall=mkdir code=errno`).
 */
import { decodeAction } from '../syscalls/actions.js';
import { formatAction } from '../syscalls/action-text.js';
import { AUDIT_ARCH_I386, AUDIT_ARCH_X86_64, X32_SYSCALL_BIT, archesOfAuditArch, parseLinuxArch, type LinuxArchName } from '../syscalls/arch.js';
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
  /** The ABI the call was made through, when its arch value is one the tables know. */
  readonly abi?: LinuxArchName;
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

/**
 * A string field's value: quoted text as is, `(null)` as undefined; unquoted, the kernel writes hex (for text
 * with spaces, quotes or control characters), while ausearch -i (`interpreted`) writes plain text.
 */
function stringField(raw: string | undefined, interpreted: boolean): string | undefined {
  if (raw === undefined || raw === '(null)' || raw === '?') return undefined;
  if (/^".*"$/.test(raw) || /^'.*'$/.test(raw)) return raw.slice(1, -1);
  if (!interpreted && /^(?:[0-9A-F]{2})+$/.test(raw)) {
    const text = String.fromCharCode(...(raw.match(/../g) ?? []).map((h) => Number.parseInt(h, 16)));
    if (/^[\x20-\x7e]*$/.test(text)) return text;
  }
  return raw;
}

/** The ABI of an audit arch value (x86_64 for the value x86_64 and x32 share; the caller tells x32 apart). */
const abiOfAuditArch = (arch: number): LinuxArchName | undefined => archesOfAuditArch(arch)[0];

/** The ABI ausearch names (`x86_64`, `i386`, `aarch64`, `s390x`, `ppc64le`, …), or undefined. */
function abiOfInterpretedName(name: string): LinuxArchName | undefined {
  try {
    return parseLinuxArch(name);
  } catch {
    return undefined;
  }
}

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

  let abi: LinuxArchName | undefined;
  let nr: number | undefined;
  let syscall: string | undefined;
  if (/^[0-9a-f]+$/i.test(archRaw) && /^-?\d+$/.test(syscallRaw)) {
    const arch = Number.parseInt(archRaw, 16) >>> 0;
    // The kernel prints seccomp_data.nr as a signed int: numbers past 2^31 show negative.
    const number = Number(syscallRaw) >>> 0;
    abi = abiOfAuditArch(arch);
    if (abi === 'x86_64' && ((number & X32_SYSCALL_BIT) !== 0 || compat === true)) abi = 'x32';
    nr = abi === 'x32' ? (number & ~X32_SYSCALL_BIT) >>> 0 : number;
    syscall = abi === undefined ? undefined : syscallName(abi, abi === 'x32' ? nr | X32_SYSCALL_BIT : nr);
  } else if (/^[A-Za-z0-9_]+$/.test(archRaw)) {
    // ausearch -i: names instead of numbers.
    abi = abiOfInterpretedName(archRaw);
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
  const interpreted = time === undefined;
  const uid = stringField(fields.get('uid'), interpreted);
  const comm = stringField(fields.get('comm'), interpreted);
  const exe = stringField(fields.get('exe'), interpreted);
  const signal = fields.get('sig');
  return {
    ...(time !== undefined && { time }), timeText, serial,
    ...(pid !== undefined && { pid }), ...(uid !== undefined && { uid }), ...(comm !== undefined && { comm }),
    ...(exe !== undefined && { exe }), ...(abi !== undefined && { abi }), arch: archRaw,
    ...(nr !== undefined && { nr }), ...(syscall !== undefined && { syscall }), ...(code !== undefined && { code }),
    action, ...(signal !== undefined && { signal }), ...(compat !== undefined && { compat }),
  };
}

/** The fields of a seccomp audit event as the kernel has them (for rendering records). */
export interface SeccompEvent {
  /** Seconds since the epoch (milliseconds kept). */
  readonly time: number;
  readonly serial: number;
  readonly uid: number;
  readonly gid: number;
  readonly pid: number;
  readonly comm: string;
  readonly exe: string;
  /** The signal sent: 31 (SIGSYS) for a kill, else 0. */
  readonly sig: number;
  /** `seccomp_data.arch`. */
  readonly arch: number;
  /** `seccomp_data.nr` (x32 bit included). */
  readonly syscall: number;
  readonly compat: boolean;
  readonly ip: bigint;
  /** The filter's return value. */
  readonly code: number;
}

/** The forms a record reaches a person in. */
export type RecordForm = 'kmsg' | 'dmesg' | 'journal' | 'auditd' | 'ausearch';
/** Every form `renderSeccompRecord` writes. */
export const RECORD_FORMS: readonly RecordForm[] = ['kmsg', 'dmesg', 'journal', 'auditd', 'ausearch'];

/** A string as the kernel's audit_log_untrustedstring writes it: quoted, or hex when it holds special characters. */
function untrusted(text: string): string {
  const bytes = new TextEncoder().encode(text);
  if (bytes.every((b) => b > 0x20 && b < 0x7f && b !== 0x22)) return `"${text}"`;
  return Array.from(bytes, (b) => b.toString(16).toUpperCase().padStart(2, '0')).join('');
}

const AUSEARCH_ACTIONS: Readonly<Record<string, string>> = {
  KILL_PROCESS: 'kill-process', KILL_THREAD: 'kill', TRAP: 'trap', ERRNO: 'errno', USER_NOTIF: 'user-notif',
  TRACE: 'trace', LOG: 'log', ALLOW: 'allow',
};

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** A record of `event` as it appears in `form` (the kernel's text, dmesg, journalctl, audit.log, ausearch -i). */
export function renderSeccompRecord(event: SeccompEvent, form: RecordForm): string {
  const stamp = `${Math.floor(event.time)}.${pad(Math.round((event.time % 1) * 1000) % 1000, 3)}:${event.serial}`;
  const fields = `auid=4294967295 uid=${event.uid} gid=${event.gid} ses=4294967295 subj=unconfined pid=${event.pid} ` +
    `comm=${untrusted(event.comm)} exe=${untrusted(event.exe)} sig=${event.sig} arch=${event.arch.toString(16)} ` +
    `syscall=${event.syscall | 0} compat=${event.compat ? 1 : 0} ip=0x${event.ip.toString(16)} code=0x${(event.code >>> 0).toString(16)}`;
  const kernel = `audit: type=1326 audit(${stamp}): ${fields}`;
  const date = new Date(Math.floor(event.time * 1000));
  switch (form) {
    case 'kmsg': return `5,${event.serial},${Math.floor(event.time * 1e6)},-;${kernel}`;
    case 'dmesg': return `[${(event.time % 100000).toFixed(6).padStart(12, ' ')}] ${kernel}`;
    case 'journal': {
      const month = date.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' });
      return `${month} ${pad(date.getUTCDate())} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} host kernel: ${kernel}`;
    }
    case 'auditd': return `type=SECCOMP msg=audit(${stamp}): ${fields}\x1dAUID="unset" UID="${event.uid === 0 ? 'root' : event.uid}" GID="${event.gid === 0 ? 'root' : event.gid}" ARCH=${event.arch === 0x40000003 ? 'i386' : 'x86_64'} SYSCALL=${event.syscall | 0}`;
    case 'ausearch': {
      const abi = abiOfAuditArch(event.arch >>> 0);
      const x32 = abi === 'x86_64' && (event.syscall & X32_SYSCALL_BIT) !== 0;
      const named = abi === undefined ? undefined : syscallName(x32 ? 'x32' : abi, event.syscall);
      const local = `${pad(date.getUTCMonth() + 1)}/${pad(date.getUTCDate())}/${date.getUTCFullYear()} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}.${pad(date.getUTCMilliseconds(), 3)}`;
      const action = decodeAction(event.code >>> 0).kind;
      return `type=SECCOMP msg=audit(${local}:${event.serial}) : auid=unset uid=${event.uid === 0 ? 'root' : event.uid} ` +
        `gid=${event.gid === 0 ? 'root' : event.gid} ses=unset subj=unconfined pid=${event.pid} comm=${event.comm} exe=${event.exe} ` +
        `sig=${event.sig === 31 ? 'SIGSYS' : event.sig} arch=${abi ?? event.arch.toString(16)} ` +
        `syscall=${named ?? (x32 ? (event.syscall & ~X32_SYSCALL_BIT) >>> 0 : event.syscall >>> 0)} compat=${event.compat ? 1 : 0} ip=0x${event.ip.toString(16)} code=${AUSEARCH_ACTIONS[action] ?? action}`;
    }
  }
}
