/**
 * strace output as a recording: what `strace -f CMD` (with or without `-o`, `-tt`/`-ttt`/`-r`, `-T`, `-y`, `-k`)
 * printed becomes the same per-ABI call counts `record` makes, with the argument values profiles check (socket
 * families, personality personas, clone flags) decoded from strace's symbolic form. A call is counted where it
 * starts (`name(…` whether finished or `<unfinished ...>`), never again at `<... name resumed>`; calls that
 * failed count, as the filter saw them. A process's ABI follows strace's `[ Process PID=N runs in 32 bit mode. ]`
 * notes (children start in their parent's mode).
 */
import { ADDRESS_FAMILIES, ADDRESS_FAMILY_ALIASES } from '../syscalls/families.js';
import { X32_SYSCALL_BIT, type ArchName } from '../syscalls/arch.js';
import { lookupSyscall, syscallName } from '../syscalls/resolve.js';
import { addCall, emptyRecording, RECORDED_ARGUMENTS, type Recording } from './recording.js';

/** What an strace log held. */
export interface StraceRecording {
  readonly recording: Recording;
  /** Syscall calls counted. */
  readonly calls: number;
  /** What could not be read exactly, each naming a line. */
  readonly warnings: readonly string[];
}

/** strace's text is not an strace log (no system call found). */
export class StraceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StraceError';
  }
}

const CLONE_FLAGS: Readonly<Record<string, number>> = {
  CLONE_VM: 0x100, CLONE_FS: 0x200, CLONE_FILES: 0x400, CLONE_SIGHAND: 0x800, CLONE_PIDFD: 0x1000,
  CLONE_PTRACE: 0x2000, CLONE_VFORK: 0x4000, CLONE_PARENT: 0x8000, CLONE_THREAD: 0x10000, CLONE_NEWNS: 0x20000,
  CLONE_SYSVSEM: 0x40000, CLONE_SETTLS: 0x80000, CLONE_PARENT_SETTID: 0x100000, CLONE_CHILD_CLEARTID: 0x200000,
  CLONE_DETACHED: 0x400000, CLONE_UNTRACED: 0x800000, CLONE_CHILD_SETTID: 0x1000000, CLONE_NEWCGROUP: 0x2000000,
  CLONE_NEWUTS: 0x4000000, CLONE_NEWIPC: 0x8000000, CLONE_NEWUSER: 0x10000000, CLONE_NEWPID: 0x20000000,
  CLONE_NEWNET: 0x40000000, CLONE_IO: 0x80000000,
};

/** x86 signal numbers: clone's low byte is the signal sent to the parent when the child exits. */
const SIGNALS: Readonly<Record<string, number>> = {
  SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGTRAP: 5, SIGABRT: 6, SIGBUS: 7, SIGFPE: 8, SIGKILL: 9,
  SIGUSR1: 10, SIGSEGV: 11, SIGUSR2: 12, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15, SIGSTKFLT: 16, SIGCHLD: 17,
  SIGCONT: 18, SIGSTOP: 19, SIGTSTP: 20, SIGTTIN: 21, SIGTTOU: 22, SIGURG: 23, SIGXCPU: 24, SIGXFSZ: 25,
  SIGVTALRM: 26, SIGPROF: 27, SIGWINCH: 28, SIGIO: 29, SIGPWR: 30, SIGSYS: 31,
};

