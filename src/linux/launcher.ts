/**
 * The launcher process: spawned by `run`/`record` with stdio inherited, it installs the filters on its own main
 * thread and execs CMD. Node is multithreaded, so the filter cannot be installed in the parent and inherited by
 * a fork; this process is the one that becomes CMD.
 *
 * argv: launcher PLAN_JSON FILTER_BASE64...
 */
import { errorMessage } from '../util/error-message.js';
import { writeSync } from 'node:fs';
import { loadLibc, type Libc } from './ffi.js';
import { installFiltersAndExec, keepInheritedFds, LaunchError, prepareLaunch, setNoNewPrivs, type LaunchPlan } from './launch-steps.js';

let libc: Libc | undefined;

/**
 * Says why and exits. Once libc is loaded this is one write and _exit: the filters may be in force, and Node's
 * own exit (joining threads, freeing memory) makes calls they may deny, which would end in SIGSYS instead.
 */
function fail(message: string, code: number): never {
  const text = Buffer.from(`seccomp-ts: ${message}\n`);
  if (libc !== undefined) {
    libc.write(2, text); // stderr closed or denied by the filter: the exit status still tells
    libc.exitNow(code);
  }
  try {
    writeSync(2, text);
  } catch {
    // stderr is closed: the exit status still tells.
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
  libc = loadLibc();
  keepInheritedFds(libc, plan);
  setNoNewPrivs(libc);
  installFiltersAndExec(libc, plan, prepareLaunch(plan, process.env));
} catch (err) {
  if (err instanceof LaunchError) fail(err.message, err.exitCode);
  fail(`launcher: ${errorMessage(err)}`, 125);
}
