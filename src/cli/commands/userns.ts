/**
 * `seccomp-ts userns`: ID maps for user namespaces — check them as the kernel and newuidmap would, translate
 * IDs, allocate ranges from /etc/subuid and /etc/subgid, and give a volume's files to a container's mapped users.
 */
import { errorMessage } from '../../util/error-message.js';
import { parseFlags, CliError, type CliIO, type Command } from '../command.js';
import {
  kernelMapWrite, toHost, toContainer, OVERFLOW_ID, toProcLines, toOciMappings,
  toCompact, sharedHostIds, sharedMap, perContainerMaps, dockerRemapView,
  newIdMapProblem, planChown, IdMapError, type IdKind, type IdMap, type MapWriter, type HostRange, type ChownMode,
} from '../../userns/index.js';
import { walkTree, applyChown } from '../userns-tree.js';
import { loadMap, userRanges } from '../userns-maps.js';

const USAGE = [
  'usage: seccomp-ts userns check [--kind uid|gid] [--as root|UID[:GID]] [--setgroups-deny]',
  '                               [--subids FILE --user NAME|UID] [--json] MAP...',
  '       seccomp-ts userns translate --map MAP [--to host|container] [--json] ID...',
  '       seccomp-ts userns allocate --user NAME|UID [--subuid FILE] [--subgid FILE]',
  '                               (--shared | --containers N [--size N] [--in-use MAP]...) [--format F] [--json]',
  '       seccomp-ts userns chown DIR --uid-map MAP [--gid-map MAP] [--owner UID[:GID] | --shift] [--apply] [--json]',
  '',
  'ID maps as user namespaces use them. A MAP is CONTAINER:HOST:SIZE[,…] (OCI order: container ID, host ID,',
  'count) or a file: /proc/PID/uid_map lines, an OCI config.json (linux.uidMappings or gidMappings, by --kind),',
  'or a JSON array of {containerID, hostID, size}.',
  '',
  'check      whether the kernel accepts each MAP written to /proc/PID/uid_map (gid_map with --kind gid) by the',
  '           writer (--as; default this process: root is privileged, others may map only their own ID),',
  '           and, with --subids, whether newuidmap/newgidmap would install it for --user; with several MAPs,',
  '           also which host IDs two of them share (their containers could touch each other\'s files).',
  '           Exit 0 when all are accepted and disjoint, 1 when not.',
  'translate  container IDs to host IDs (--to host, the default) or host IDs to what the container sees',
  `           (--to container; an unmapped host ID shows as the overflow ID ${OVERFLOW_ID}).`,
  'allocate   maps from the user\'s subordinate ranges (default /etc/subuid and /etc/subgid): --shared, one map',
  '           for every container as Docker\'s --userns-remap builds it; or --containers N blocks of --size IDs',
  '           (default 65536) that share no host ID with each other or with --in-use maps.',
  '           --format docker (default for --shared), oci (default otherwise), proc or compact.',
  'chown      the :U volume option: gives every entry under DIR to the host IDs of one container user (--owner,',
  '           default 0:0) or moves each owner into the map (--shift). Prints the plan; --apply performs it',
  '           with lchown, never following symlinks or entering other file systems, and stops at the first error.',
].join('\n');


function idArgument(text: string, what: string): number {
  if (!/^(0|[1-9][0-9]{0,9})$/.test(text) || Number(text) > 0xffff_fffe) {
    throw new CliError(`userns: ${what} "${text.length > 24 ? `${text.slice(0, 24)}…` : text}" is not an ID (0 to 4294967294)`);
  }
  return Number(text);
}

function kindOption(value: string | undefined): IdKind {
  if (value === undefined || value === 'uid' || value === 'gid') return value ?? 'uid';
  throw new CliError(`userns: --kind must be uid or gid, not "${value}"`);
}

