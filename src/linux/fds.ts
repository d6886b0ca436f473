/**
 * Which open file descriptors above 2 this process inherited, so that CMD gets them too. Node marks inherited
 * descriptors close-on-exec at start-up (libuv's uv_disable_stdio_inheritance: 0-15, then on until the first gap),
 * so they would be lost at the launcher's exec unless passed on explicitly. Node's own descriptors are told apart
 * by kind: event and poll objects (anon_inode), pipes whose both ends this process holds, and the /dev/null that
 * libuv opens among them (above Node's first event object).
 */
import { readdirSync, readlinkSync } from 'node:fs';

/** Descriptors 3 and up that look inherited, in increasing order. */
export function listInheritedFds(): number[] {
  let names: string[];
  try {
    names = readdirSync('/proc/self/fd');
  } catch {
    return [];
  }
  const links = new Map<number, string>();
  for (const name of names) {
    const fd = Number(name);
    if (!Number.isInteger(fd) || fd < 3) continue;
    try {
      links.set(fd, readlinkSync(`/proc/self/fd/${name}`));
    } catch {
      // closed meanwhile (the directory listing's own descriptor)
    }
  }
  const pipeEnds = new Map<string, number>();
  for (const link of links.values()) if (link.startsWith('pipe:')) pipeEnds.set(link, (pipeEnds.get(link) ?? 0) + 1);
  const firstInternal = Math.min(...[...links].filter(([, link]) => link.startsWith('anon_inode:')).map(([fd]) => fd));
  return [...links].filter(([fd, link]) => !link.startsWith('anon_inode:') &&
    !(link.startsWith('pipe:') && (pipeEnds.get(link) ?? 0) > 1) && !(link === '/dev/null' && fd > firstInternal))
    .map(([fd]) => fd).sort((a, b) => a - b);
}

/** The inherited descriptors as they were when this module was loaded (before the program opened its own). */
export const INHERITED_AT_START: readonly number[] = listInheritedFds();
