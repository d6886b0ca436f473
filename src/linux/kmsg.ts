/**
 * The kernel log read through /dev/kmsg (root, or CAP_SYSLOG when dmesg_restrict is set): records after a point,
 * as text lines. Each read(2) of /dev/kmsg returns one record; EAGAIN means none is left.
 */
import { closeSync, constants, openSync, readSync } from 'node:fs';

/** A reader of kernel log records written after it was opened. */
export interface KernelLog {
  /** Records written since the last call (or since opening), as message text. */
  readNew(): string[];
  close(): void;
}

/** The message of a /dev/kmsg record (`PRIO,SEQ,USEC,FLAGS;MESSAGE`, then continuation lines). */
export function kmsgMessage(record: string): string {
  const semicolon = record.indexOf(';');
  const body = semicolon >= 0 ? record.slice(semicolon + 1) : record;
  return body.split('\n')[0] ?? '';
}

function readRecords(fd: number, buffer: Buffer): string[] {
  const records: string[] = [];
  for (;;) {
    let n: number;
    try {
      n = readSync(fd, buffer, 0, buffer.length, null);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') return records;
      if (code === 'EPIPE') continue; // records were overwritten before they were read: go on with the next
      throw err;
    }
    if (n === 0) return records;
    records.push(kmsgMessage(buffer.subarray(0, n).toString('utf8')));
  }
}

/**
 * Opens the kernel log positioned after its last record (or at its oldest, `fromStart`); undefined when this
 * process may not read it (the error code is given to `onDenied`).
 */
export function openKernelLog(onDenied?: (code: string) => void, fromStart = false): KernelLog | undefined {
  let fd: number;
  try {
    fd = openSync('/dev/kmsg', constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    onDenied?.((err as NodeJS.ErrnoException).code ?? 'error');
    return undefined;
  }
  const buffer = Buffer.alloc(16384);
  try {
    if (!fromStart) readRecords(fd, buffer); // skip what is there already
  } catch (err) {
    closeSync(fd);
    onDenied?.((err as NodeJS.ErrnoException).code ?? 'error');
    return undefined;
  }
  return {
    readNew: () => readRecords(fd, buffer),
    close: () => closeSync(fd),
  };
}

/** Every record the kernel log holds now, oldest first, as message text. Throws the open error (EPERM) when not readable. */
export function readKernelLog(): string[] {
  const fd = openSync('/dev/kmsg', constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    return readRecords(fd, Buffer.alloc(16384));
  } finally {
    closeSync(fd);
  }
}
