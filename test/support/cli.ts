/** Runs the CLI in-process with captured I/O. */
import { readFile, writeFile } from 'node:fs/promises';
import type { CliIO } from '../../src/cli/command.js';
import { runCli } from '../../src/cli/run.js';

export interface CliResult {
  code: number;
  stdout: string;
  stdoutBytes: Uint8Array;
  stderr: string;
}

export async function cli(argv: string[], stdin: Uint8Array | string = new Uint8Array(), tty = false): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const bytes: Uint8Array[] = [];
  const io: CliIO = {
    stdout: (t) => { stdout += t; bytes.push(new TextEncoder().encode(t)); },
    stdoutBytes: (b) => { bytes.push(b); stdout += Buffer.from(b).toString('latin1'); },
    stderr: (t) => { stderr += t; },
    readStdin: async () => (typeof stdin === 'string' ? new TextEncoder().encode(stdin) : stdin),
    readFile: async (p) => new Uint8Array(await readFile(p)),
    writeFile: (p, d) => writeFile(p, d),
    stdoutIsTTY: tty,
  };
  const code = await runCli(argv, io);
  return { code, stdout, stderr, stdoutBytes: new Uint8Array(Buffer.concat(bytes)) };
}
