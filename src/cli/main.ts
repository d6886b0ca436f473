/** Entry point of the `seccomp-ts` executable. */
import { readFile, writeFile } from 'node:fs/promises';
import type { CliIO } from './command.js';
import { runCli } from './run.js';

async function readAll(stream: NodeJS.ReadableStream): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return new Uint8Array(Buffer.concat(chunks));
}

const io: CliIO = {
  stdout: (text) => void process.stdout.write(text),
  stdoutBytes: (bytes) => void process.stdout.write(bytes),
  stderr: (text) => void process.stderr.write(text),
  readStdin: () => readAll(process.stdin),
  readFile: async (path) => new Uint8Array(await readFile(path)),
  writeFile: (path, data) => writeFile(path, data),
  stdoutIsTTY: Boolean(process.stdout.isTTY),
};

process.exitCode = await runCli(process.argv.slice(2), io);
