/**
 * A model of what the kernel does with a write to `/proc/PID/uid_map` or `gid_map` (`map_write` and
 * `new_idmap_permitted` in kernel/user_namespace.c), byte for byte: the same parse (`simple_strtoul` truncated to
 * 32 bits, the kernel's `isspace`, one optional trailing newline), the same checks in the same order, and the same
 * errno. A runtime can ask it whether a map will be accepted before it creates a process, and see why not.
 */
import { MAX_EXTENTS, type IdExtent, type IdKind, type IdMap } from './types.js';

/** Who writes the map, as the kernel sees the opener of the file. */
export interface MapWriter {
  /** CAP_SETUID (uid_map) or CAP_SETGID (gid_map) over the parent namespace, as root in the initial one has. */
  readonly privileged: boolean;
  /** CAP_SETFCAP over the parent namespace, needed to map the parent's ID 0 in a uid_map; defaults to `privileged`. */
  readonly canSetFcap?: boolean;
  /** The writer's effective uid in the parent namespace (the unprivileged rule compares it). */
  readonly euid: number;
  /** The writer's effective gid in the parent namespace. */
  readonly egid: number;
  /** False when the namespace's owner is not the writer's euid (then the unprivileged rule never applies). */
  readonly ownsNamespace?: boolean;
  /** gid_map only: "deny" was written to `/proc/PID/setgroups` first (the unprivileged rule requires it). */
  readonly setgroupsDenied?: boolean;
  /** The parent namespace's map of this kind; defaults to the initial namespace's `0 0 4294967295`. */
  readonly parentMap?: IdMap;
}

/** The kernel's answer to one write: the installed map, or the errno and the reason. */
export type MapWriteVerdict =
  | { readonly ok: true; readonly map: IdMap }
  | { readonly ok: false; readonly errno: 'EINVAL' | 'EPERM'; readonly line?: number; readonly reason: string };

/** The initial user namespace's map: every ID but 4294967295 maps to itself. */
export const INITIAL_NAMESPACE_MAP: IdMap = [{ containerId: 0, hostId: 0, size: 0xffff_ffff }];

const PAGE_SIZE = 4096;
const U32_MINUS_ONE = 0xffff_ffff;

/** The kernel's `isspace` (lib/ctype.c): tab, newline, vertical tab, form feed, return, space and Latin-1 NBSP. */
const isKernelSpace = (byte: number | undefined): boolean =>
  byte !== undefined && ((byte >= 9 && byte <= 13) || byte === 32 || byte === 160);

/** `simple_strtoul(…, 10)` stored in a u32: the digits' value modulo 2^32, and where the digits end. */
function strtoulU32(buf: Uint8Array, pos: number): [number, number] {
  let value = 0;
  while (pos < buf.length && buf[pos]! >= 48 && buf[pos]! <= 57) {
    value = (value * 10 + (buf[pos]! - 48)) % 0x1_0000_0000;
    pos++;
  }
  return [value, pos];
}

const overlaps = (aFirst: number, aSize: number, bFirst: number, bSize: number): boolean =>
  aFirst <= bFirst + bSize - 1 && aFirst + aSize - 1 >= bFirst;

/** The parent extent holding all of `[id, id + size)`, as `map_id_range_down` requires; undefined if none does. */
function mapRangeDown(map: IdMap, id: number, size: number): number | undefined {
  for (const e of map) {
    const last = e.containerId + e.size - 1;
    if (id >= e.containerId && id + size - 1 <= last) return e.hostId + (id - e.containerId);
  }
  return undefined;
}

type Parsed = { readonly ok: true; readonly map: IdExtent[] } | { readonly ok: false; readonly line: number; readonly reason: string };

