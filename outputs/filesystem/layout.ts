/**
 * On-disk layout of the filesystem output:
 *
 *   <dir>/<collection>/<YYYY-MM-DD>.jsonl
 *
 * One file per collection (`entries`, `treatments`, `devicestatus`) and UTC day of the document's
 * `date`; one compact JSON document per line, appended in the order stored. Day files keep memory
 * and start-up bounded for long-running archives: dedup and `newest()` only ever read one day.
 * A last line without its newline is a torn write from a crash; it was never confirmed, so readers
 * ignore it and the next append cuts it off.
 */
import path from 'node:path';
import type { Collection } from '../../lib/domain.js';

/** A day file's name, capturing its day. */
export const DAY_FILE = /^(\d{4}-\d{2}-\d{2})\.jsonl$/;

const DAY_MS = 24 * 60 * 60_000;
/** The last day named: a batch is 288 readings of one or two days, and `toISOString` per reading was a profiled hot spot. */
let lastDay = { number: NaN, name: '' };

/** The UTC day (`YYYY-MM-DD`) a document with this `date` is filed under. */
export function dayOf(dateMs: number): string {
  const number = Math.floor(dateMs / DAY_MS);
  if (number !== lastDay.number) lastDay = { number, name: new Date(number * DAY_MS).toISOString().slice(0, 10) };
  return lastDay.name;
}

export function collectionDir(dir: string, collection: Collection): string {
  return path.join(dir, collection);
}

export function dayFilePath(dir: string, collection: Collection, day: string): string {
  return path.join(dir, collection, `${day}.jsonl`);
}

/** Day file names among `names`, newest day first. */
export function dayFilesNewestFirst(names: readonly string[]): string[] {
  return names.filter((name) => DAY_FILE.test(name)).sort().reverse();
}