async function check(argv: readonly string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseFlags(argv, {
    kind: { type: 'string' }, as: { type: 'string' }, 'setgroups-deny': { type: 'boolean' },
    subids: { type: 'string' }, user: { type: 'string' }, json: { type: 'boolean' },
  }, 'userns check');
  if (positionals.length === 0) throw new CliError('userns check: give at least one MAP (see \'seccomp-ts userns --help\')');
  const kind = kindOption(values.kind);
  const writer = writerOption(values.as, values['setgroups-deny'] === true);
  let subRanges: HostRange[] | undefined;
  if (values.subids !== undefined) {
    if (values.user === undefined) throw new CliError('userns check: --subids needs --user NAME|UID');
    subRanges = await userRanges(values.subids, values.user, io);
  }
  const maps: IdMap[] = [];
  const results = [];
  for (const spec of positionals) {
    const map = await loadMap(spec, kind, io);
    maps.push(map);
    const verdict = kernelMapWrite(toProcLines(map), kind, writer);
    // newuidmap is setuid root: the kernel then sees a privileged writer, and newuidmap applies its own rule.
    const helper = subRanges === undefined ? undefined : newIdMapProblem(map, kind, writer.euid, subRanges) ??
      (() => { const v = kernelMapWrite(toProcLines(map), kind, { ...writer, privileged: true, canSetFcap: true }); return v.ok ? undefined : `${v.errno}: ${v.reason}`; })();
    results.push({ map: spec, extents: map.length, kernel: verdict.ok ? 'accepted' : `${verdict.errno}${verdict.line !== undefined ? ` at line ${verdict.line}` : ''}: ${verdict.reason}`, helper, accepted: verdict.ok, helperAccepted: subRanges === undefined ? undefined : helper === undefined });
  }
  const shared = sharedHostIds(maps);
  const ok = results.every((r) => r.accepted || r.helperAccepted === true) && shared.length === 0;
  if (values.json) {
    io.stdout(`${JSON.stringify({ kind, writer: { privileged: writer.privileged, euid: writer.euid, egid: writer.egid }, maps: results, sharedHostIds: shared.map((s) => ({ first: positionals[s.first], second: positionals[s.second], hostId: s.hostId, count: s.count })), ok }, null, 2)}\n`);
  } else {
    const who = writer.privileged ? 'a privileged writer' : `unprivileged ${kind === 'uid' ? `uid ${writer.euid}` : `gid ${writer.egid}`}`;
    for (const r of results) {
      io.stdout(`${r.map}: ${kind}_map of ${r.extents} extent${r.extents === 1 ? '' : 's'}: kernel (${who}): ${r.kernel}\n`);
      if (subRanges !== undefined) io.stdout(`${r.map}: through new${kind}map for ${values.user}: ${r.helper ?? 'accepted'}\n`);
    }
    for (const s of shared) {
      io.stdout(`${positionals[s.first]} and ${positionals[s.second]} share ${s.count} host ID${s.count === 1 ? '' : 's'} from ${s.hostId}: their containers can touch each other's files\n`);
    }
  }
  return ok ? 0 : 1;
}

function writerOption(value: string | undefined, setgroupsDenied: boolean): MapWriter {
  if (value === undefined) {
    const euid = process.geteuid?.() ?? 0;
    const egid = process.getegid?.() ?? 0;
    return { privileged: euid === 0, euid, egid, setgroupsDenied };
  }
  if (value === 'root') return { privileged: true, euid: 0, egid: 0, setgroupsDenied };
  const m = /^([^:]+)(?::(.+))?$/.exec(value);
  const euid = idArgument(m?.[1] ?? value, '--as uid');
  const egid = m?.[2] === undefined ? euid : idArgument(m[2], '--as gid');
  return { privileged: false, euid, egid, setgroupsDenied };
}

