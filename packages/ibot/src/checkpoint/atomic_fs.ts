// The file-system steps of crash-safe writes: fsync of files and directories, write-to-temp-then-rename, and telling
// whether the process that left a temporary file behind is still alive.
import {closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync} from 'node:fs';
import {basename, dirname, join} from 'node:path';
import {randomBytes} from 'node:crypto';

/** fsync a directory, so that the entries created or renamed in it survive a crash. */
export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** A temporary name next to `path` that names this process (so stale ones can be told apart from live ones). */
export function tempSibling(path: string, tag = 'tmp'): string {
  return join(dirname(path), `.${basename(path)}.${tag}-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/**
 * Replaces `path` by `contents` atomically: a reader sees the old file or the new one, never a mix, and after a crash
 * the file is one of the two (write a temp file, fsync it, rename it over `path`, fsync the directory).
 */
export function writeFileAtomicSync(path: string, contents: string | Uint8Array): void {
  const temp = tempSibling(path);
  const fd = openSync(temp, 'wx', 0o644);
  try {
    try {
      const bytes = typeof contents === 'string' ? new TextEncoder().encode(contents) : contents;
      let done = 0;
      while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (e) {
    try {
      unlinkSync(temp);
    } catch {
      // already renamed or never created
    }
    throw e;
  }
  fsyncDir(dirname(path));
}

/** Whether a process with this id exists (EPERM: it exists but belongs to someone else). */
export function processAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
