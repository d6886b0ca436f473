/** `seccomp-ts run`: runs a command with filters installed, its stdio, environment and exit status passed through. */
import { complainProgram, ComplainError } from '../../bpf/complain.js';
import type { Program } from '../../bpf/instructions.js';
import { validate } from '../../bpf/validator.js';
import { inheritedFds } from '../../linux/fds.js';
import { LinuxUnavailableError } from '../../linux/ffi.js';
import { runFiltered, type RunResult } from '../../linux/run.js';
import { CommandNotFoundError } from '../../linux/spawn.js';
import { UserNamespaceError, type UserNamespaceSpec } from '../../linux/userns.js';
import { namespaceSpec } from '../userns-maps.js';
import { CliError, parseFlags, type CliIO, type Command } from '../command.js';
import { applyTuning } from '../options.js';
import { compileLoaded, loadFilterSource, loadPolicySource, profileOptionHelp, sourceName, sourceOf, type Source } from '../inputs.js';

/** run's own failures (bad input, no kernel access) use 125, so that CMD's statuses stay its own (as env(1) does). */
export const RUN_FAILED = 125;

/** argv split at the first `--`: the flags before it, CMD and its arguments after. */
export function splitCommand(argv: readonly string[], command: string): { flags: string[]; cmd: string[] } {
  const at = argv.indexOf('--');
  if (at < 0) throw new CliError(`${command}: put the command after '--' (e.g. seccomp-ts ${command} ... -- ls -l)`, RUN_FAILED);
  const cmd = argv.slice(at + 1);
  if (cmd.length === 0) throw new CliError(`${command}: no command after '--'`, RUN_FAILED);
  return { flags: argv.slice(0, at), cmd };
}

/** Re-raises a CliError of input loading with run's exit status. */
async function asRunFailure<T>(work: () => Promise<T> | T): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof CliError) throw new CliError(err.message, RUN_FAILED);
    throw err;
  }
}

/** Loads one source as a filter, tuned first when `tune` has entries (the source must then be a policy). */
async function loadOne(source: Source, tune: readonly string[], io: CliIO): Promise<{ program: Program; name: string }> {
  if (tune.length === 0) return loadFilterSource(source, io, { command: 'run' });
  const loaded = await loadPolicySource(source, io, { command: 'run' });
  const policy = applyTuning(loaded.policy, tune, 'run');
  return { program: compileLoaded(policy, loaded.name, true).program, name: loaded.name };
}

/** The filters in installation order, checked as the kernel would and turned to LOG with --complain. */
export async function loadRunFilters(sources: readonly Source[], tune: readonly string[], complain: boolean, io: CliIO): Promise<Program[]> {
  if (tune.length > 0 && sources.length !== 1) {
    throw new CliError(`run: --tune applies to one policy, and ${sources.length} inputs were given (tune each with 'seccomp-ts compile')`);
  }
  const programs: Program[] = [];
  for (const source of sources) {
    const { program, name } = await loadOne(source, tune, io);
    const verdict = validate(program);
    if (!verdict.ok) {
      const first = verdict.errors[0]!;
      throw new CliError(`${name}: ${first.message} (the kernel would refuse this filter; see 'seccomp-ts check')`);
    }
    try {
      programs.push(complain ? complainProgram(program) : program);
    } catch (err) {
      if (err instanceof ComplainError) throw new CliError(`${name}: --complain: ${err.message}`);
      throw err;
    }
  }
  return programs;
}

/** The one line `run` prints when CMD dies of SIGSYS. */
export function killMessage(cmd: string, result: RunResult): string {
  const base = `${cmd} was killed by its seccomp filter (SIGSYS)`;
  const r = result.record;
  if (r !== undefined) {
    const call = r.syscall ?? `syscall ${r.nr ?? '?'}`;
    return `${base}: the filter returned ${r.action} for ${call} (${r.abi ?? `arch ${r.arch}`})`;
  }
  if (result.logUnreadable !== undefined) return `${base}; the kernel's audit record names the call but is readable by root only (${result.logUnreadable}); as root: seccomp-ts audit`;
  return `${base}; no audit record of the call arrived (TRAP is not logged, and kernel.seccomp.actions_logged may leave kills out)`;
}

/** The user namespace `--userns`, `--userns-gid` and `--userns-user` ask for, if any. */
async function userNamespaceOption(value: string | undefined, gidValue: string | undefined, user: string | undefined, io: CliIO): Promise<UserNamespaceSpec | undefined> {
  if (value === undefined) {
    if (gidValue !== undefined || user !== undefined) throw new CliError(`run: --userns-${gidValue !== undefined ? 'gid' : 'user'} needs --userns`);
    return undefined;
  }
  const spec = await namespaceSpec(value, gidValue, io);
  if (user === undefined) return spec;
  const m = /^(0|[1-9][0-9]{0,9})(?::(0|[1-9][0-9]{0,9}))?$/.exec(user);
  if (m === null) throw new CliError(`run: --userns-user "${user.slice(0, 24)}" is not UID or UID:GID`);
  const uid = Number(m[1]);
  return { ...spec, uid, gid: m[2] === undefined ? uid : Number(m[2]) };
}