async function translate(argv: readonly string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseFlags(argv, { map: { type: 'string' }, to: { type: 'string' }, kind: { type: 'string' }, json: { type: 'boolean' } }, 'userns translate');
  if (values.map === undefined) throw new CliError('userns translate: --map MAP is required');
  const to = values.to ?? 'host';
  if (to !== 'host' && to !== 'container') throw new CliError(`userns translate: --to must be host or container, not "${to}"`);
  if (positionals.length === 0) throw new CliError('userns translate: give at least one ID');
  const map = await loadMap(values.map, kindOption(values.kind), io);
  const rows = positionals.map((text) => {
    const id = idArgument(text, 'ID');
    const result = to === 'host' ? toHost(map, id) : toContainer(map, id);
    return { id, result, shown: to === 'container' ? result ?? OVERFLOW_ID : result };
  });
  if (values.json) {
    io.stdout(`${JSON.stringify(rows.map((r) => (to === 'host' ? { container: r.id, host: r.result ?? null } : { host: r.id, container: r.result ?? null, shownInside: r.shown })), null, 2)}\n`);
  } else {
    for (const r of rows) {
      if (to === 'host') io.stdout(`container ${r.id} -> ${r.result === undefined ? 'unmapped (the kernel refuses to use it)' : `host ${r.result}`}\n`);
      else io.stdout(`host ${r.id} -> ${r.result === undefined ? `unmapped (shown inside as ${OVERFLOW_ID})` : `container ${r.result}`}\n`);
    }
  }
  return rows.every((r) => r.result !== undefined) ? 0 : 1;
}

async function allocate(argv: readonly string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseFlags(argv, {
    user: { type: 'string' }, subuid: { type: 'string' }, subgid: { type: 'string' }, shared: { type: 'boolean' },
    containers: { type: 'string' }, size: { type: 'string' }, 'in-use': { type: 'string', multiple: true },
    format: { type: 'string' }, json: { type: 'boolean' }, 'docker-root': { type: 'string' },
  }, 'userns allocate');
  if (positionals.length > 0) throw new CliError(`userns allocate: unexpected argument "${positionals[0]}"`);
  if (values.user === undefined) throw new CliError('userns allocate: --user NAME|UID is required');
  if ((values.shared === true) === (values.containers !== undefined)) throw new CliError('userns allocate: give either --shared or --containers N');
  const format = values.format ?? (values.shared ? 'docker' : 'oci');
  if (!['docker', 'oci', 'proc', 'compact'].includes(format)) throw new CliError(`userns allocate: --format must be docker, oci, proc or compact, not "${format}"`);
  const uidRanges = await userRanges(values.subuid ?? '/etc/subuid', values.user, io);
  const gidRanges = await userRanges(values.subgid ?? '/etc/subgid', values.user, io);
  try {
    if (values.shared) {
      const uidMap = sharedMap(uidRanges);
      const gidMap = sharedMap(gidRanges);
      const view = dockerRemapView(uidMap, gidMap, values['docker-root']);
      if (values.json || format === 'oci') io.stdout(`${JSON.stringify(values.json ? view : { uidMappings: view.uidMappings, gidMappings: view.gidMappings }, null, 2)}\n`);
      else if (format === 'docker') {
        io.stdout(`container root is host uid ${view.rootUid}, gid ${view.rootGid}; every container shares these maps\n`);
        io.stdout(`data root: ${view.dataRoot}\nuid map: ${toCompact(uidMap)}\ngid map: ${toCompact(gidMap)}\n`);
      } else io.stdout(format === 'proc' ? `# uid_map\n${toProcLines(uidMap)}# gid_map\n${toProcLines(gidMap)}` : `${toCompact(uidMap)}\n${toCompact(gidMap)}\n`);
      return 0;
    }
    const containers = Number(idArgument(values.containers!, '--containers'));
    const size = values.size === undefined ? 65536 : idArgument(values.size, '--size');
    const inUseUid: IdMap[] = [];
    for (const spec of values['in-use'] ?? []) inUseUid.push(await loadMap(spec, 'uid', io));
    const uidMaps = perContainerMaps(uidRanges, { containers, size, inUse: inUseUid });
    const gidMaps = perContainerMaps(gidRanges, { containers, size, inUse: inUseUid });
    if (values.json || format === 'oci') {
      io.stdout(`${JSON.stringify(uidMaps.map((m, i) => ({ container: i + 1, uidMappings: toOciMappings(m), gidMappings: toOciMappings(gidMaps[i]!) })), null, 2)}\n`);
    } else {
      uidMaps.forEach((m, i) => {
        if (format === 'proc') io.stdout(`# container ${i + 1} uid_map\n${toProcLines(m)}# container ${i + 1} gid_map\n${toProcLines(gidMaps[i]!)}`);
        else io.stdout(`container ${i + 1}: uid ${toCompact(m)} gid ${toCompact(gidMaps[i]!)}\n`);
      });
    }
    return 0;
  } catch (err) {
    if (err instanceof IdMapError) throw new CliError(`userns allocate: ${err.message}`);
    throw err;
  }
}

