/**
 * ID maps in the forms runtimes and the kernel write them: OCI `linux.uidMappings`, `/proc/PID/uid_map` lines,
 * `newuidmap` arguments, the compact `C:H:S,…` form of the command line, and Docker's `--userns-remap` view.
 */
import { IdMapError, type IdExtent, type IdMap } from './types.js';
import { toHost } from './translate.js';

/** One entry of OCI `linux.uidMappings` / `linux.gidMappings`. */
export interface OciIdMapping {
  readonly containerID: number;
  readonly hostID: number;
  readonly size: number;
}

/** The map as OCI `linux.uidMappings` (or `gidMappings`). */
export function toOciMappings(map: IdMap): OciIdMapping[] {
  return map.map((e) => ({ containerID: e.containerId, hostID: e.hostId, size: e.size }));
}

/** The map as `/proc/PID/uid_map` shows it: three right-aligned columns of width 10, one line per extent. */
export function toProcLines(map: IdMap): string {
  return map.map((e) => `${pad(e.containerId)} ${pad(e.hostId)} ${pad(e.size)}\n`).join('');
}

/** The map as the arguments `newuidmap PID …` takes after the PID. */
export function toNewIdMapArgs(map: IdMap): string[] {
  return map.flatMap((e) => [String(e.containerId), String(e.hostId), String(e.size)]);
}

/** The map in the command line's compact form `CONTAINER:HOST:SIZE[,…]`. */
export function toCompact(map: IdMap): string {
  return map.map((e) => `${e.containerId}:${e.hostId}:${e.size}`).join(',');
}

const pad = (n: number): string => String(n).padStart(10);

const ID = /^(0|[1-9][0-9]{0,9})$/;

function idField(text: string, place: string, what: string): number {
  if (!ID.test(text) || Number(text) > 0xffff_ffff) throw new IdMapError(place, `${what} "${text.length > 24 ? `${text.slice(0, 24)}…` : text}" is not an ID (a decimal number below 2^32)`);
  return Number(text);
}

/**
 * Reads a map from the compact form `C:H:S[,C:H:S…]` or from `/proc` lines (three numbers per line). Numbers
 * are checked to be IDs; whether the kernel would accept the map is {@link kernelMapWrite}'s question.
 */
export function parseIdMap(text: string, place = 'map'): IdMap {
  const trimmed = text.trim();
  if (trimmed === '') throw new IdMapError(place, 'empty map');
  const compact = !/\n/.test(trimmed) && /^[0-9:,\s]+$/.test(trimmed) && trimmed.includes(':');
  const items = compact ? trimmed.split(',').map((s) => s.trim().split(':')) : trimmed.split('\n').map((s) => s.trim().split(/\s+/));
  return items.map((fields, i): IdExtent => {
    const at = compact ? `${place} entry ${i + 1}` : `${place} line ${i + 1}`;
    if (fields.length !== 3) throw new IdMapError(at, compact ? 'expected CONTAINER:HOST:SIZE' : 'expected three numbers: CONTAINER HOST SIZE');
    const [c, h, s] = fields as [string, string, string];
    return { containerId: idField(c, at, 'container ID'), hostId: idField(h, at, 'host ID'), size: idField(s, at, 'size') };
  });
}

/** Reads OCI `uidMappings`/`gidMappings` (an array of `{containerID, hostID, size}`), naming the JSON path on error. */
export function fromOciMappings(value: unknown, path = 'linux.uidMappings'): IdMap {
  if (!Array.isArray(value)) throw new IdMapError(path, 'not an array');
  return value.map((item: unknown, i): IdExtent => {
    const at = `${path}[${i}]`;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) throw new IdMapError(at, 'not an object');
    const record = item as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      if (!['containerID', 'hostID', 'size'].includes(key)) throw new IdMapError(`${at}.${key}`, 'unknown field (expected containerID, hostID, size)');
    }
    const field = (key: string): number => {
      const v = record[key];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffff_ffff) throw new IdMapError(`${at}.${key}`, 'not an ID (an integer from 0 to 4294967295)');
      return v;
    };
    return { containerId: field('containerID'), hostId: field('hostID'), size: field('size') };
  });
}

/** What Docker's daemon does with `--userns-remap`, given the maps it builds (see {@link sharedMap}). */
export interface RemapView {
  /** Host uid and gid of container root (Docker's "root pair"). */
  readonly rootUid: number;
  readonly rootGid: number;
  /** The daemon's data folder under that remapping: `/var/lib/docker/UID.GID`. */
  readonly dataRoot: string;
  readonly uidMappings: OciIdMapping[];
  readonly gidMappings: OciIdMapping[];
}

/** Docker's `--userns-remap` view of a uid and gid map: the root pair, the data folder and the OCI mappings. */
export function dockerRemapView(uidMap: IdMap, gidMap: IdMap, dockerRoot = '/var/lib/docker'): RemapView {
  const rootUid = toHost(uidMap, 0);
  const rootGid = toHost(gidMap, 0);
  if (rootUid === undefined || rootGid === undefined) throw new IdMapError('', 'the maps do not map container root (ID 0); Docker needs it mapped');
  return {
    rootUid,
    rootGid,
    dataRoot: `${dockerRoot.replace(/\/+$/, '')}/${rootUid}.${rootGid}`,
    uidMappings: toOciMappings(uidMap),
    gidMappings: toOciMappings(gidMap),
  };
}