const STICKY_TIMEOUTS = 0x4000000;
const MMAP_PAGE_ZERO = 0x100000;
const SHORT_INODE = 0x1000000;
const WHOLE_SECONDS = 0x2000000;
/** include/uapi/linux/personality.h: the flags and the personas strace prints. */
const PERSONALITY: Readonly<Record<string, number>> = {
  UNAME26: 0x20000, ADDR_NO_RANDOMIZE: 0x40000, FDPIC_FUNCPTRS: 0x80000, MMAP_PAGE_ZERO, ADDR_COMPAT_LAYOUT: 0x200000,
  READ_IMPLIES_EXEC: 0x400000, ADDR_LIMIT_32BIT: 0x800000, SHORT_INODE, WHOLE_SECONDS, STICKY_TIMEOUTS,
  ADDR_LIMIT_3GB: 0x8000000,
  PER_LINUX: 0, PER_LINUX_32BIT: 0x800000, PER_LINUX_FDPIC: 0x80000, PER_SVR4: 1 | STICKY_TIMEOUTS | MMAP_PAGE_ZERO,
  PER_SVR3: 2 | STICKY_TIMEOUTS | SHORT_INODE, PER_SCOSVR3: 3 | STICKY_TIMEOUTS | WHOLE_SECONDS | SHORT_INODE,
  PER_OSR5: 3 | STICKY_TIMEOUTS | WHOLE_SECONDS, PER_WYSEV386: 4 | STICKY_TIMEOUTS | SHORT_INODE,
  PER_ISCR4: 5 | STICKY_TIMEOUTS, PER_BSD: 6, PER_SUNOS: 6 | STICKY_TIMEOUTS, PER_XENIX: 7 | STICKY_TIMEOUTS | SHORT_INODE,
  PER_LINUX32: 8, PER_LINUX32_3GB: 8 | 0x8000000, PER_IRIX32: 9 | STICKY_TIMEOUTS, PER_IRIXN32: 0xa | STICKY_TIMEOUTS,
  PER_IRIX64: 0xb | STICKY_TIMEOUTS, PER_RISCOS: 0xc, PER_SOLARIS: 0xd | STICKY_TIMEOUTS,
  PER_UW7: 0xe | STICKY_TIMEOUTS | MMAP_PAGE_ZERO, PER_OSF4: 0xf, PER_HPUX: 0x10,
};

/** An integer as strace prints it: decimal, hex or octal. */
function integer(token: string): number | undefined {
  const t = token.trim();
  if (/^-?\d+$/.test(t)) return Number(t);
  if (/^0x[0-9a-f]+$/i.test(t)) return Number.parseInt(t.slice(2), 16);
  if (/^0[0-7]+$/.test(t)) return Number.parseInt(t.slice(1), 8);
  return undefined;
}

/** `A|B|0x10` with each part a number or a name of `table`; undefined when a part is neither. */
function flags(token: string, ...tables: Readonly<Record<string, number>>[]): number | undefined {
  let value = 0;
  for (const part of token.split('|')) {
    const p = part.trim();
    const n = integer(p) ?? tables.map((t) => t[p]).find((v) => v !== undefined);
    if (n === undefined) return undefined;
    value = (value | n) >>> 0;
  }
  return value;
}

function family(token: string): number | undefined {
  const t = token.trim();
  const n = integer(t);
  if (n !== undefined) return n;
  const name = t.startsWith('PF_') ? `AF_${t.slice(3)}` : t;
  return ADDRESS_FAMILIES[ADDRESS_FAMILY_ALIASES[name] ?? name];
}

/** The first argument's text: up to the first top-level `,` or `)`. */
function firstArgument(args: string): string {
  let depth = 0;
  for (let i = 0; i < args.length; i++) {
    const c = args[i];
    if (c === '"') {
      for (i++; i < args.length && args[i] !== '"'; i++) if (args[i] === '\\') i++;
    } else if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      if (depth === 0) return args.slice(0, i);
      depth--;
    } else if (c === ',' && depth === 0) return args.slice(0, i);
  }
  return args.replace(/\s*<unfinished \.\.\.>.*$/, '');
}

/** The argument value recorded for `name`, from strace's text of its arguments; undefined when unreadable. */
function recordedValue(name: string, args: string): number | undefined {
  switch (name) {
    case 'socket':
    case 'socketpair':
      return family(firstArgument(args));
    case 'personality':
      return flags(firstArgument(args), PERSONALITY);
    case 'clone': {
      // strace names clone's arguments (`child_stack=…, flags=…`); the raw form lists flags first.
      const named = /(?:^|[\s,])flags=([^,)<]+)/.exec(args);
      return flags(named !== null ? named[1]! : firstArgument(args), CLONE_FLAGS, SIGNALS);
    }
    default:
      return undefined;
  }
}