/** `map_write`'s parse loop over the NUL-terminated copy of the written bytes. */
function parse(data: Uint8Array): Parsed {
  const buf = new Uint8Array(data.length + 1);
  buf.set(data);
  const map: IdExtent[] = [];
  const fail = (line: number, reason: string): Parsed => ({ ok: false, line, reason });
  let pos: number | undefined = 0;
  let line = 0;
  while (pos !== undefined) {
    line++;
    let next: number | undefined;
    for (let i = pos; buf[i] !== 0; i++) {
      if (buf[i] === 10) {
        buf[i] = 0;
        next = buf[i + 1] === 0 ? undefined : i + 1;
        break;
      }
    }
    const fields: number[] = [];
    for (let f = 0; f < 3; f++) {
      while (isKernelSpace(buf[pos])) pos++;
      const [value, end] = strtoulU32(buf, pos);
      const name = ['first ID', 'lower ID', 'count'][f]!;
      if (end === pos && f < 2) return fail(line, buf[pos] === 0 ? 'fewer than three numbers' : `${name} is not a decimal number`);
      pos = end;
      if (f < 2 && !isKernelSpace(buf[pos])) return fail(line, buf[pos] === 0 ? 'fewer than three numbers' : `junk after the ${name}`);
      if (f === 2 && buf[pos] !== 0 && !isKernelSpace(buf[pos])) return fail(line, 'junk after the count');
      fields.push(value);
    }
    while (isKernelSpace(buf[pos])) pos++;
    if (buf[pos] !== 0) return fail(line, 'more than three numbers');
    const [containerId, hostId, size] = fields as [number, number, number];
    if (containerId === U32_MINUS_ONE) return fail(line, 'first ID is 4294967295, (uid_t) -1');
    if (hostId === U32_MINUS_ONE) return fail(line, 'lower ID is 4294967295, (uid_t) -1');
    if (size === 0) return fail(line, 'count is 0');
    if ((containerId + size) % 0x1_0000_0000 <= containerId) return fail(line, 'inside range wraps past 4294967295');
    if ((hostId + size) % 0x1_0000_0000 <= hostId) return fail(line, 'outside range wraps past 4294967295');
    const clash = map.findIndex((e) => overlaps(e.containerId, e.size, containerId, size) || overlaps(e.hostId, e.size, hostId, size));
    if (clash >= 0) {
      const side = overlaps(map[clash]!.containerId, map[clash]!.size, containerId, size) ? 'inside' : 'outside';
      return fail(line, `${side} range overlaps line ${clash + 1}`);
    }
    if (map.length + 1 === MAX_EXTENTS && next !== undefined) return fail(line + 1, `more than ${MAX_EXTENTS - 1} lines before the last`);
    map.push({ containerId, hostId, size });
    pos = next;
  }
  if (map.length === 0) return fail(1, 'no extents');
  return { ok: true, map };
}

/** `new_idmap_permitted`: undefined when the writer may install `map`, else why not. */
function permissionProblem(map: IdMap, kind: IdKind, writer: MapWriter): string | undefined {
  const canSetFcap = writer.canSetFcap ?? writer.privileged;
  if (kind === 'uid' && !canSetFcap && map.some((e) => e.hostId === 0)) {
    return "mapping the parent's uid 0 needs CAP_SETFCAP";
  }
  const single = map.length === 1 && map[0]!.size === 1 && writer.ownsNamespace !== false ? map[0]! : undefined;
  if (single !== undefined) {
    if (kind === 'uid' && single.hostId === writer.euid) return undefined;
    if (kind === 'gid' && writer.setgroupsDenied === true && single.hostId === writer.egid) return undefined;
  }
  if (writer.privileged) return undefined;
  if (single !== undefined && kind === 'gid' && single.hostId === writer.egid) {
    return 'an unprivileged gid_map needs "deny" in /proc/PID/setgroups first';
  }
  const own = kind === 'uid' ? `uid ${writer.euid}` : `gid ${writer.egid}`;
  return `without CAP_SET${kind.toUpperCase()} only one extent of size 1 mapping the writer's own ${own} is allowed`;
}

/**
 * What the kernel answers when `data` is written, in one write at offset 0, to a fresh namespace's uid_map (kind
 * 'uid') or gid_map ('gid') by `writer`: the map it installs, or EINVAL/EPERM with the line and the reason.
 */
export function kernelMapWrite(data: Uint8Array | string, kind: IdKind, writer: MapWriter): MapWriteVerdict {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  if (bytes.length >= PAGE_SIZE) return { ok: false, errno: 'EINVAL', reason: `${bytes.length} bytes; a map write must be under ${PAGE_SIZE}` };
  const parsed = parse(bytes);
  if (!parsed.ok) return { ok: false, errno: 'EINVAL', line: parsed.line, reason: parsed.reason };
  const denied = permissionProblem(parsed.map, kind, writer);
  if (denied !== undefined) return { ok: false, errno: 'EPERM', reason: denied };
  const parent = writer.parentMap ?? INITIAL_NAMESPACE_MAP;
  for (const [i, e] of parsed.map.entries()) {
    if (mapRangeDown(parent, e.hostId, e.size) === undefined) {
      return { ok: false, errno: 'EPERM', line: i + 1, reason: `outside IDs ${e.hostId}-${e.hostId + e.size - 1} are not all in one extent of the parent namespace's map` };
    }
  }
  return { ok: true, map: parsed.map };
}
