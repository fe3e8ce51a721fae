import { dirModeFor, PRIVATE_FILE_MODE } from '../../lib/file-mode.js';
import path from 'node:path';
import { COLLECTIONS, type Batch, type Collection, type NewestDates, type NightscoutDocument } from '../../lib/domain.js';
import { nodeDisk, type Disk } from '../../lib/disk.js';
import { StorageError } from '../../lib/errors.js';
import { serial } from '../../lib/serial.js';
import type { Logger } from '../../lib/logger.js';
import type { Output, StoreResult } from '../../lib/contracts/output.js';
import { appendDurably, newestDateInDir, openDayForAppend } from './dayFile.js';
import { identifiersOf, toLines } from './jsonl.js';
import { collectionDir, dayFilePath, dayOf } from './layout.js';
import { LruMap } from './lru.js';
import { expiredDayFiles, oldestKeptDay, SWEEP_INTERVAL_MS } from './retention.js';

/** Settings of the filesystem output (layout in `layout.ts`). */
export interface FilesystemSettings {
  /** Directory the JSON-lines archive lives in; created at start. */
  dir: string;
  /** New files' permissions (default 0600; directories the matching 0700, `lib/file-mode.ts`). */
  mode?: number;
  /** Delete day files older than this many days, at start and daily (`retention.ts`); unset keeps everything. */
  keepDays?: number | undefined;
}

export interface FilesystemDeps {
  /** Wall clock in epoch ms; defaults to `Date.now`. */
  now?: () => number;
  /** File operations; tests inject faults here. Defaults to `node:fs/promises`. */
  disk?: Disk;
  /** Where a retention sweep says what it deleted. */
  log?: Logger;
}

/** Identifier sets of this many day files stay in memory; a back-fill touches two days at most. */
const CACHED_DAY_FILES = 6;

function groupByDay<T extends { date: number }>(docs: readonly T[]): Map<string, T[]> {
  const days = new Map<string, T[]>();
  for (const doc of docs) {
    const day = dayOf(doc.date);
    const list = days.get(day);
    if (list) list.push(doc);
    else days.set(day, [doc]);
  }
  return days;
}

function newestOf(docs: readonly NightscoutDocument[], previous: number | undefined): number {
  return docs.reduce((max, doc) => Math.max(max, doc.date), previous ?? -Infinity);
}

class FilesystemOutput implements Output {
  readonly name = 'filesystem';
  readonly #dir: string;
  readonly #fileMode: number;
  readonly #dirMode: number;
  readonly #now: () => number;
  readonly #disk: Disk;
  readonly #keepDays: number | undefined;
  readonly #log: Logger | undefined;
  #sweepTimer: NodeJS.Timeout | undefined;
  readonly #identifiers = new LruMap<string, Set<string>>(CACHED_DAY_FILES);
  #newest: NewestDates | undefined;
  /** One writer per output: lines never interleave. */
  readonly #serial = serial();

  constructor(settings: FilesystemSettings, deps: FilesystemDeps) {
    this.#dir = path.resolve(settings.dir);
    this.#fileMode = settings.mode ?? PRIVATE_FILE_MODE;
    this.#dirMode = dirModeFor(this.#fileMode);
    this.#now = deps.now ?? Date.now;
    this.#disk = deps.disk ?? nodeDisk;
    this.#keepDays = settings.keepDays;
    this.#log = deps.log;
  }