const PREFIX = /^(?:\[pid\s+(\d+)\]\s+|(\d+)\s+)?(?:(?:\d{1,2}:\d{2}:\d{2}(?:\.\d+)?|\d+\.\d+)\s+)?/;
const MODE = /^\[ Process PID=(\d+) runs in (64 bit|32 bit|x32) mode\. \]$/;
const CALL = /^([a-z_][a-z0-9_]*)\((.*)$/;

/**
 * The recording an strace log describes, for calls of `host` (the ABI strace ran on, default x86_64) and the
 * modes strace reports. Throws StraceError when the text holds no system call.
 */
export function recordingFromStrace(text: string, command: readonly string[] = [], host: ArchName = 'x86_64'): StraceRecording {
  const recording = emptyRecording();
  if (command.length > 0) recording.runs.push([...command]);
  const warnings: string[] = [];
  const modeOf = new Map<string, ArchName>();
  const unreadable = new Map<string, number>();
  const unknown = new Map<string, number>();
  let calls = 0;
  let lastPid = '';
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    const prefix = PREFIX.exec(line)!;
    const pid = prefix[1] ?? prefix[2] ?? '';
    const rest = line.slice(prefix[0].length);
    const mode = MODE.exec(line.trim());
    if (mode !== null) {
      const abi: ArchName = mode[2] === '64 bit' ? 'x86_64' : mode[2] === '32 bit' ? 'i386' : 'x32';
      modeOf.set(mode[1]!, abi);
      // Lines of a single traced process carry no PID: the note is about that process.
      if (lastPid === '') modeOf.set('', abi);
      return;
    }
    if (rest.startsWith('<... ') || rest.startsWith('---') || rest.startsWith('+++') || rest.startsWith(' > ') || rest.trim() === '') return;
    const call = CALL.exec(rest);
    if (call === null) return;
    // A child strace has just attached starts in the mode of the process that made it.
    if (pid !== '' && !modeOf.has(pid)) modeOf.set(pid, modeOf.get(lastPid) ?? host);
    lastPid = pid;
    const abi = modeOf.get(pid) ?? host;
    let name = call[1]!;
    const numbered = /^syscall_(0x[0-9a-f]+|\d+)$/i.exec(name);
    let nr: number | undefined;
    if (numbered !== null) {
      nr = integer(numbered[1]!)!;
      name = syscallName(abi, abi === 'x32' ? (nr | X32_SYSCALL_BIT) >>> 0 : nr) ?? `#${nr}`;
    } else {
      const entry = lookupSyscall(abi, name);
      if (entry === undefined) {
        unknown.set(`${abi}:${name}`, (unknown.get(`${abi}:${name}`) ?? i + 1));
        return;
      }
      nr = entry.nr;
    }
    const args: bigint[] = [0n, 0n, 0n, 0n, 0n, 0n];
    const recorded = RECORDED_ARGUMENTS[name];
    if (recorded !== undefined) {
      const value = recordedValue(name, call[2]!);
      if (value === undefined) unreadable.set(name, unreadable.get(name) ?? i + 1);
      else args[recorded.index] = BigInt(value >>> 0);
    }
    addCall(recording, abi, abi === 'x32' ? (nr & ~X32_SYSCALL_BIT) >>> 0 : nr, args);
    calls++;
  });
  if (calls === 0) throw new StraceError('no system call found: not strace output (strace -f -o FILE CMD writes it)');
  for (const [name, line] of unreadable) {
    // One unreadable value would leave a condition that denies a call that was made: allow every value instead.
    for (const abi of Object.keys(recording.abis) as ArchName[]) {
      const entry = recording.abis[abi]?.[name];
      if (entry !== undefined) delete entry.args;
    }
    warnings.push(`line ${line}: ${name}'s ${RECORDED_ARGUMENTS[name]!.what} is not a value seccomp-ts reads; ${name} is allowed whatever its arguments`);
  }
  for (const [key, line] of unknown) {
    const [abi, name] = key.split(':') as [string, string];
    warnings.push(`line ${line}: ${name} is no syscall seccomp-ts knows on ${abi}; it is left out (the profile denies it)`);
  }
  return { recording, calls, warnings };
}
