/**
 * Running a command under one or more filters: the launcher installs them and execs CMD; the parent forwards
 * termination signals, waits, and — when CMD dies of SIGSYS and the kernel log is readable — finds the kernel's
 * record of the call that killed it.
 */
import type { ChildProcess, StdioOptions } from 'node:child_process';
import { encodeProgram } from '../bpf/encode.js';
import type { Program } from '../bpf/instructions.js';
import { parseSeccompRecord, type SeccompRecord } from '../audit/record.js';
import { loadLibc } from './ffi.js';
import { openAuditStream, type AuditStream } from './audit-netlink.js';
import { openKernelLog, type KernelLog } from './kmsg.js';
import { exitStatus, launcherSpawnArgs, resolveCommand, spawnLauncher, waitForExit, type Exit } from './spawn.js';
import { spawnInUserNamespace, type UserNamespaceSpec } from './userns.js';

/** What to run and how. */
export interface RunOptions {
  /** CMD: a path, or a name looked up on PATH. */
  readonly command: string;
  readonly args?: readonly string[];
  /** Installed in this order; the kernel runs them all and the strictest verdict wins. */
  readonly filters: readonly Program[];
  /** CMD's stdio, as child_process takes it (default: inherited). */
  readonly stdio?: StdioOptions;
  /** Forward SIGINT, SIGTERM, SIGHUP and SIGQUIT received by this process to CMD (default true). */
  readonly forwardSignals?: boolean;
  /** Descriptors above 2 that CMD inherits at the same numbers (default none; the CLI passes those it inherited). */
  readonly passFds?: readonly number[];
  /** Start CMD in a new user namespace with these ID maps (root inside unless the spec says otherwise). */
  readonly userNamespace?: UserNamespaceSpec;
  /** Called once the launcher is spawned (to feed or read piped stdio). */
  readonly onSpawn?: (child: ChildProcess) => void;
}

/** How CMD ended. */
export interface RunResult {
  readonly exit: Exit;
  /** The status a shell would report: CMD's own, or 128 + the signal's number. */
  readonly status: number;
  readonly pid: number;
  /** CMD died of SIGSYS, the signal of a seccomp kill (or of an unhandled TRAP). */
  readonly killedBySeccomp: boolean;
  /** The kernel's record of the fatal call, when the kernel log could be read and held it. */
  readonly record?: SeccompRecord;
  /** Why the kernel log could not be read, when it could not. */
  readonly logUnreadable?: string;
}

const FORWARDED: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];
const RECORD_WAIT_MS = 500;

/** The fatal call's record among new audit lines: pid `pid`, signal 31; waits briefly for kauditd. */
async function findKillRecord(sources: readonly { readNew(): string[] }[], pid: number): Promise<SeccompRecord | undefined> {
  const deadline = Date.now() + RECORD_WAIT_MS;
  for (;;) {
    for (const line of sources.flatMap((s) => s.readNew())) {
      let record: SeccompRecord | undefined;
      try {
        record = parseSeccompRecord(line);
      } catch {
        continue;
      }
      if (record?.pid === pid && record.signal === '31') return record;
    }
    if (Date.now() > deadline) return undefined;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Runs CMD under `filters`; resolves with how it ended. Throws `LinuxUnavailableError` or `CommandNotFoundError`. */
export async function runFiltered(options: RunOptions): Promise<RunResult> {
  loadLibc(); // fail here, clearly, rather than in the launcher
  const file = resolveCommand(options.command);
  let logUnreadable: string | undefined;
  // The audit multicast sees records whether or not auditd runs, without printk's rate limit; the kernel log is
  // the fallback (both need root).
  const stream = openAuditStream();
  const log = openKernelLog((code) => { logUnreadable = code; });
  const sources = [stream, log].filter((s): s is KernelLog | AuditStream => s !== undefined);
  const plan = {
    file, argv: [options.command, ...(options.args ?? [])], filters: options.filters.map(encodeProgram), listener: false,
    passFds: options.passFds ?? [],
  };
  let child: ChildProcess;
  if (options.userNamespace === undefined) {
    child = spawnLauncher(plan, options.stdio ?? 'inherit');
  } else {
    const launcher = launcherSpawnArgs(plan, options.stdio ?? 'inherit');
    try {
      ({ child } = await spawnInUserNamespace(launcher.command, launcher.args, options.userNamespace, launcher.stdio));
    } catch (err) {
      log?.close();
      stream?.close();
      throw err;
    }
  }
  const forward = (signal: NodeJS.Signals): void => void child.kill(signal);
  if (options.forwardSignals !== false) for (const s of FORWARDED) process.on(s, forward);
  try {
    const exited = waitForExit(child);
    options.onSpawn?.(child);
    const exit = await exited;
    const pid = child.pid ?? 0;
    const killedBySeccomp = exit.kind === 'signal' && exit.signal === 'SIGSYS';
    const record = killedBySeccomp && sources.length > 0 ? await findKillRecord(sources, pid) : undefined;
    return {
      exit, status: exitStatus(exit), pid, killedBySeccomp,
      ...(record !== undefined && { record }), ...(sources.length === 0 && { logUnreadable: logUnreadable ?? 'unknown' }),
    };
  } finally {
    if (options.forwardSignals !== false) for (const s of FORWARDED) process.off(s, forward);
    log?.close();
    stream?.close();
  }
}