  start(): Promise<void> {
    return this.#serial.run(async () => {
      await this.#checkWritable();
      this.#newest = await this.#loadNewest();
      if (this.#keepDays !== undefined) {
        await this.#sweep(this.#keepDays);
        const keepDays = this.#keepDays;
        // A start after a failed one must not leave a second timer behind.
        clearInterval(this.#sweepTimer);
        this.#sweepTimer = setInterval(() => void this.#serial.run(() => this.#sweep(keepDays)), SWEEP_INTERVAL_MS);
        // Retention alone never keeps the process alive.
        this.#sweepTimer.unref();
      }
    });
  }

  newest(signal: AbortSignal): Promise<NewestDates> {
    return this.#serial.run(async () => {
      signal.throwIfAborted();
      this.#newest ??= await this.#loadNewest();
      return { ...this.#newest };
    });
  }

  store(batch: Batch, signal: AbortSignal): Promise<StoreResult> {
    return this.#serial.run(() => this.#storeBatch(batch, signal));
  }

  stop(): Promise<void> {
    clearInterval(this.#sweepTimer);
    this.#sweepTimer = undefined;
    return this.#serial.run(() => {
      this.#identifiers.clear();
      return Promise.resolve();
    });
  }

  async #checkWritable(): Promise<void> {
    const probe = path.join(this.#dir, `.probe-${process.pid}-${this.#now()}`);
    try {
      await this.#disk.mkdir(this.#dir, this.#dirMode);
      const handle = await this.#disk.open(probe, 'w');
      try {
        await handle.write('probe');
      } finally {
        await handle.close();
        await this.#disk.unlink(probe);
      }
    } catch (error) {
      throw new StorageError('FS001', `the filesystem output directory ${this.#dir} is not writable`, {
        cause: error,
        hint: 'set the filesystem directory to a writable path',
      });
    }
  }

  /**
   * Deletes every collection's day files older than `keepDays` (never today's or a newer one) and
   * says so in one line. A file that cannot be deleted is a warning, not a stop: storing goes on,
   * and the next sweep tries again.
   */
  async #sweep(keepDays: number): Promise<void> {
    const now = this.#now();
    let deleted = 0;
    const failed: string[] = [];
    for (const collection of COLLECTIONS) {
      const dir = collectionDir(this.#dir, collection);
      let names: string[];
      try {
        names = await this.#disk.readdir(dir);
      } catch {
        continue;
      }
      for (const name of expiredDayFiles(names, now, keepDays)) {
        try {
          await this.#disk.unlink(path.join(dir, name));
          this.#identifiers.delete(`${collection}/${name.slice(0, -'.jsonl'.length)}`);
          deleted += 1;
        } catch (error) {
          failed.push(`${collection}/${name} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
        }
      }
    }
    const kept = oldestKeptDay(now, keepDays);
    this.#log?.info({ deleted, keepDays }, `filesystem retention: deleted ${deleted} day file(s) before ${kept} (keeping ${keepDays} days) under ${this.#dir}`);
    if (failed.length > 0) {
      const error = new StorageError('FS005', `could not delete ${failed.length} expired day file(s) under ${this.#dir}: ${failed.slice(0, 3).join(', ')}${failed.length > 3 ? ' …' : ''}`, {
        hint: 'check the permissions of the filesystem directory; the next daily sweep tries again',
      });
      this.#log?.warn({ code: error.code }, error.toUserLine());
    }
  }

  async #loadNewest(): Promise<NewestDates> {
    const newest: NewestDates = {};
    try {
      for (const collection of COLLECTIONS) {
        const date = await newestDateInDir(this.#disk, collectionDir(this.#dir, collection));
        if (date !== undefined) newest[collection] = date;
      }
    } catch (error) {
      throw new StorageError('FS003', `could not read the archive under ${this.#dir}`, {
        cause: error,
        hint: 'check that the filesystem directory and its day files are readable',
      });
    }
    return newest;
  }

  async #storeBatch(batch: Batch, signal: AbortSignal): Promise<StoreResult> {
    signal.throwIfAborted();
    const newest = (this.#newest ??= await this.#loadNewest());
    const total: StoreResult = { stored: 0, duplicates: 0 };
    for (const collection of COLLECTIONS) {
      const docs: readonly NightscoutDocument[] = batch[collection];
      if (docs.length === 0) continue;
      const { stored, duplicates } = await this.#storeCollection(collection, docs);
      total.stored += stored;
      total.duplicates += duplicates;
      if (stored > 0) newest[collection] = newestOf(docs, newest[collection]);
    }
    return total;
  }

  async #storeCollection(collection: Collection, docs: readonly NightscoutDocument[]): Promise<StoreResult> {
    const result: StoreResult = { stored: 0, duplicates: 0 };
    for (const [day, dayDocs] of groupByDay(docs)) {
      try {
        const { stored, duplicates } = await this.#storeDay(collection, day, dayDocs);
        result.stored += stored;
        result.duplicates += duplicates;
      } catch (error) {
        // The cached identifiers may no longer match the file; reread (and repair) it next time.
        this.#identifiers.delete(`${collection}/${day}`);
        throw new StorageError('FS002', `could not write ${collection} for ${day} under ${this.#dir}`, { cause: error });
      }
    }
    return result;
  }

  /** One append (and fsync) per day file per batch, of the documents the file does not have yet. */
  async #storeDay(collection: Collection, day: string, docs: readonly NightscoutDocument[]): Promise<StoreResult> {
    const ids = await this.#knownIdentifiers(collection, day);
    const seen = new Set<string>();
    const fresh = docs.filter((doc) => {
      if (ids.has(doc.identifier) || seen.has(doc.identifier)) return false;
      seen.add(doc.identifier);
      return true;
    });
    if (fresh.length > 0) {
      await appendDurably(this.#disk, dayFilePath(this.#dir, collection, day), toLines(fresh), this.#fileMode);
      for (const id of seen) ids.add(id);
    }
    return { stored: fresh.length, duplicates: docs.length - fresh.length };
  }

  /** The identifiers a day file holds, read (and its torn tail cut off) on first use, then cached. */
  async #knownIdentifiers(collection: Collection, day: string): Promise<Set<string>> {
    const key = `${collection}/${day}`;
    const cached = this.#identifiers.get(key);
    if (cached) return cached;
    await this.#disk.mkdir(collectionDir(this.#dir, collection), this.#dirMode);
    const ids = identifiersOf(await openDayForAppend(this.#disk, dayFilePath(this.#dir, collection, day)));
    this.#identifiers.set(key, ids);
    return ids;
  }
}

/**
 * Archives every document as JSON lines under `settings.dir`, one file per collection and UTC day
 * (`<dir>/<collection>/<YYYY-MM-DD>.jsonl`). An identifier is never written twice, across restarts
 * too; a resolved `store` is fsynced; stores are serialised so concurrent calls never interleave.
 * `start` fails with `StorageError` FS001 when the directory is not writable; writes fail with FS002.
 */
export function createFilesystemOutput(settings: FilesystemSettings, deps: FilesystemDeps = {}): Output {
  return new FilesystemOutput(settings, deps);
}
