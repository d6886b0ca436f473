/**
 * The launcher process: spawned by `run`/`record` with stdio inherited, it installs the filters on its own main
 * thread and execs CMD. Node is multithreaded, so the filter cannot be installed in the parent and inherited by
 * a fork; this process is the one that becomes CMD.
 *
 * argv: launcher PLAN_JSON FILTER_BASE64...
 */
import { errorMessage } from '../util/error-message.js';
import { writeSync } from 'node:fs';
import { loadLibc } from './ffi.js';
import { execCommand, installFilters, keepInheritedFds, LaunchError, setNoNewPrivs, type LaunchPlan } from './launch-steps.js';

function fail(message: string, code: number): never {
  try {
    writeSync(2, `seccomp-ts: ${message}\n`);
  } catch {
    // stderr is closed or denied by the filter: the exit status still tells.
  }
  process.exit(code);
}

function readPlan(args: readonly string[]): LaunchPlan {
  const [json, ...filters] = args;
  const parsed = JSON.parse(json ?? '{}') as { file: string; argv: string[]; listener?: boolean; passFds?: number[] };
  return {
    file: parsed.file, argv: parsed.argv, listener: parsed.listener === true, passFds: parsed.passFds ?? [],
    filters: filters.map((f) => new Uint8Array(Buffer.from(f, 'base64'))),
  };
}

try {
  const plan = readPlan(process.argv.slice(2));
  const libc = loadLibc();
  keepInheritedFds(libc, plan);
  setNoNewPrivs(libc);
  installFilters(libc, plan);
  execCommand(libc, plan, process.env);
} catch (err) {
  if (err instanceof LaunchError) fail(err.message, err.exitCode);
  fail(`launcher: ${errorMessage(err)}`, 125);
}