export const runCommand: Command = {
  name: 'run',
  get usage() {
    return [
      'usage: seccomp-ts run [FILE|profile:NAME | --profile NAME] [--filter FILE]... [--tune ENTRY]... [--complain]',
      '                      -- CMD [ARGS...]',
      '',
      'Runs CMD with the filters installed (no_new_privs, then seccomp(SECCOMP_SET_MODE_FILTER), in the order',
      'given), as an unprivileged user too. FILE is anything other commands read: a filter in any format, a',
      'seccomp-ts policy, a Docker/OCI profile or OCI config.json, or a built-in profile. CMD keeps stdin, stdout,',
      'stderr, other open fds and the environment; run exits with CMD\'s status (128+N for signal N). When CMD',
      "dies of a seccomp kill, one line on stderr says so and, where the kernel's audit records are readable (root),",
      'names the call.',
      '',
      'options:',
      profileOptionHelp(17),
      '  --filter FILE    one more filter, installed after the ones before it; repeatable',
      '  --tune ENTRY     allow:NAME, deny:NAME or deny:all applied to the (single) policy; repeatable',
      '  --complain       every verdict other than ALLOW becomes LOG: nothing is denied, the kernel logs what',
      '                   would have been (read it with seccomp-ts audit)',
      '  --userns MAP     start CMD in a new user namespace: MAP is CONTAINER:HOST:SIZE[,…] or a file (as',
      '                   seccomp-ts userns reads), "own" (your uid and gid become root inside) or "remap" (your',
      '                   ranges in /etc/subuid and /etc/subgid; unprivileged, with your own id as root first).',
      '                   Root writes the maps itself; other users through newuidmap/newgidmap (package uidmap)',
      '  --userns-gid MAP the gid map, when it differs from the uid map',
      '  --userns-user UID[:GID]  the IDs CMD runs as inside (default 0:0)',
      '',
      'exit status: CMD\'s; 125 when run itself fails (bad input, no kernel access), 126 CMD not executable,',
      '127 CMD not found.',
      '',
      'examples:',
      '  seccomp-ts run --profile docker-default -- ls -l',
      '  seccomp-ts run policy.json --tune deny:mkdir -- mkdir /tmp/x',
      '  seccomp-ts run --complain profile.json -- ./server',
      '  seccomp-ts run --profile docker-default --userns 0:100000:65536 -- id',
    ].join('\n');
  },
  async run(argv, io) {
    const { flags, cmd } = splitCommand(argv, 'run');
    const { values, positionals } = await asRunFailure(() => parseFlags(flags, {
      profile: { type: 'string' },
      filter: { type: 'string', multiple: true },
      tune: { type: 'string', multiple: true },
      complain: { type: 'boolean' },
      userns: { type: 'string' },
      'userns-gid': { type: 'string' },
      'userns-user': { type: 'string' },
    }, 'run'));
    if (positionals.length > 1) throw new CliError(`run: one FILE before '--' (got ${positionals.join(' ')}); more filters go with --filter`, RUN_FAILED);
    if (positionals.length === 1 && values.profile !== undefined) throw new CliError(`run: give either FILE (${positionals[0]}) or --profile ${values.profile}, not both`, RUN_FAILED);
    const sources: Source[] = [
      ...positionals.map(sourceOf),
      ...(values.profile !== undefined ? [{ kind: 'profile', profile: values.profile } as const] : []),
      ...(values.filter ?? []).map(sourceOf),
    ];
    if (sources.length === 0) throw new CliError("run: name a filter: FILE, --profile NAME or --filter FILE (see 'seccomp-ts run --help')", RUN_FAILED);
    if (sources.filter((s) => s.kind === 'file' && s.path === '-').length > 1) throw new CliError('run: stdin (-) can be read once', RUN_FAILED);
    if (sources.some((s) => s.kind === 'file' && s.path === '-')) {
      // CMD inherits stdin; a filter read from it would leave CMD nothing.
      throw new CliError(`run: ${sourceName({ kind: 'file', path: '-' })}: CMD keeps stdin, so the filter must come from a file or a profile`, RUN_FAILED);
    }
    const filters = await asRunFailure(() => loadRunFilters(sources, values.tune ?? [], values.complain === true, io));
    const userNamespace = await asRunFailure(() => userNamespaceOption(values.userns, values['userns-gid'], values['userns-user'], io));
    const [command, ...args] = cmd as [string, ...string[]];
    let result: RunResult;
    try {
      result = await runFiltered({ command, args, filters, passFds: inheritedFds(), ...(userNamespace !== undefined && { userNamespace }) });
    } catch (err) {
      if (err instanceof UserNamespaceError) throw new CliError(`run: --userns: ${err.message}`, RUN_FAILED);
      if (err instanceof LinuxUnavailableError) throw new CliError(`run: ${err.message}`, RUN_FAILED);
      if (err instanceof CommandNotFoundError) throw new CliError(`run: ${err.message}`, err.exitCode);
      throw err;
    }
    if (result.killedBySeccomp) io.stderr(`seccomp-ts: run: ${killMessage(command, result)}\n`);
    return result.status;
  },
};
