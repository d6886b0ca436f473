/**
 * Starting a command in a new user namespace with given ID maps, from Node and without a compiler. Node is
 * multithreaded, so it cannot `unshare(CLONE_NEWUSER)` itself; util-linux `unshare --user` makes the namespace
 * and a tiny shell waits on a pipe until this process has written the maps (directly into /proc when the kernel
 * lets this writer, else through the setuid `newuidmap`/`newgidmap`), then `setpriv` takes the requested IDs
 * inside and execs the command.
 *
 * Capabilities in the new namespace survive an exec only for a process whose euid is 0 inside at that moment,
 * and the shell was started before any map existed. So the process that unshares must already have the host
 * IDs that container root maps to: root first drops to them with `setpriv`; an unprivileged caller must map its
 * own uid to container root, as rootless runtimes do. Once the maps are written the shell is root inside and
 * its exec of `setpriv` gets the namespace's full capabilities.
 */
import { errorMessage } from '../util/error-message.js';
import { spawn, spawnSync, type ChildProcess, type StdioOptions } from 'node:child_process';
import { readlinkSync, writeFileSync } from 'node:fs';
import { kernelMapWrite, toContainer, toHost, toNewIdMapArgs, toProcLines, type IdKind, type IdMap, type MapWriter } from '../userns/index.js';

/** A user namespace could not be set up as asked (a map the kernel or newuidmap refuses, a missing tool). */
export class UserNamespaceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserNamespaceError';
  }
}

/** The maps for the new namespace and the IDs the command runs as inside. */
export interface UserNamespaceSpec {
  readonly uidMap: IdMap;
  readonly gidMap: IdMap;
  /** The uid and gid inside; default 0:0 (container root). */
  readonly uid?: number;
  readonly gid?: number;
}

/** Why a user namespace cannot be made here, or undefined. */
export function userNamespaceMissing(): string | undefined {
  if (process.platform !== 'linux') return `user namespaces need Linux (this is ${process.platform})`;
  for (const tool of ['unshare', 'setpriv']) {
    const probe = spawnSync(tool, ['--version'], { encoding: 'utf8' });
    if (probe.error || probe.status !== 0) return `util-linux \`${tool}\` is missing`;
  }
  return undefined;
}

/** The shell's wait for the release line on descriptor FD, which it closes before exec'ing the rest of its argv. */
const waitThenExec = (fd: number): string => `read -r go <&${fd} || exit 125; exec ${fd}<&-; [ "$go" = go ] || exit 125; exec "$@"`;

/** How the maps were written, for messages. */
export type MapWriteMethod = 'proc' | 'newuidmap' | 'newgidmap';

/** The map-writing step for one kind: direct when the kernel would accept it from this process, else the helper. */
function writeMap(pid: number, kind: IdKind, map: IdMap, writer: MapWriter): MapWriteMethod {
  const verdict = kernelMapWrite(toProcLines(map), kind, writer);
  if (verdict.ok) {
    writeFileSync(`/proc/${pid}/${kind}_map`, toProcLines(map));
    return 'proc';
  }
  if (writer.privileged) throw new UserNamespaceError(`the kernel refuses this ${kind} map: ${verdict.errno}${verdict.line !== undefined ? ` at line ${verdict.line}` : ''}: ${verdict.reason}`);
  const helper = kind === 'uid' ? 'newuidmap' : 'newgidmap';
  const run = spawnSync(helper, [String(pid), ...toNewIdMapArgs(map)], { encoding: 'utf8', timeout: 10_000 });
  if (run.error) throw new UserNamespaceError(`${helper} is needed to install this ${kind} map as an unprivileged user and could not run (${(run.error as NodeJS.ErrnoException).code ?? run.error.message}); install the uidmap package`);
  if (run.status !== 0) throw new UserNamespaceError(`${helper} refused the ${kind} map: ${run.stderr.trim().split('\n')[0] ?? `exit ${run.status}`}`);
  return helper;
}

