/** Entry point of the `seccomp-ts` executable. */
import { readFile } from 'node:fs/promises';
import type { CliIO } from './command.js';
import { writeOutputFile } from './output-file.js';
import { processOutput } from './output.js';
import { runCli } from './run.js';

async function readAll(stream: NodeJS.ReadableStream): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return new Uint8Array(Buffer.concat(chunks));
}

const io: CliIO = {
  ...processOutput(),
  readStdin: () => readAll(process.stdin),
  readFile: async (path) => new Uint8Array(await readFile(path)),
  writeFile: (path, data) => writeOutputFile(path, data, []),
};

// No top-level await: the CLI is bundled as CommonJS (tsup.config.ts).
void runCli(process.argv.slice(2), io).then((code) => {
  process.exitCode = code;
});
