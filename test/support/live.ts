/** Running the CLI and the launcher against the real kernel: what the machine offers, and a CLI subprocess. */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { linuxUnavailable } from '../../src/linux/ffi.js';
import type { Missing } from './require.js';

export const CLI_MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const TSX = `file://${createRequire(import.meta.url).resolve('tsx')}`;

/** Why `run`/`record` cannot be tested here, or undefined. */
export const kernelMissing: Missing = linuxUnavailable();

/** Why the tests cannot also run as an unprivileged user (uid 65534), or undefined. */
export function unprivilegedMissing(): Missing {
  if (kernelMissing !== undefined) return kernelMissing;
  if (process.getuid?.() !== 0) return undefined; // already unprivileged: the same tests run as this user
  const probe = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e',
    `require('fs').accessSync(${JSON.stringify(CLI_MAIN)}, require('fs').constants.R_OK)`], { encoding: 'utf8', timeout: 20_000 });
  if (probe.error) return 'setpriv (util-linux) is missing';
  if (probe.status !== 0) return `uid 65534 cannot read the sources (${CLI_MAIN}): the checkout is not world-readable`;
  return undefined;
}

/** Whether the kernel log is readable here (root), for tests that check the kernel's own records. */
export const kernelLogMissing = (): Missing =>
  kernelMissing ?? (process.getuid?.() === 0 ? undefined : 'reading the kernel log needs root');

export interface CliRun {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `seccomp-ts ARGS` as a separate process (as uid 65534 when `unprivileged` and root). */
export function cliProcess(args: readonly string[], options: { unprivileged?: boolean; input?: string | Uint8Array; env?: NodeJS.ProcessEnv; cwd?: string } = {}): CliRun {
  const node = [process.execPath, '--import', TSX, CLI_MAIN, ...args];
  const drop = options.unprivileged === true && process.getuid?.() === 0;
  const argv = drop ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', ...node] : node;
  const r = spawnSync(argv[0]!, argv.slice(1), {
    encoding: 'utf8', timeout: 60_000, input: options.input ?? '', env: options.env ?? process.env, ...(options.cwd !== undefined && { cwd: options.cwd }),
  });
  if (r.error) throw r.error;
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** A fresh temporary folder every user can write to (for tests that drop privileges); removed by the returned function. */
export function sharedTempDir(prefix: string): { dir: string; remove: () => void; write: (name: string, text: string) => string } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o777);
  return {
    dir,
    remove: () => rmSync(dir, { recursive: true, force: true }),
    write: (name, text) => {
      const path = join(dir, name);
      writeFileSync(path, text);
      chmodSync(path, 0o644);
      return path;
    },
  };
}