/** Waits until `pid` is in a user namespace other than ours (`unshare` has made it). */
async function untilUnshared(pid: number, child: ChildProcess): Promise<void> {
  const ours = readlinkSync('/proc/self/ns/user');
  for (let i = 0; i < 5000; i++) {
    if (child.exitCode !== null || child.signalCode !== null) throw new UserNamespaceError('unshare --user exited before the namespace was made');
    try {
      if (readlinkSync(`/proc/${pid}/ns/user`) !== ours) return;
    } catch {
      // The process may not be readable for an instant after spawn.
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  throw new UserNamespaceError('unshare --user did not make a namespace within 5 s');
}

/**
 * Spawns `command args` in a new user namespace with `spec`'s maps; resolves with the running child once the
 * maps are written and the command released. The child's stdio follows `stdio` (fd 3 is taken for the release).
 */
export async function spawnInUserNamespace(
  command: string, args: readonly string[], spec: UserNamespaceSpec, stdio: StdioOptions = 'inherit',
): Promise<{ child: ChildProcess; methods: MapWriteMethod[] }> {
  const euid = process.geteuid?.() ?? 0;
  const egid = process.getegid?.() ?? 0;
  const uid = spec.uid ?? 0;
  const gid = spec.gid ?? 0;
  const privileged = euid === 0;
  // An unprivileged gid_map written directly requires setgroups to be denied first; then groups cannot be set.
  const gidDirect = kernelMapWrite(toProcLines(spec.gidMap), 'gid', { privileged, euid, egid, setgroupsDenied: true }).ok &&
    !kernelMapWrite(toProcLines(spec.gidMap), 'gid', { privileged, euid, egid }).ok;
  const groups = gidDirect ? '--keep-groups' : '--clear-groups';
  const rootUid = toHost(spec.uidMap, 0);
  const rootGid = toHost(spec.gidMap, 0);
  if (rootUid === undefined || rootGid === undefined) throw new UserNamespaceError(`the ${rootUid === undefined ? 'uid' : 'gid'} map does not map container ID 0`);
  let prefix: string[] = [];
  if (privileged) {
    prefix = ['setpriv', `--reuid=${rootUid}`, `--regid=${rootGid}`, '--clear-groups', '--'];
  } else if (toContainer(spec.uidMap, euid) !== 0) {
    throw new UserNamespaceError(`as an unprivileged user (uid ${euid}) the uid map must map your own uid to container ID 0, as rootless runtimes do (e.g. 0:${euid}:1,1:SUBUID:65536)`);
  }
  // The release pipe takes a descriptor from 3 to 9 (the ones POSIX sh can redirect) that the command is not
  // given; the shell closes it before the command runs.
  const given: Exclude<StdioOptions, string>[number][] = typeof stdio === 'string' ? [stdio, stdio, stdio] : [...stdio];
  const releaseFd = [3, 4, 5, 6, 7, 8, 9].find((fd) => given[fd] === undefined || given[fd] === 'ignore');
  if (releaseFd === undefined) throw new UserNamespaceError('descriptors 3 to 9 are all passed to the command; one is needed to start the user namespace');
  const full = Array.from({ length: Math.max(given.length, releaseFd + 1) }, (_, fd) => (fd === releaseFd ? 'pipe' : given[fd] ?? 'ignore'));
  const child = spawn(prefix[0] ?? 'unshare', [...prefix.slice(1), ...(prefix.length > 0 ? ['unshare'] : []), '--user', '--', 'sh', '-c', waitThenExec(releaseFd), 'sh',
    'setpriv', `--reuid=${uid}`, `--regid=${gid}`, groups, '--', command, ...args], { stdio: full });
  const spawned = new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  try {
    await spawned;
    const pid = child.pid!;
    await untilUnshared(pid, child);
    if (gidDirect) writeFileSync(`/proc/${pid}/setgroups`, 'deny');
    const writer = (setgroupsDenied: boolean): MapWriter => ({ privileged, euid, egid, setgroupsDenied });
    const methods = [writeMap(pid, 'uid', spec.uidMap, writer(false)), writeMap(pid, 'gid', spec.gidMap, writer(gidDirect))];
    const release = child.stdio[releaseFd] as NodeJS.WritableStream;
    release.end('go\n');
    return { child, methods };
  } catch (err) {
    child.kill('SIGKILL');
    if (err instanceof UserNamespaceError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserNamespaceError(code === 'ENOENT' ? 'util-linux unshare/setpriv is missing' : `cannot set up the user namespace (${code ?? errorMessage(err)})`);
  }
}
