/** `seccomp-ts record`: runs a command and writes the profile that allows exactly the calls it made. */
import { errorMessage } from '../../util/error-message.js';
import { resolve } from 'node:path';
import { formatRecording, mergeRecordings, parseRecording, RecordingError, type Recording } from '../../record/recording.js';
import { RECORDING_FORMATS as FORMATS, renderRecording, type RecordingFormat } from '../../record/render.js';
import { recordingFromStrace, StraceError } from '../../record/strace.js';
import { parseAction } from '../../syscalls/action-text.js';
import type { Action } from '../../syscalls/actions.js';
import { LINUX_ARCH_NAMES } from '../../syscalls/arch.js';
import { inheritedFds } from '../../linux/fds.js';
import { LinuxUnavailableError } from '../../linux/ffi.js';
import { recordCommand, type RecordResult } from '../../linux/record.js';
import { CommandNotFoundError } from '../../linux/spawn.js';
import { CliError, parseFlags, readInput, type CliIO, type Command } from '../command.js';
import { refuseOutputOntoInput, writeOutputFile, type OutputInput } from '../output-file.js';
import { RUN_FAILED, splitCommand } from './run.js';


/** `record`'s errors carry its own exit status (as `run`'s do), not the usual 2. */
async function withRunStatus(work: Promise<void>): Promise<void> {
  try {
    await work;
  } catch (err) {
    if (err instanceof CliError) throw new CliError(err.message, RUN_FAILED);
    throw err;
  }
}

/**
 * Writes `text` to `path` as every `-o` is written (src/cli/output-file.ts): never onto one of INPUTS, and through
 * a temporary file beside it and a rename, so the file is whole or untouched.
 */
export async function writeAtomically(path: string, text: string, inputs: readonly OutputInput[] = []): Promise<void> {
  await withRunStatus(writeOutputFile(path, text, inputs));
}

async function readRecording(path: string, io: CliIO): Promise<Recording> {
  const text = new TextDecoder().decode(await readInput(path, io));
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new CliError(`${path}: not valid JSON (${errorMessage(err)})`, RUN_FAILED);
  }
  try {
    return parseRecording(json);
  } catch (err) {
    if (err instanceof RecordingError) throw new CliError(`${path}: ${err.message}`, RUN_FAILED);
    throw err;
  }
}

/** One line: how many syscalls and calls on which ABIs. */
function summary(recording: Recording): string {
  const parts = LINUX_ARCH_NAMES.filter((a) => recording.abis[a] !== undefined).map((a) => {
    const table = recording.abis[a]!;
    const calls = Object.values(table).reduce((n, c) => n + c.count, 0);
    return `${Object.keys(table).length} syscalls (${calls} calls) on ${a}`;
  });
  return parts.length > 0 ? parts.join(', ') : 'no calls';
}

/** The options of what record writes, shared by recording a command and reading strace logs. */
const OUTPUT_FLAGS = {
  output: { type: 'string', short: 'o' },
  format: { type: 'string' },
  'default-action': { type: 'string' },
  counts: { type: 'string' },
  merge: { type: 'string', multiple: true },
  'no-conditions': { type: 'boolean' },
} as const;

/** --format and --default-action, checked. */
function outputChoices(values: { format?: string | undefined; 'default-action'?: string | undefined }): { format: RecordingFormat; defaultAction: Action } {
  const format = (values.format ?? 'oci') as RecordingFormat;
  if (!FORMATS.includes(format)) throw new CliError(`record: unknown format '${values.format}' (one of ${FORMATS.join(', ')})`, RUN_FAILED);
  let defaultAction: Action = { kind: 'ERRNO', data: 1 };
  if (values['default-action'] !== undefined) {
    try {
      defaultAction = parseAction(values['default-action']);
    } catch (err) {
      throw new CliError(`record: --default-action: ${errorMessage(err)}`, RUN_FAILED);
    }
    if (defaultAction.kind === 'ALLOW') throw new CliError('record: --default-action ALLOW would allow everything; the profile needs a denying default', RUN_FAILED);
  }
  return { format, defaultAction };
}

