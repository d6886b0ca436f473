/**
 * Recording what a command calls, without privilege: the launcher installs a filter whose only verdict is
 * SECCOMP_RET_USER_NOTIF (with a listener), this process takes the listener, counts each call it is told of and
 * lets it continue. Threads and children inherit the filter, so every call of the whole process tree is seen.
 */
import type { ChildProcess, StdioOptions } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { encodeProgram } from '../bpf/encode.js';
import { ins } from '../bpf/instructions.js';
import { addCall, emptyRecording, type Recording } from '../record/recording.js';
import { SECCOMP_RET_USER_NOTIF } from '../syscalls/actions.js';
import { AUDIT_ARCH_I386, AUDIT_ARCH_X86_64, X32_SYSCALL_BIT, archesOfAuditArch, type LinuxArchName } from '../syscalls/arch.js';
import { loadLibc, type Libc } from './ffi.js';
import { copyFd, findListenerFd, Listener, type Notification } from './notify.js';
import { exitStatus, resolveCommand, spawnLauncher, waitForExit, type Exit } from './spawn.js';

/** What `recordCommand` runs and how it records (command, timeout, output). */
export interface RecordOptions {
  readonly command: string;
  readonly args?: readonly string[];
  readonly stdio?: StdioOptions;
  /** Descriptors above 2 that CMD inherits at the same numbers (default none). */
  readonly passFds?: readonly number[];
  /** Forward SIGINT, SIGTERM and SIGHUP to CMD and end the recording (default true). */
  readonly handleSignals?: boolean;
  /** End CMD (SIGTERM, then SIGKILL after the grace period) after this many milliseconds. */
  readonly timeoutMs?: number;
  /** How long CMD has to end after SIGTERM before it and its descendants get SIGKILL (default 5000 ms). */
  readonly graceMs?: number;
  readonly onSpawn?: (child: ChildProcess) => void;
}

/** What a recorded run gave: the recording and how the command ended. */
export interface RecordResult {
  readonly exit: Exit;
  readonly status: number;
  readonly recording: Recording;
  /** Calls from ABIs other than x86_64, i386 and x32 (by audit arch, hex → count). */
  readonly otherArches: Readonly<Record<string, number>>;
  /** Why the recording was ended early, if it was. */
  readonly ended?: 'timeout' | NodeJS.Signals;
}

/** The recording filter: every call of every ABI is notified. */
const NOTIFY_ALL = encodeProgram([ins.ret(SECCOMP_RET_USER_NOTIF)]);
const PR_SET_CHILD_SUBREAPER = 36;
const LISTENER_WAIT_MS = 20_000;

/** The ABI of a notified call and its number there (x32's without the x32 bit); undefined for an unknown arch. */
export function abiOf(arch: number, nr: number): { abi: LinuxArchName; nr: number } | undefined {
  if (arch === AUDIT_ARCH_I386) return { abi: 'i386', nr };
  if (arch === AUDIT_ARCH_X86_64) {
    return (nr & X32_SYSCALL_BIT) !== 0 ? { abi: 'x32', nr: (nr & ~X32_SYSCALL_BIT) >>> 0 } : { abi: 'x86_64', nr };
  }
  // aarch64 and arm on an arm64 host, s390x and s390, … (mips and mipsel differ in their arch value).
  const abi = archesOfAuditArch(arch)[0];
  return abi === undefined ? undefined : { abi, nr };
}

/** Every process below `root` in the process tree (by parent links in /proc). */
function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(name));
      children.set(ppid, list);
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const queue = [root];
  while (queue.length > 0) for (const c of children.get(queue.shift()!) ?? []) { out.push(c); queue.push(c); }
  return out;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Waits for the child's listener and copies it; undefined when the child ended first. */
async function takeListener(libc: Libc, child: ChildProcess, done: () => boolean): Promise<Listener | undefined> {
  const pid = child.pid!;
  const deadline = Date.now() + LISTENER_WAIT_MS;
  for (;;) {
    const fd = findListenerFd(pid);
    if (fd !== undefined) return new Listener(libc, copyFd(libc, pid, fd));
    if (done()) return undefined;
    if (Date.now() > deadline) throw new Error(`the launcher made no seccomp listener within ${LISTENER_WAIT_MS / 1000} s`);
    await sleep(1);
  }
}

/** Runs CMD under the recording filter and returns what it and its threads and children called. */
export async function recordCommand(options: RecordOptions): Promise<RecordResult> {
  const libc = loadLibc();
  const file = resolveCommand(options.command);
  // Orphaned descendants become this process's children, so that an interrupted recording can end them all.
  libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  const child = spawnLauncher({
    file, argv: [options.command, ...(options.args ?? [])], filters: [NOTIFY_ALL], listener: true,
    passFds: options.passFds ?? [],
  }, options.stdio ?? 'inherit');
  let exited = false;
  const exit = waitForExit(child).finally(() => { exited = true; });
  options.onSpawn?.(child);

  let ended: RecordResult['ended'];
  let killTimer: NodeJS.Timeout | undefined;
  const end = (why: 'timeout' | NodeJS.Signals): void => {
    if (ended !== undefined) return;
    ended = why;
    // CMD and everything it started (orphans included: this process is their subreaper).
    const signalAll = (signal: NodeJS.Signals): void => {
      for (const pid of new Set([child.pid!, ...descendants(process.pid)])) {
        try {
          process.kill(pid, signal);
        } catch {
          // already gone
        }
      }
    };
    signalAll(why === 'timeout' ? 'SIGTERM' : why);
    killTimer = setTimeout(() => signalAll('SIGKILL'), options.graceMs ?? 5000);
  };
  const onSignal = (signal: NodeJS.Signals): void => end(signal);
  const signals: NodeJS.Signals[] = options.handleSignals === false ? [] : ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of signals) process.on(s, onSignal);
  const timeout = options.timeoutMs !== undefined ? setTimeout(() => end('timeout'), options.timeoutMs) : undefined;

  const recording = emptyRecording();
  recording.runs.push([options.command, ...(options.args ?? [])]);
  const otherArches: Record<string, number> = {};
  const count = (n: Notification): void => {
    const call = abiOf(n.arch, n.nr);
    if (call === undefined) {
      const key = n.arch.toString(16);
      otherArches[key] = (otherArches[key] ?? 0) + 1;
    } else {
      addCall(recording, call.abi, call.nr, n.args);
    }
  };

  try {
    const listener = await takeListener(libc, child, () => exited);
    if (listener !== undefined) {
      try {
        let handled = 0;
        for (;;) {
          let state = listener.poll(0);
          if (state === 'idle') {
            await yieldToEventLoop();
            state = listener.poll(20);
          }
          if (state === 'closed') break;
          if (state === 'ready') {
            const n = listener.receiveAndContinue();
            if (n !== undefined) count(n);
            if (++handled % 256 === 0) await yieldToEventLoop();
          }
        }
      } finally {
        listener.close();
      }
    }
    const how = await exit;
    return { exit: how, status: exitStatus(how), recording, otherArches, ...(ended !== undefined && { ended }) };
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  } finally {
    for (const s of signals) process.off(s, onSignal);
    if (timeout !== undefined) clearTimeout(timeout);
    if (killTimer !== undefined) clearTimeout(killTimer);
  }
}
