/** Dispatches argv to a command and turns every failure into a message and an exit code. */
import { errorMessage } from '../util/error-message.js';
import { CliError, type CliIO } from './command.js';
import { commands } from './commands/index.js';
import { VERSION } from './version.js';

function help(): string {
  const width = Math.max(...commands.map((c) => c.name.length), 4);
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return ['usage: seccomp-ts COMMAND [ARGS...]', '       seccomp-ts --version', '', 'commands:', ...lines, '',
    "Run 'seccomp-ts COMMAND --help' for a command's options; 'seccomp-ts --version' (-V) prints the version."].join('\n') + '\n';
}

/** The longest line a message on stderr may have; anything past it is counted, not printed. */
export const MESSAGE_LINE_MAX = 1000;

/** TEXT with every line longer than `MESSAGE_LINE_MAX` cut, saying how much was left out. */
export function boundLines(text: string): string {
  if (text.length <= MESSAGE_LINE_MAX) return text;
  return text.split('\n').map((line) => (line.length <= MESSAGE_LINE_MAX
    ? line
    : `${line.slice(0, MESSAGE_LINE_MAX)}… (${line.length - MESSAGE_LINE_MAX} more characters)`)).join('\n');
}

/** Runs the CLI; returns the exit code (0 ok, 1 a negative answer such as "invalid", 2 bad usage or input). */
export async function runCli(argv: readonly string[], cliIO: CliIO): Promise<number> {
  // Every message and warning stays one line of bounded length, whatever the input echoed in it.
  const io: CliIO = { ...cliIO, stderr: (text) => cliIO.stderr(boundLines(text)) };
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.stderr(help());
    return 2;
  }
  if (name === '--version' || name === '-V') {
    io.stdout(`seccomp-ts ${VERSION}\n`);
    return 0;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    io.stdout(help());
    return 0;
  }
  const entry = commands.find((c) => c.name === name);
  if (!entry) {
    io.stderr(`seccomp-ts: unknown command '${name}' (commands: ${commands.map((c) => c.name).join(', ')})\n`);
    return 2;
  }
  const command = await entry.load();
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout(command.usage.endsWith('\n') ? command.usage : `${command.usage}\n`);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof CliError) {
      io.stderr(`seccomp-ts: ${err.message}\n`);
      return err.exitCode;
    }
    const message = errorMessage(err);
    io.stderr(`seccomp-ts: ${name}: ${message}\n`);
    if (process.env.SECCOMP_TS_DEBUG && err instanceof Error && err.stack) io.stderr(`${err.stack}\n`);
    return 2;
  }
}
