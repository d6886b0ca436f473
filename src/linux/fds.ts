/**
 * Which open file descriptors above 2 this process inherited, so that CMD gets them too. Node marks inherited
 * descriptors close-on-exec at start-up (libuv's uv_disable_stdio_inheritance: 0-15, then on until the first gap),
 * so they would be lost at the launcher's exec unless passed on explicitly. Node's own descriptors are told apart
 * by kind: event and poll objects (anon_inode), pipes whose both ends this process holds, and the /dev/null that
 * libuv opens among them (above Node's first event object).
 */
import { fstatSync, readdirSync, readlinkSync } from 'node:fs';

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

/** A descriptor and the file it referred to, to tell it from a later one given the same number. */
interface HeldFd {
  readonly fd: number;
  readonly dev: number;
  readonly ino: number;
}

function identify(fd: number): HeldFd | undefined {
  try {
    const { dev, ino } = fstatSync(fd);
    return { fd, dev, ino };
  } catch {
    return undefined;
  }
}

/** The inherited descriptors as they were when this module was loaded (before the program opened its own). */
const AT_START: readonly HeldFd[] = listInheritedFds().map(identify).filter((h): h is HeldFd => h !== undefined);

/**
 * The descriptors inherited at start that are still open on the same files. A descriptor that only looked
 * inherited, held for a moment while this module loaded (a module loader's socket to its helper process, a file
 * being read), is gone by now: passing its number on would fail the spawn (EBADF) or hand CMD what reuses it.
 */
export function inheritedFds(): number[] {
  return AT_START.filter((h) => {
    const now = identify(h.fd);
    return now !== undefined && now.dev === h.dev && now.ino === h.ino;
  }).map((h) => h.fd);
}
