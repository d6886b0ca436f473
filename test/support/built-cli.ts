/**
 * The CLI built as `npm run build` builds it (one ESM bundle with the shebang), into a temporary folder so that the
 * working tree's dist/ is left alone; for tests that need a real process (pipes, signals, exit status).
 */
import { execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');

let built: string | undefined;

/** Path of the built CLI (`main.js`), built once per test file. */
export function builtCli(): string {
  if (built !== undefined) return built;
  const out = mkdtempSync(join(tmpdir(), 'seccomp-ts-cli-'));
  execFileSync(process.execPath, [join(ROOT, 'node_modules/tsup/dist/cli-default.js'), '--no-config',
    '--entry.main', 'src/cli/main.ts', '--format', 'esm', '--platform', 'node', '--target', 'node20',
    '--out-dir', out, '--silent'], { cwd: ROOT, stdio: 'pipe' });
  built = join(out, 'main.js');
  return built;
}

/** Runs the built CLI with ARGS in a child process. */
export function runBuiltCli(args: readonly string[], options: { input?: string | Uint8Array; cwd?: string } = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [builtCli(), ...args], { encoding: 'utf8', timeout: 60_000, ...options });
}

/** Runs a bash script with `$CLI` set to a command line that runs the built CLI. */
export function bashWithCli(script: string, cwd?: string): SpawnSyncReturns<string> {
  return spawnSync('bash', ['-c', script], {
    encoding: 'utf8', timeout: 60_000, cwd, env: { ...process.env, CLI: `${process.execPath} ${builtCli()}` },
  });
}
