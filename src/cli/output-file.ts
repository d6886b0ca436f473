/**
 * Writing a command's output to a file (`-o`), so that no failure destroys anything: the output may not be one of
 * the command's inputs (compared by device and inode, so symlinks and hard links count), and a regular file is
 * replaced by renaming a complete temporary file from the same folder over it, so a failed write (a full disk, a
 * file size limit) leaves the old file as it was and no temporary file behind.
 */
import { constants, fstatSync, type Stats } from 'node:fs';
import { lstat, open, readlink, realpath, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { CliError } from './command.js';

/** An input of the command: a file path, `-` for stdin, or something that is no file (a built-in profile). */
export type OutputInput = { readonly path: string; readonly name: string };

const errnoCode = (err: unknown): string | undefined => (err as NodeJS.ErrnoException | undefined)?.code;

async function statOrUndefined(path: string, follow: boolean): Promise<Stats | undefined> {
  try {
    return await (follow ? stat(path) : lstat(path));
  } catch (err) {
    if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return undefined;
    throw err;
  }
}

function stdinStats(): Stats | undefined {
  try {
    return fstatSync(0);
  } catch {
    return undefined;
  }
}

/**
 * Refuses, as a `CliError`, an output file that is one of INPUTS however it is reached; for commands that should
 * check before any work (`writeOutputFile` checks again when it writes).
 */
export async function refuseOutputOntoInput(outputFile: string, inputs: readonly OutputInput[]): Promise<void> {
  const existing = await statOrUndefined(outputFile, true).catch(() => undefined);
  if (existing !== undefined) await refuseInputAsOutput(outputFile, existing, inputs);
}

/** Refuses an output that is the same file as one of the inputs, however it is reached. */
async function refuseInputAsOutput(outputFile: string, existing: Stats, inputs: readonly OutputInput[]): Promise<void> {
  for (const input of inputs) {
    const s = input.path === '-' ? stdinStats() : await statOrUndefined(input.path, true).catch(() => undefined);
    // Only files are at risk: a pipe or terminal as stdin is never the output file.
    if (s === undefined || !(s.isFile() || s.isBlockDevice())) continue;
    if (s.dev === existing.dev && s.ino === existing.ino) {
      const same = input.path === outputFile ? '' : ` (the same file as ${input.name})`;
      throw new CliError(`${outputFile}: is the input${same}; refusing to overwrite it (choose another -o)`);
    }
  }
}

/** Permission bits an existing file keeps; set-user-ID, set-group-ID and sticky bits are dropped. */
const keptMode = (s: Stats): number => s.mode & 0o777;

/** Writes DATA to a new file next to TARGET and renames it over TARGET; on failure removes it and rethrows. */
async function replaceByRename(target: string, data: Uint8Array | string, existing: Stats | undefined): Promise<void> {
  // Loaded here, not at start: most runs write to stdout or a device and never need it.
  const { randomBytes } = await import('node:crypto');
  const temp = join(dirname(target), `.${basename(target)}.${process.pid}-${randomBytes(6).toString('hex')}.tmp`);
  let created = false;
  try {
    // 0o666 less the umask, as for any new file; an existing file's own permissions are copied below.
    const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o666);
    created = true;
    try {
      await handle.writeFile(data);
      if (existing !== undefined) {
        await handle.chmod(keptMode(existing));
        // Only root can give the file back to its owner; anyone else owns what they write, as with any editor.
        if (process.getuid?.() === 0 && (existing.uid !== 0 || existing.gid !== 0)) {
          await handle.chown(existing.uid, existing.gid).catch(() => undefined);
        }
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, target);
  } catch (err) {
    if (created) await unlink(temp).catch(() => undefined);
    throw err;
  }
}

/**
 * Writes a command's output to OUTPUT_FILE: refused when it is one of INPUTS; an existing regular file (or the file
 * a symlink names) is replaced only once the new content is complete; a device or FIFO (`/dev/stdout`) is written
 * in place. Errors are `CliError`s naming the file.
 */
export async function writeOutputFile(outputFile: string, data: Uint8Array | string, inputs: readonly OutputInput[]): Promise<void> {
  let existing: Stats | undefined;
  let target = outputFile;
  try {
    existing = await statOrUndefined(outputFile, true);
    if (existing !== undefined) await refuseInputAsOutput(outputFile, existing, inputs);
    if (existing !== undefined && !existing.isFile()) {
      if (existing.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
      // A character device, FIFO or socket has no content to protect and cannot be renamed over.
      await writeFile(outputFile, data);
      return;
    }
    // Through a symlink, the file it names is replaced (or created) and the link kept.
    if (existing !== undefined) target = await realpath(outputFile);
    else if ((await statOrUndefined(outputFile, false))?.isSymbolicLink()) target = resolve(dirname(outputFile), await readlink(outputFile));
    await replaceByRename(target, data, existing);
  } catch (err) {
    if (err instanceof CliError) throw err;
    const code = errnoCode(err);
    const kept = existing !== undefined ? '; the existing file is unchanged' : '';
    throw new CliError(`${outputFile}: cannot write file${code ? ` (${code})` : ''}${kept}`);
  }
}
