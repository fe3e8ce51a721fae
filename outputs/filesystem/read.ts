/**
 * Reading the archive back (`gluco-hub export`, `gluco-hub report`): the sensor readings of a time
 * span, one day file at a time, so a span of years never sits in memory at once.
 */
import path from 'node:path';
import { errnoCode, nodeDisk, type Disk } from '../../lib/disk.js';
import { StorageError } from '../../lib/errors.js';
import { completeLines } from './jsonl.js';
import { collectionDir, DAY_FILE, dayOf } from './layout.js';


/** One stored sensor glucose reading, as export and report need it. */
export interface StoredReading {
  date: number;
  mgdl: number;
  direction: string | undefined;
  device: string;
}

/** Lines that were not a stored document, counted per file so a person can find them. */
export interface DamagedLines {
  count: number;
  /** `entries/2026-12-01.jsonl`, in the order met. */
  files: string[];
}

type Parsed = { kind: 'reading'; reading: StoredReading } | { kind: 'other' } | { kind: 'damaged' };

/** A line of an entries day file: a sensor reading, another entry (a finger-stick, a calibration), or damage. */
export function parseEntryLine(line: string): Parsed {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { kind: 'damaged' };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { kind: 'damaged' };
  const doc = value as Record<string, unknown>;
  if (typeof doc.date !== 'number' || !Number.isFinite(doc.date)) return { kind: 'damaged' };
  const isSensor = doc.type === 'sgv' || 'sgv' in doc;
  if (!isSensor) return { kind: 'other' };
  if (typeof doc.sgv !== 'number' || !Number.isFinite(doc.sgv)) return { kind: 'damaged' };
  return {
    kind: 'reading',
    reading: {
      date: doc.date,
      mgdl: doc.sgv,
      direction: typeof doc.direction === 'string' ? doc.direction : undefined,
      device: typeof doc.device === 'string' ? doc.device : '',
    },
  };
}

function readFailure(dir: string, cause: unknown): StorageError {
  return new StorageError('EXP006', `cannot read the archive under ${dir}`, { cause, hint: 'check that the data folder and its day files are readable' });
}

/**
 * The sensor readings with `fromMs <= date <= toMs` under the filesystem output's `dir`, one array
 * per UTC day file, oldest day first and sorted by time within it. A torn last line (a write in
 * progress) is left out, as every reader of the archive does; any other line that is not a stored
 * document is skipped and counted in `damaged`.
 */
export async function* readingsBetween(dir: string, fromMs: number, toMs: number, damaged: DamagedLines, disk: Disk = nodeDisk): AsyncGenerator<StoredReading[]> {
  const entriesDir = collectionDir(dir, 'entries');
  let names: string[];
  try {
    names = await disk.readdir(entriesDir);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return;
    throw readFailure(dir, error);
  }
  const [firstDay, lastDay] = [dayOf(fromMs), dayOf(toMs)];
  const days = names
    .map((name) => DAY_FILE.exec(name)?.[1])
    .filter((day): day is string => day !== undefined && day >= firstDay && day <= lastDay)
    .sort();
  for (const day of days) {
    let content: Buffer;
    try {
      content = await disk.readFile(path.join(entriesDir, `${day}.jsonl`));
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') continue;
      throw readFailure(dir, error);
    }
    const readings: StoredReading[] = [];
    let bad = 0;
    for (const line of completeLines(content)) {
      if (line.length === 0) continue;
      const parsed = parseEntryLine(line);
      if (parsed.kind === 'damaged') bad += 1;
      else if (parsed.kind === 'reading' && parsed.reading.date >= fromMs && parsed.reading.date <= toMs) readings.push(parsed.reading);
    }
    if (bad > 0) {
      damaged.count += bad;
      damaged.files.push(`entries/${day}.jsonl`);
    }
    // Appended in the order stored: a back-fill can put older readings after newer ones.
    readings.sort((a, b) => a.date - b.date);
    if (readings.length > 0) yield readings;
  }
}
