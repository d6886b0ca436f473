/**
 * The process's standard output and error as the CLI writes them. A reader that goes away early (`| head`) ends
 * the process quietly with status 141, what a shell reports for `cat` killed by SIGPIPE (Node ignores SIGPIPE, so
 * the status is set rather than the signal raised); any other failure to write is one line and status 2.
 */
import { writeSync } from 'node:fs';
import type { CliIO } from './command.js';

/** The exit status after a closed pipe: 128 + SIGPIPE, as a shell shows for `cat` in `cat big | head -1`. */
export const EXIT_BROKEN_PIPE = 141;

/** The exit status when stdout or stderr fails otherwise (a full disk, an I/O error). */
export const EXIT_OUTPUT_FAILED = 2;

type StreamName = 'stdout' | 'stderr';

let ending = false;

/** Ends the process after a failed write to stdout or stderr, without a stack trace. */
function endOnWriteError(stream: StreamName, err: unknown): void {
  if (ending) return;
  ending = true;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EPIPE') process.exit(EXIT_BROKEN_PIPE);
  if (stream === 'stdout') {
    try {
      writeSync(2, `seccomp-ts: cannot write to stdout${code ? ` (${code})` : ''}\n`);
    } catch {
      // stderr is gone too: the status is all that is left to tell.
    }
  }
  process.exit(EXIT_OUTPUT_FAILED);
}

let guarded = false;

/**
 * Catches write failures of stdout and stderr however they surface: as an 'error' event (pipes and files report
 * them asynchronously) or thrown by `write` itself.
 */
export function guardStandardStreams(): void {
  if (guarded) return;
  guarded = true;
  process.stdout.on('error', (err) => endOnWriteError('stdout', err));
  process.stderr.on('error', (err) => endOnWriteError('stderr', err));
}

function writer(stream: StreamName): (data: string | Uint8Array) => void {
  const target = stream === 'stdout' ? process.stdout : process.stderr;
  return (data) => {
    if (ending) return;
    try {
      target.write(data, (err) => {
        if (err) endOnWriteError(stream, err);
      });
    } catch (err) {
      endOnWriteError(stream, err);
    }
  };
}

/** The CLI's output functions on the real stdout and stderr, with the streams guarded. */
export function processOutput(): Pick<CliIO, 'stdout' | 'stdoutBytes' | 'stderr' | 'stdoutIsTTY'> {
  guardStandardStreams();
  const out = writer('stdout');
  const err = writer('stderr');
  return { stdout: out, stdoutBytes: out, stderr: err, stdoutIsTTY: Boolean(process.stdout.isTTY) };
}