/** The profile (and --counts recording) of a recording, written to -o or stdout; one summary line on stderr. */
async function writeRecording(
  recording: Recording,
  how: { format: RecordingFormat; defaultAction: Action; conditions: boolean; output?: string | undefined; counts?: string | undefined },
  inputs: readonly OutputInput[],
  io: CliIO,
): Promise<void> {
  const rendered = renderRecording(recording, how.format, how.defaultAction, how.conditions);
  for (const w of rendered.warnings) io.stderr(`seccomp-ts: warning: ${w}\n`);
  if (how.counts !== undefined) await writeAtomically(how.counts, formatRecording(recording), inputs);
  if (how.output !== undefined) await writeAtomically(how.output, rendered.text, inputs);
  else io.stdout(rendered.text);
  io.stderr(`seccomp-ts: record: ${summary(recording)}${how.output !== undefined ? `; ${how.format} written to ${how.output}` : ''}\n`);
}

/** `record --from-strace LOG…`: the recording strace logs describe, written as record writes one. */
async function fromStrace(argv: readonly string[], io: CliIO): Promise<number> {
  let values;
  try {
    ({ values } = parseFlags(argv, { ...OUTPUT_FLAGS, 'from-strace': { type: 'string', multiple: true } }, 'record'));
  } catch (err) {
    if (err instanceof CliError) throw new CliError(err.message, RUN_FAILED);
    throw err;
  }
  const { format, defaultAction } = outputChoices(values);
  const logs = values['from-strace'] ?? [];
  const inputs: OutputInput[] = [...logs, ...(values.merge ?? [])].map((path) => ({ path, name: path === '-' ? '<stdin>' : path }));
  for (const out of [values.output, values.counts]) if (out !== undefined) await withRunStatus(refuseOutputOntoInput(out, inputs));
  const recordings: Recording[] = [];
  for (const path of values.merge ?? []) recordings.push(await readRecording(path, io));
  for (const path of logs) {
    const name = path === '-' ? '<stdin>' : path;
    let read;
    try {
      read = recordingFromStrace(new TextDecoder().decode(await readInput(path, io)), ['strace', name]);
    } catch (err) {
      if (err instanceof StraceError) throw new CliError(`${name}: ${err.message}`, RUN_FAILED);
      throw err;
    }
    for (const w of read.warnings) io.stderr(`seccomp-ts: warning: ${name}: ${w}\n`);
    recordings.push(read.recording);
  }
  await writeRecording(mergeRecordings(...recordings), {
    format, defaultAction, conditions: values['no-conditions'] !== true, output: values.output, counts: values.counts,
  }, inputs, io);
  return 0;
}

