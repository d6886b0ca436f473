/** Running the CLI and the launcher against the real kernel: what the machine offers, and a CLI subprocess. */
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { buildSync, type BuildOptions } from 'esbuild';
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
  const probe = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'true'], { encoding: 'utf8', timeout: 20_000 });
  if (probe.error || probe.status !== 0) return 'setpriv (util-linux) is missing or cannot drop to uid 65534';
  return undefined;
}

let bundled: string | undefined;

/**
 * The CLI and its launcher bundled into a folder every user can read (the checkout may not be), with koffi beside
 * them, laid out as in dist/: cli/main.js, linux/launcher.js, node_modules/. Built once per test file.
 */
export function worldReadableCli(): string {
  if (bundled !== undefined) return bundled;
  const root = mkdtempSync(join(tmpdir(), 'seccomp-ts-live-cli-'));
  leftovers.add(root);
  const common: BuildOptions = { bundle: true, platform: 'node', format: 'esm', target: 'node20', external: ['koffi', 'fast-check'], logLevel: 'silent' };
  buildSync({ ...common, entryPoints: [CLI_MAIN], outfile: join(root, 'cli', 'main.js') });
  buildSync({ ...common, entryPoints: [fileURLToPath(new URL('../../src/linux/launcher.ts', import.meta.url))], outfile: join(root, 'linux', 'launcher.js') });
  writeFileSync(join(root, 'package.json'), '{"type":"module"}\n');
  const modules = fileURLToPath(new URL('../../node_modules/', import.meta.url));
  for (const pkg of ['koffi', `@koromix/koffi-${process.platform}-${process.arch}`]) {
    if (existsSync(join(modules, pkg))) cpSync(join(modules, pkg), join(root, 'node_modules', pkg), { recursive: true });
  }
  spawnSync('chmod', ['-R', 'a+rX', root]);
  bundled = join(root, 'cli', 'main.js');
  return bundled;
}

/** Removes the bundle made by `worldReadableCli`, if any. */
export function removeWorldReadableCli(): void {
  if (bundled !== undefined) {
    const root = join(bundled, '..', '..');
    rmSync(root, { recursive: true, force: true });
    leftovers.delete(root);
  }
  bundled = undefined;
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
export function cliProcess(args: readonly string[], options: { unprivileged?: boolean; input?: string | Uint8Array; env?: NodeJS.ProcessEnv; cwd?: string; fd3?: number } = {}): CliRun {
  const drop = options.unprivileged === true && process.getuid?.() === 0;
  const node = drop ? [process.execPath, worldReadableCli(), ...args] : [process.execPath, '--import', TSX, CLI_MAIN, ...args];
  const argv = drop ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', ...node] : node;
  const r = spawnSync(argv[0]!, argv.slice(1), {
    encoding: 'utf8', timeout: 60_000, input: options.input ?? '', env: options.env ?? process.env, ...(options.cwd !== undefined && { cwd: options.cwd }),
    ...(options.fd3 !== undefined && { stdio: ['pipe', 'pipe', 'pipe', options.fd3] }),
  });
  if (r.error) throw r.error;
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** Folders to remove when the test process ends, whatever happened to the hooks that remove them earlier. */
const leftovers = new Set<string>();
process.once('exit', () => {
  for (const dir of leftovers) rmSync(dir, { recursive: true, force: true });
});

/** A fresh temporary folder every user can write to (for tests that drop privileges); removed by the returned function. */
export function sharedTempDir(prefix: string): { dir: string; remove: () => void; write: (name: string, text: string) => string } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  leftovers.add(dir);
  chmodSync(dir, 0o777);
  return {
    dir,
    remove: () => {
      rmSync(dir, { recursive: true, force: true });
      leftovers.delete(dir);
    },
    write: (name, text) => {
      const path = join(dir, name);
      writeFileSync(path, text);
      chmodSync(path, 0o644);
      return path;
    },
  };
}

/** Pids of the running processes whose argv is exactly `argv` (read from /proc, so no procps is needed). */
export function processesWithArgv(argv: readonly string[]): number[] {
  const wanted = `${argv.join('\0')}\0`;
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8') === wanted) pids.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}
