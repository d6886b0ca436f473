/**
 * Reading ID maps and subordinate ranges named on the command line, and the `--userns` option of `run`.
 */
import { errorMessage } from '../util/error-message.js';
import { CliError, type CliIO } from './command.js';
import {
  parseIdMap, fromOciMappings, parseSubordinateIds, rangesOf, sharedMap, IdMapError,
  type IdKind, type IdMap, type HostRange,
} from '../userns/index.js';
import type { UserNamespaceSpec } from '../linux/userns.js';


/** Reads a MAP argument: the compact form, or a file of /proc lines, OCI config or OCI mappings. */
export async function loadMap(spec: string, kind: IdKind, io: CliIO): Promise<IdMap> {
  try {
    if (/^[0-9:,\s]+$/.test(spec) && spec.includes(':')) return parseIdMap(spec, 'map');
    let bytes: Uint8Array;
    try {
      bytes = await io.readFile(spec);
    } catch (err) {
      throw new CliError(`userns: ${spec}: cannot read file (${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}) — a MAP is CONTAINER:HOST:SIZE[,…] or a file`);
    }
    const text = new TextDecoder().decode(bytes);
    const trimmed = text.trim();
    if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (err) {
        throw new CliError(`userns: ${spec}: not valid JSON (${errorMessage(err)})`);
      }
      if (Array.isArray(json)) return fromOciMappings(json, spec);
      const field = kind === 'uid' ? 'uidMappings' : 'gidMappings';
      const linux = (json as { linux?: Record<string, unknown> }).linux;
      if (linux === undefined || linux[field] === undefined) throw new CliError(`userns: ${spec}: no linux.${field} in this OCI config`);
      return fromOciMappings(linux[field], `${spec}: linux.${field}`);
    }
    return parseIdMap(text, spec);
  } catch (err) {
    if (err instanceof IdMapError) throw new CliError(`userns: ${err.message}`);
    throw err;
  }
}

/** The user's ranges in a subordinate ID file, matched by name and by uid (looked up in /etc/passwd). */
export async function userRanges(file: string, user: string, io: CliIO): Promise<HostRange[]> {
  let text: string;
  try {
    text = new TextDecoder().decode(await io.readFile(file));
  } catch (err) {
    throw new CliError(`userns: ${file}: cannot read file (${(err as NodeJS.ErrnoException).code ?? errorMessage(err)})`);
  }
  const parsed = parseSubordinateIds(text);
  for (const p of parsed.problems.slice(0, 3)) io.stderr(`seccomp-ts: warning: ${file}:${p.line}: ${p.reason}; line ignored (as newuidmap does)\n`);
  if (parsed.problems.length > 3) io.stderr(`seccomp-ts: warning: ${file}: ${parsed.problems.length - 3} more bad lines ignored\n`);
  const who = await lookupUser(user, io);
  const ranges = rangesOf(parsed.ranges, who);
  if (ranges.length === 0) throw new CliError(`userns: ${file}: no ranges for ${user}${who.uid !== undefined && who.name !== undefined ? ` (uid ${who.uid}, ${who.name})` : ''}`);
  return ranges.map((r) => ({ start: r.start, count: r.count }));
}

async function lookupUser(user: string, io: CliIO): Promise<{ name?: string; uid?: number }> {
  const numeric = /^[0-9]+$/.test(user);
  let passwd = '';
  try {
    passwd = new TextDecoder().decode(await io.readFile('/etc/passwd'));
  } catch {
    // Without /etc/passwd a user is matched by what was given only.
  }
  for (const line of passwd.split('\n')) {
    const [name, , uid] = line.split(':');
    if (name === undefined || uid === undefined) continue;
    if ((numeric && uid === user) || (!numeric && name === user)) return { name, uid: Number(uid) };
  }
  return numeric ? { uid: Number(user) } : { name: user };
}


/**
 * The `--userns VALUE` option: `own` maps the caller's own uid and gid to container root (what an unprivileged
 * user may do alone); `remap` maps them to root and the caller's ranges in /etc/subuid and /etc/subgid after
 * them (as rootless runtimes do; for root: the ranges alone, as Docker's --userns-remap); anything else is a MAP
 * for uids (and gids, unless `gidValue` gives their own).
 */
export async function namespaceSpec(value: string, gidValue: string | undefined, io: CliIO): Promise<UserNamespaceSpec> {
  const euid = process.geteuid?.() ?? 0;
  const egid = process.getegid?.() ?? 0;
  if (value === 'own') {
    if (gidValue !== undefined) throw new CliError('run: --userns-gid goes with --userns MAP, not --userns own');
    return { uidMap: [{ containerId: 0, hostId: euid, size: 1 }], gidMap: [{ containerId: 0, hostId: egid, size: 1 }] };
  }
  if (value === 'remap') {
    if (gidValue !== undefined) throw new CliError('run: --userns-gid goes with --userns MAP, not --userns remap');
    const user = String(euid);
    const stack = (own: number, ranges: HostRange[]): IdMap =>
      euid === 0 ? sharedMap(ranges) : [{ containerId: 0, hostId: own, size: 1 }, ...sharedMap(ranges).map((e) => ({ ...e, containerId: e.containerId + 1 }))];
    return {
      uidMap: stack(euid, await userRanges('/etc/subuid', user, io)),
      gidMap: stack(egid, await userRanges('/etc/subgid', user, io)),
    };
  }
  const uidMap = await loadMap(value, 'uid', io);
  const gidMap = gidValue === undefined ? uidMap : await loadMap(gidValue, 'gid', io);
  return { uidMap, gidMap };
}
