/**
 * The parent's side of launching: resolving CMD through PATH, finding the launcher (bundled, or the TypeScript
 * source run through tsx), spawning it with stdio inherited, and waiting for CMD's end.
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';
import { constants as osConstants } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { LaunchPlan } from './launch-steps.js';

/** CMD could not be found or is not executable: exit 127 or 126, as shells use. */
export class CommandNotFoundError extends Error {
  constructor(message: string, readonly exitCode: 126 | 127) {
    super(message);
    this.name = 'CommandNotFoundError';
  }
}

const DEFAULT_PATH = '/usr/local/bin:/usr/bin:/bin';

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** CMD's path: as given when it has a slash, else the first executable match on PATH (as execvp does). */
export function resolveCommand(name: string, env: NodeJS.ProcessEnv = process.env): string {
  if (name === '') throw new CommandNotFoundError("'': command not found", 127);
  if (name.includes('/')) {
    if (!existsSync(name)) throw new CommandNotFoundError(`${name}: no such file`, 127);
    if (!isExecutableFile(name)) throw new CommandNotFoundError(`${name}: not an executable file`, 126);
    return name;
  }
  for (const dir of (env.PATH ?? DEFAULT_PATH).split(delimiter)) {
    const candidate = join(dir === '' ? '.' : dir, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  throw new CommandNotFoundError(`${name}: command not found`, 127);
}

/**
 * V8 without helper threads in the launcher. Its main thread is filtered from the first installation on, and
 * work a helper thread hands back to it (code compiled in the background, a finished marking, a task posted to
 * the event loop with a write to its eventfd) would arrive there at any moment, as calls the filter judges.
 */
const LAUNCHER_NODE_FLAGS = ['--single-threaded'];

/** How to start the launcher: Node with the bundled script, or with tsx and the source when run from source. */
export function launcherInvocation(): { command: string; args: string[] } {
  // Bundled: beside this module, or under dist/linux/ seen from the CLI or from a shared chunk in dist/.
  for (const relative of ['./launcher.js', '../linux/launcher.js', './linux/launcher.js']) {
    const url = new URL(relative, import.meta.url);
    if (existsSync(url)) return { command: process.execPath, args: [...LAUNCHER_NODE_FLAGS, fileURLToPath(url)] };
  }
  const source = new URL('./launcher.ts', import.meta.url);
  if (existsSync(source)) {
    const tsx = createRequire(import.meta.url).resolve('tsx');
    return { command: process.execPath, args: [...LAUNCHER_NODE_FLAGS, '--import', `file://${tsx}`, fileURLToPath(source)] };
  }
  throw new Error('the launcher script is missing from this installation');
}

/** Encodes the plan as the launcher's argv (JSON, then each filter in base64: each stays under the kernel's 128 KiB). */
export function launcherArgs(plan: LaunchPlan): string[] {
  const json = JSON.stringify({ file: plan.file, argv: plan.argv, listener: plan.listener, passFds: plan.passFds });
  return [json, ...plan.filters.map((f) => Buffer.from(f).toString('base64'))];
}

/** The launcher's command line and full stdio array for `plan` (the plan's `passFds` at their own numbers). */
export function launcherSpawnArgs(plan: LaunchPlan, stdio: StdioOptions = 'inherit'): { command: string; args: string[]; stdio: Exclude<StdioOptions, string> } {
  const { command, args } = launcherInvocation();
  const given: Exclude<StdioOptions, string>[number][] = typeof stdio === 'string' ? [stdio, stdio, stdio] : [...stdio];
  const top = Math.max(given.length - 1, ...plan.passFds);
  const full = Array.from({ length: top + 1 }, (_, fd) => given[fd] ?? (plan.passFds.includes(fd) ? fd : 'ignore'));
  return { command, args: [...args, ...launcherArgs(plan)], stdio: full };
}

/**
 * Spawns the launcher for `plan`; it becomes CMD (same pid). `stdio` gives fds 0-2 (and more, for tests); the
 * plan's `passFds` are put at their own numbers.
 */
export function spawnLauncher(plan: LaunchPlan, stdio: StdioOptions = 'inherit'): ChildProcess {
  const { command, args, stdio: full } = launcherSpawnArgs(plan, stdio);
  return spawn(command, args, { stdio: full, argv0: 'seccomp-ts-launcher' });
}

/** How CMD ended. */
export type Exit = { readonly kind: 'code'; readonly code: number } | { readonly kind: 'signal'; readonly signal: NodeJS.Signals; readonly number: number };

const SIGNAL_NUMBERS = osConstants.signals as Readonly<Record<string, number>>;

/** Resolves when the child has ended and its piped stdio is drained (or failed to start: rejects). */
export function waitForExit(child: ChildProcess): Promise<Exit> {
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
      if (signal !== null) resolve({ kind: 'signal', signal, number: SIGNAL_NUMBERS[signal] ?? 0 });
      else resolve({ kind: 'code', code: code ?? 0 });
    });
  });
}

/** The exit status a shell would report: the code, or 128 + the signal's number. */
export function exitStatus(exit: Exit): number {
  return exit.kind === 'code' ? exit.code : 128 + exit.number;
}
