import path from 'node:path';
import { errnoCode, syncDirectory, type Disk, type DiskFile } from '../../lib/disk.js';
import { completeLines, confirmedLength, newestDateOf, parseLines } from './jsonl.js';
import { dayFilesNewestFirst } from './layout.js';

/** A day file's content, or undefined when it does not exist yet. */
async function readIfExists(disk: Disk, file: string): Promise<Buffer | undefined> {
  try {
    return await disk.readFile(file);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * The documents of a day file about to be appended to, after cutting off a torn last line so the
 * next append starts on a line of its own.
 */
export async function openDayForAppend(disk: Disk, file: string): Promise<Record<string, unknown>[]> {
  const content = await readIfExists(disk, file);
  if (content === undefined) return [];
  const length = confirmedLength(content);
  if (length < content.length) await disk.truncate(file, length);
  return parseLines(completeLines(content));
}

/**
 * Appends `text` in one write and fsyncs, so a resolved append is on disk. A failed append (disk
 * full mid-write, a failed fsync) is undone: the file is cut back to its length before, so it never
 * ends in a torn line and never holds part of a batch its caller was told failed. A file this
 * append created is removed again. Should the undo fail too, the torn tail is cut off when the day
 * is next read (`openDayForAppend`), and complete lines that stayed are counted as stored.
 */
export async function appendDurably(disk: Disk, file: string, text: string, mode?: number): Promise<void> {
  // `mode` applies when the append creates the file; the umask cannot widen it, only narrow it.
  const handle = await disk.open(file, 'a', mode);
  let before: number | undefined;
  try {
    before = await handle.size();
    await handle.write(text);
    await handle.sync();
  } catch (error) {
    if (before !== undefined) await undo(disk, handle, file, before);
    throw error;
  } finally {
    await handle.close().catch(() => undefined);
  }
  // A file that was empty may have just been created, in a collection directory that may be new:
  // their directory entries must survive a power cut too, not just the data.
  if (before === 0) {
    await syncDirectory(disk, path.dirname(file));
    await syncDirectory(disk, path.dirname(path.dirname(file)));
  }
}

async function undo(disk: Disk, handle: DiskFile, file: string, length: number): Promise<void> {
  try {
    if (length === 0) {
      await disk.unlink(file);
    } else {
      await handle.truncate(length);
      await handle.sync();
    }
  } catch {
    return;
  }
}

/** Newest `date` in a collection's directory: the newest day file that holds a complete document. */
export async function newestDateInDir(disk: Disk, dir: string): Promise<number | undefined> {
  let names: string[];
  try {
    names = await disk.readdir(dir);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw error;
  }
  for (const name of dayFilesNewestFirst(names)) {
    const content = await readIfExists(disk, path.join(dir, name));
    if (content === undefined) continue;
    const newest = newestDateOf(parseLines(completeLines(content)));
    if (newest !== undefined) return newest;
  }
  return undefined;
}