export const recordCommandCli: Command = {
  name: 'record',
  get usage() {
    return [
      'usage: seccomp-ts record [-o FILE] [--format oci|policy|json] [--default-action ACTION] [--counts FILE]',
      '                         [--merge RECORDING]... [--no-conditions] [--timeout SECONDS] -- CMD [ARGS...]',
      '       seccomp-ts record --from-strace LOG [--from-strace LOG]... [-o FILE] [--format …] [--default-action …]',
      '                         [--counts FILE] [--merge RECORDING]... [--no-conditions]',
      '',
      'Runs CMD (stdio, environment and exit status passed through) under a filter that notifies this process',
      'of every syscall of CMD, its threads and its child processes (SECCOMP_RET_USER_NOTIF, answered with',
      'CONTINUE; no privilege needed), then writes a profile that allows exactly what was seen: per ABI (x86_64,',
      'i386 through int $0x80, x32; aarch64 and arm on an arm64 host, and so on), with argument conditions for',
      'socket and socketpair families, personality',
      "personas and clone flags. What was seen is an allow-list, not a proof of what is safe: see docs/live.md.",
      '',
      'options:',
      '  -o, --output F       write the profile to F (atomically: whole, or not at all); default stdout, after CMD',
      '  --format FMT         oci (default: a Docker/OCI profile), policy (seccomp-ts JSON, exact per ABI), json (the',
      '                       recording itself: per-syscall call counts and argument values, for --merge)',
      '  --default-action A   the verdict for everything not seen (default ERRNO(EPERM); e.g. KILL_PROCESS)',
      '  --counts FILE        also write the recording (call counts, argument values) as JSON to FILE',
      '  --merge RECORDING    add an earlier recording (--format json or --counts output); repeatable',
      '  --no-conditions      allow recorded syscalls whatever their arguments',
      '  --timeout SECONDS    end CMD (SIGTERM, then SIGKILL 5 s later) after SECONDS',
      '  --from-strace LOG    instead of running CMD, read what `strace -f -o LOG CMD` printed (-tt, -T, -y and',
      '                       resumed lines understood; a process in 32-bit or x32 mode counted on i386 / x32)',
      '',
      'Ctrl-C or SIGTERM ends CMD the same way; the profile then holds what was seen until then. The exit status',
      "is CMD's (128+N for signal N); 125 when record itself fails, 126/127 when CMD cannot be run.",
      '',
      'examples:',
      '  seccomp-ts record -o ls.json -- ls -l',
      '  seccomp-ts record --format json -o run1.json -- ./app --selftest',
      '  seccomp-ts record --merge run1.json -o app.json --default-action KILL_PROCESS -- ./app --serve',
      '  strace -f -o app.strace ./app && seccomp-ts record --from-strace app.strace -o app.json',
    ].join('\n');
  },
  async run(argv, io) {
    if (!argv.includes('--') && argv.some((a) => a === '--from-strace' || a.startsWith('--from-strace='))) return fromStrace(argv, io);
    const { flags, cmd } = splitCommand(argv, 'record');
    let values;
    try {
      ({ values } = parseFlags(flags, { ...OUTPUT_FLAGS, timeout: { type: 'string' } }, 'record'));
    } catch (err) {
      if (err instanceof CliError) throw new CliError(err.message, RUN_FAILED);
      throw err;
    }
    const { format, defaultAction } = outputChoices(values);
    let timeoutMs: number | undefined;
    if (values.timeout !== undefined) {
      const seconds = Number(values.timeout);
      if (!Number.isFinite(seconds) || seconds <= 0) throw new CliError(`record: --timeout: expected a positive number of seconds, got '${values.timeout}'`, RUN_FAILED);
      timeoutMs = seconds * 1000;
    }
    const earlier: Recording[] = [];
    for (const path of values.merge ?? []) earlier.push(await readRecording(path, io));
    // Checked before CMD runs: a recording refused only once it is made would be lost.
    const inputs: OutputInput[] = (values.merge ?? []).map((path) => ({ path, name: path === '-' ? '<stdin>' : path }));
    for (const out of [values.output, values.counts]) if (out !== undefined) await withRunStatus(refuseOutputOntoInput(out, inputs));
    if (values.output !== undefined && values.counts !== undefined && resolve(values.output) === resolve(values.counts)) {
      throw new CliError(`record: -o and --counts name the same file (${values.output})`, RUN_FAILED);
    }

    const [command, ...args] = cmd as [string, ...string[]];
    let result: RecordResult;
    try {
      result = await recordCommand({ command, args, passFds: inheritedFds(), ...(timeoutMs !== undefined && { timeoutMs }) });
    } catch (err) {
      if (err instanceof LinuxUnavailableError) throw new CliError(`record: ${err.message}`, RUN_FAILED);
      if (err instanceof CommandNotFoundError) throw new CliError(`record: ${err.message}`, err.exitCode);
      throw err;
    }
    if (Object.keys(result.recording.abis).length === 0) {
      const foreign = Object.keys(result.otherArches);
      io.stderr(foreign.length > 0
        ? `seccomp-ts: record: every call of ${command} was of audit arch ${foreign.map((a) => `0x${a}`).join(', ')}, which is no ABI the tables know; nothing written\n`
        : `seccomp-ts: record: no call of ${command} was seen (it did not start); nothing written\n`);
      return result.status === 0 ? RUN_FAILED : result.status;
    }
    // Signals that arrive while the files are written must not leave one half-written.
    const hold = (): void => undefined;
    for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, hold);
    try {
      const recording = mergeRecordings(...earlier, result.recording);
      for (const [arch, n] of Object.entries(result.otherArches)) io.stderr(`seccomp-ts: warning: ${n} calls of audit arch 0x${arch} (no ABI the tables know) are not in the profile\n`);
      if (result.ended !== undefined) io.stderr(`seccomp-ts: record: ${result.ended === 'timeout' ? `--timeout ${values.timeout} s passed` : `${result.ended} received`}: ${command} was ended; the profile holds the calls seen until then\n`);
      await writeRecording(recording, {
        format, defaultAction, conditions: values['no-conditions'] !== true, output: values.output, counts: values.counts,
      }, inputs, io);
    } finally {
      for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(s, hold);
    }
    return result.status;
  },
};
