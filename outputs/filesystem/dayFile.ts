import { open, readFile, readdir, truncate } from 'node:fs/promises';
import path from 'node:path';
import { completeLines, confirmedLength, newestDateOf, parseLines } from './jsonl.js';
import { dayFilesNewestFirst } from './layout.js';

function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | null)?.code === 'ENOENT';
}

/** A day file's content, or undefined when it does not exist yet. */
async function readIfExists(file: string): Promise<Buffer | undefined> {
  try {
    return await readFile(file);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/**
 * The documents of a day file about to be appended to, after cutting off a torn last line so the
 * next append starts on a line of its own. `exists` is false when the file is still to be created.
 */
export async function openDayForAppend(file: string): Promise<{ docs: Record<string, unknown>[]; exists: boolean }> {
  const content = await readIfExists(file);
  if (content === undefined) return { docs: [], exists: false };
  const length = confirmedLength(content);
  if (length < content.length) await truncate(file, length);
  return { docs: parseLines(completeLines(content)), exists: true };
}

/** Appends `text` in one write and fsyncs, so a resolved append is on disk. */
export async function appendDurably(file: string, text: string): Promise<void> {
  const handle = await open(file, 'a');
  try {
    await handle.write(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Makes a newly created file's directory entry durable too. Best effort: some platforms cannot
 * open a directory, and the data itself is already synced.
 */
export async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    return;
  }
}

/** Newest `date` in a collection's directory: the newest day file that holds a complete document. */
export async function newestDateInDir(dir: string): Promise<number | undefined> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
  for (const name of dayFilesNewestFirst(names)) {
    const content = await readIfExists(path.join(dir, name));
    if (content === undefined) continue;
    const newest = newestDateOf(parseLines(completeLines(content)));
    if (newest !== undefined) return newest;
  }
  return undefined;
}
