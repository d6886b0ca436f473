/**
 * The contract every CLI command implements, and the I/O it is given (so tests can run commands in-process).
 */
import { errorMessage } from '../util/error-message.js';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { writeOutputFile, type OutputInput } from './output-file.js';

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
  /** Writes a file as `-o` does: complete or not at all. */
  writeFile(path: string, data: Uint8Array | string): Promise<void>;
  /** True when stdout is a terminal (raw bytes are refused there). */
  readonly stdoutIsTTY: boolean;
}

export interface Command {
  readonly name: string;
  /** Full usage text for `seccomp-ts NAME --help`. */
  readonly usage: string;
  /** Returns the exit code. Throws `CliError` for bad input. */
  run(argv: readonly string[], io: CliIO): Promise<number>;
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** Node's parseArgs message, first sentence only, in the CLI's lower-case style. */
function flagProblem(err: unknown): string {
  const message = errorMessage(err).split('\n')[0] ?? '';
  const unknown = /^Unknown option '([^']*)'/.exec(message);
  if (unknown) return `unknown option '${unknown[1]}' (a value starting with '-' goes after '--')`;
  return message.charAt(0).toLowerCase() + message.slice(1);
}

/** Parses flags strictly; an unknown or malformed flag becomes a `CliError` naming it. */
export function parseFlags<O extends Options>(argv: readonly string[], options: O, command: string) {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true, tokens: true });
  } catch (err) {
    throw new CliError(`${command}: ${flagProblem(err)} (see 'seccomp-ts ${command} --help')`);
  }
  // parseArgs keeps the last of a repeated single-valued flag; a silently dropped value is refused instead.
  const seen = new Set<string>();
  for (const t of parsed.tokens) {
    if (t.kind !== 'option' || options[t.name]?.multiple === true) continue;
    if (seen.has(t.name)) throw new CliError(`${command}: --${t.name} given more than once (see 'seccomp-ts ${command} --help')`);
    seen.add(t.name);
  }
  const { values, positionals } = parsed;
  return { values, positionals };
}

/** MESSAGE starting with `NAME: `, added unless it is there already. */
export const naming = (name: string, message: string): string => (message.startsWith(`${name}: `) ? message : `${name}: ${message}`);

/** How messages name an input: its path, or `<stdin>` for `-`. */
export const inputName = (path: string): string => (path === '-' ? '<stdin>' : path);

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

/**
 * Refuses, before any work, to put raw filter bytes on a terminal (they would garble it); `alternatives` lists the
 * text formats the command offers.
 */
export function refuseRawOnTerminal(raw: boolean, outputFile: string | undefined, io: CliIO, command: string, alternatives: string): void {
  if (raw && outputFile === undefined && io.stdoutIsTTY) {
    throw new CliError(`${command}: refusing to write raw filter bytes to a terminal; use -o FILE, a pipe, or --format ${alternatives}`);
  }
}

/**
 * Writes a command's output to FILE (`-o`), or to stdout. FILE may not be one of INPUTS; a file that cannot be
 * written is a `CliError` naming it, and an existing one is left unchanged (see `writeOutputFile`).
 */
export async function writeOutput(output: Uint8Array | string, outputFile: string | undefined, io: CliIO, inputs: readonly OutputInput[]): Promise<void> {
  if (outputFile !== undefined) {
    await writeOutputFile(outputFile, output, inputs);
  } else if (typeof output === 'string') {
    io.stdout(output);
  } else {
    io.stdoutBytes(output);
  }
}
