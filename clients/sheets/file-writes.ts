// Writes to a file that other processes and people write at the same time: a queue per file in
// this process, a lock file across processes, and an atomic replace so no one sees half a file.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { errorText, isErrno, sleep } from './fs-helpers';
import { SheetSourceError } from './sheet-source';

/** A lock file this old belongs to a writer that crashed (a write takes well under a second). */
export const STALE_LOCK_MS = 30_000;
/** How long a write waits for another process's lock before giving up. */
const LOCK_WAIT_MS = 10_000;

/** Tail of the write queue per absolute file path, shared by every instance in this process. */
const writeQueues = new Map<string, Promise<void>>();

/** Runs `task` after every earlier task queued for `key` in this process has settled. */
export function serialise<T>(key: string, task: () => Promise<T>): Promise<T> {
  const previous = writeQueues.get(key) ?? Promise.resolve();
  const result = previous.then(task);
  const tail = result.then(
    () => undefined,
    () => undefined,
  );
  writeQueues.set(key, tail);
  void tail.then(() => {
    if (writeQueues.get(key) === tail) writeQueues.delete(key);
  });
  return result;
}

/** Runs `task` holding `<file>.lock`, which other processes writing the same file also take. */
export async function withLockFile<T>(file: string, task: () => Promise<T>): Promise<T> {
  const lockFile = `${file}.lock`;
  const token = `${process.pid} ${randomBytes(8).toString('hex')}\n`;
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (let attempt = 0; ; attempt++) {
    let handle;
    try {
      handle = await fs.open(lockFile, 'wx');
    } catch (err) {
      if (!isErrno(err, 'EEXIST')) {
        throw new SheetSourceError(`cannot create the lock file ${lockFile}: ${errorText(err)}`);
      }
    }
    if (handle) {
      try {
        await handle.writeFile(token);
        await handle.close();
      } catch (err) {
        await handle.close().catch(() => undefined);
        await fs.rm(lockFile, { force: true });
        throw new SheetSourceError(`cannot write the lock file ${lockFile}: ${errorText(err)}`);
      }
      break;
    }
    if (await breakStaleLock(lockFile)) continue;
    if (Date.now() > deadline) {
      throw new SheetSourceError(
        `${file} is locked by another process (${lockFile}) for more than ${LOCK_WAIT_MS / 1000} s; ` +
          `a lock older than ${STALE_LOCK_MS / 1000} s is removed automatically`,
      );
    }
    await sleep(Math.min(10 * 2 ** attempt, 100) * (0.5 + Math.random()));
  }
  try {
    return await task();
  } finally {
    // Only remove our own lock: if ours was broken as stale, the current one belongs to another.
    const content = await fs.readFile(lockFile, 'utf8').catch(() => undefined);
    if (content === token) await fs.rm(lockFile, { force: true });
  }
}

/**
 * Removes the lock file if it is older than STALE_LOCK_MS; true if it is gone now. It is
 * renamed away first, and put back if it turns out to be a new lock that another process took
 * after ours saw the stale one (two processes breaking the same stale lock).
 */
async function breakStaleLock(lockFile: string): Promise<boolean> {
  let stale;
  try {
    stale = await fs.stat(lockFile);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return true;
    throw err;
  }
  if (Date.now() - stale.mtimeMs < STALE_LOCK_MS) return false;
  const aside = `${lockFile}.${process.pid}.${randomBytes(4).toString('hex')}.stale`;
  try {
    await fs.rename(lockFile, aside);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return true;
    throw err;
  }
  const taken = await fs.stat(aside);
  if (taken.ino !== stale.ino || taken.mtimeMs !== stale.mtimeMs) {
    await fs.link(aside, lockFile).catch(() => undefined);
  }
  await fs.rm(aside, { force: true });
  return true;
}

/** Replaces `target` (no symlink) with `bytes` atomically: temp file in the same folder, fsync, rename. */
export async function replaceFile(target: string, bytes: Uint8Array): Promise<void> {
  const dir = path.dirname(target);
  const temp = path.join(
    dir,
    `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`,
  );
  const mode = await fs.stat(target).then(
    (s) => s.mode & 0o7777,
    () => undefined,
  );
  try {
    const handle = await fs.open(temp, 'wx');
    try {
      if (mode !== undefined) await handle.chmod(mode);
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temp, target);
  } catch (err) {
    await fs.rm(temp, { force: true });
    // Excel on Windows keeps the files it has open locked against replacement.
    const hint = ['EPERM', 'EBUSY', 'EACCES'].some((code) => isErrno(err, code))
      ? ' (is it open in Excel? Close it there)'
      : '';
    throw new SheetSourceError(`cannot write the spreadsheet ${target}${hint}: ${errorText(err)}`);
  }
  // Make the rename itself durable; not every platform can open a folder, so best effort.
  await fs
    .open(dir, 'r')
    .then(
      (handle) => handle.sync().finally(() => handle.close()),
      () => undefined,
    )
    .catch(() => undefined);
}