async function chown(argv: readonly string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseFlags(argv, {
    'uid-map': { type: 'string' }, 'gid-map': { type: 'string' }, owner: { type: 'string' }, shift: { type: 'boolean' },
    apply: { type: 'boolean' }, json: { type: 'boolean' },
  }, 'userns chown');
  if (positionals.length !== 1) throw new CliError('userns chown: give one DIR');
  if (values['uid-map'] === undefined) throw new CliError('userns chown: --uid-map MAP is required');
  if (values.shift && values.owner !== undefined) throw new CliError('userns chown: --owner and --shift exclude each other');
  const uidMap = await loadMap(values['uid-map'], 'uid', io);
  const gidMap = values['gid-map'] === undefined ? uidMap : await loadMap(values['gid-map'], 'gid', io);
  let mode: ChownMode = { kind: 'owner', uid: 0, gid: 0 };
  if (values.shift) mode = { kind: 'shift' };
  else if (values.owner !== undefined) {
    const [u, g] = values.owner.split(':');
    const uid = idArgument(u ?? '', '--owner uid');
    mode = { kind: 'owner', uid, gid: g === undefined ? uid : idArgument(g, '--owner gid') };
  }
  const dir = positionals[0]!;
  let tree;
  try {
    tree = walkTree(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliError(`userns chown: ${dir}: ${code ? `cannot walk (${code})` : errorMessage(err)}`);
  }
  const plan = planChown(tree.entries, uidMap, gidMap, mode);
  const applied = values.apply && plan.errors === 0 ? applyChown(tree, plan) : undefined;
  if (values.json) {
    io.stdout(`${JSON.stringify({ root: tree.root, mode, steps: plan.steps, changes: plan.changes, unchanged: plan.unchanged, errors: plan.errors, otherFileSystems: tree.otherFileSystems, applied: applied ?? null }, null, 2)}\n`);
  } else {
    for (const s of plan.steps) {
      const from = `${s.from.uid}:${s.from.gid}`;
      io.stdout('error' in s ? `${s.path}  ${from}  cannot: ${s.error}\n` : `${s.path}  ${from} -> ${s.to.uid}:${s.to.gid}${s.change ? '' : ' (unchanged)'}${s.type === 'symlink' ? ' (the link itself)' : ''}\n`);
    }
    for (const p of tree.otherFileSystems) io.stdout(`${p}  not entered: another file system\n`);
    io.stdout(`# ${plan.changes} to change, ${plan.unchanged} already right, ${plan.errors} cannot be mapped\n`);
  }
  if (values.apply && plan.errors > 0) {
    io.stderr(`seccomp-ts: userns chown: nothing changed: ${plan.errors} entr${plan.errors === 1 ? 'y has an owner' : 'ies have owners'} the map cannot hold\n`);
    return 1;
  }
  if (applied !== undefined) {
    const summary = `${applied.changed} changed, ${applied.alreadyRight} already right`;
    if (applied.failure) {
      io.stderr(`seccomp-ts: userns chown: stopped at ${applied.failure.path}: ${applied.failure.reason}; ${summary}, ${applied.notReached} not changed\n`);
      return 1;
    }
    if (!values.json) io.stdout(`# applied: ${summary}\n`);
  }
  return plan.errors === 0 ? 0 : 1;
}

export const usernsCommand: Command = {
  name: 'userns',
  usage: USAGE,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    switch (sub) {
      case 'check': return check(rest, io);
      case 'translate': return translate(rest, io);
      case 'allocate': return allocate(rest, io);
      case 'chown': return chown(rest, io);
      case undefined: throw new CliError('userns: give a subcommand: check, translate, allocate or chown');
      default: throw new CliError(`userns: unknown subcommand "${sub}" (check, translate, allocate, chown)`);
    }
  },
};
