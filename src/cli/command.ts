/**
 * The contract every CLI command implements, and the I/O it is given (so tests can run commands in-process).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** An error the user caused: printed as one line on stderr, never with a stack trace. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode = 2) {
    super(message);
    this.name = 'CliError';
  }
}

export interface CliIO {
  stdout(text: string): void;
  stdoutBytes(bytes: Uint8Array): void;
  stderr(text: string): void;
  readStdin(): Promise<Uint8Array>;
  readFile(path: string): Promise<Uint8Array>;
  writeFile(path: string, data: Uint8Array | string): Promise<void>;
  /** True when stdout is a terminal (raw bytes are refused there). */
  readonly stdoutIsTTY: boolean;
}

export interface Command {
  readonly name: string;
  /** One line for `seccomp-ts --help`. */
  readonly summary: string;
  /** Full usage text for `seccomp-ts NAME --help`. */
  readonly usage: string;
  /** Returns the exit code. Throws `CliError` for bad input. */
  run(argv: readonly string[], io: CliIO): Promise<number>;
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** Parses flags strictly; an unknown or malformed flag becomes a `CliError` naming it. */
export function parseFlags<O extends Options>(argv: readonly string[], options: O, command: string) {
  try {
    return parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (err) {
    const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new CliError(`${command}: ${message} (see 'seccomp-ts ${command} --help')`);
  }
}

/** Reads FILE, or stdin for `-`; a missing file is a `CliError` naming it. */
export async function readInput(path: string, io: CliIO): Promise<Uint8Array> {
  if (path === '-') return io.readStdin();
  try {
    return await io.readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliError(`${path}: cannot read file${code ? ` (${code})` : ''}`);
  }
}
