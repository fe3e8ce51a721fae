import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync, unlinkSync, accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { errnoCode, nodeDisk, syncDirectory, type Disk } from './disk.js';
import { StorageError } from './errors.js';
import type { Logger } from './logger.js';
import { parseJsonLines } from './json-lines.js';

/**
 * Small JSON documents gluco-hub keeps between runs (vendor sessions, "do not log in before T"),
 * one file per key under `<stateDir>/<bridge>/`. Files are 0600 and replaced atomically
 * (write a temp file, fsync, rename, fsync the directory), so a crash or power cut leaves the old or
 * the new version, never half. A failed write (disk full, read-only, permissions) throws STATE003,
 * leaves the old version and no temp file; one left by a crash is removed by the next run's first write. A file that is not JSON is moved aside with one STATE004
 * warning and reads as absent: losing a state file costs at most one extra vendor login, while
 * refusing to start over it would stop the readings. JSON of the wrong shape is the caller's to judge.
 */
export interface StateStore {
  read(key: string): Promise<unknown>;
  write(key: string, value: unknown): Promise<void>;
  /**
   * A list kept as JSON lines (`<key>.jsonl`), for queues a person may want to read or grep.
   * Replaced atomically like `write`; a line that is not JSON is skipped with one warning.
   * `undefined` when there is no such file.
   */
  readLines(key: string): Promise<unknown[] | undefined>;
  writeLines(key: string, values: readonly unknown[]): Promise<void>;
  /**
   * Adds to the end of `<key>.jsonl` (created 0600) without rewriting it: for a list that grows by a
   * few lines at a time. Not atomic: a crash may leave a torn last line, which `readLines` skips; a
   * failed append (STATE003) may leave one too, so the caller's next write should be `writeLines`.
   */
  appendLines(key: string, values: readonly unknown[]): Promise<void>;
  remove(key: string): Promise<void>;
}

const CORRUPT_HINT = 'none: gluco-hub carries on without it (at most one extra login); if it recurs, check the disk';
const CORRUPT_LINES_HINT = 'none: the readable lines are kept; if it recurs, check the disk';

const KEY = /^[a-z0-9][a-z0-9_-]*$/i;
/** `<key>.json.<8 hex>.tmp`, as `write` names its temp files. */
const TEMP = /^[a-z0-9][a-z0-9_-]*\.jsonl?\.[0-9a-f]{8}\.tmp$/i;

/** Keys name files (and Redis keys): letters, digits, `_` and `-`, so none can leave its folder or namespace. */
export function checkKey(key: string): void {
  if (!KEY.test(key)) throw new Error(`invalid state key "${key}"`);
}

/** Fails fast, at start-up, when the state directory cannot be created or written. */
export function ensureWritableDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    accessSync(dir, constants.W_OK);
    const probe = join(dir, `.probe-${process.pid}`);
    writeFileSync(probe, '');
    unlinkSync(probe);
  } catch (cause) {
    throw new StorageError('STATE001', `the state directory ${dir} is not writable`, {
      cause,
      hint: 'set GLUCO_HUB__STATE_DIR to a writable directory',
    });
  }
}

export interface StateStoreOptions {
  /** File operations; tests inject faults here. Defaults to `node:fs/promises`. */
  disk?: Disk;
  /** Wall clock in epoch ms, for the name a corrupt file is moved aside to; defaults to `Date.now`. */
  now?: () => number;
}

export function createStateStore(dir: string, log: Logger, options: StateStoreOptions = {}): StateStore {
  const disk = options.disk ?? nodeDisk;
  const now = options.now ?? Date.now;
  const file = (key: string) => join(dir, `${key}.json`);
  const linesFile = (key: string) => join(dir, `${key}.jsonl`);

  /** Temp file, fsync, rename, directory fsync: a crash leaves the old or the new version, never half. */
  async function writeAtomically(target: string, text: string): Promise<void> {
    const temp = `${target}.${randomBytes(4).toString('hex')}.tmp`;
    await (swept ??= sweepTemps());
    try {
      await disk.mkdir(dir, 0o700);
      const handle = await disk.open(temp, 'w', 0o600);
      try {
        await handle.write(text);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await disk.rename(temp, target);
    } catch (cause) {
      await disk.unlink(temp).catch(() => undefined);
      throw new StorageError('STATE003', `cannot write state file ${target}`, { cause, hint: 'check free disk space and permissions' });
    }
    // The rename is only durable once the directory is: without this a power cut can bring back the old file.
    await syncDirectory(disk, dir);
  }
  /** Corrupt files that could not be moved aside: warned about once, then read as absent quietly. */
  const stuck = new Set<string>();
  /** Runs once, before this store creates a temp file of its own, so it never removes one in use. */
  let swept: Promise<void> | undefined;

  /**
   * Temp files a crash or power cut left between write and rename: never the current version,
   * but they may hold a vendor ticket, so they do not stay around.
   */
  async function sweepTemps(): Promise<void> {
    let names: string[];
    try {
      names = await disk.readdir(dir);
    } catch {
      return;
    }
    for (const name of names.filter((n) => TEMP.test(n))) await disk.unlink(join(dir, name)).catch(() => undefined);
  }

  /**
   * A corrupt copy may still hold a ticket or a refresh token: only the newest one per key stays,
   * for a person to look at; a disk that corrupts a file every day does not pile up secrets.
   */
  async function dropOlderCopies(key: string, keep: string): Promise<void> {
    let names: string[];
    try {
      names = await disk.readdir(dir);
    } catch {
      return;
    }
    const prefix = `${key}.json.corrupt-`;
    for (const name of names) {
      if (name.startsWith(prefix) && join(dir, name) !== keep) await disk.unlink(join(dir, name)).catch(() => undefined);
    }
  }

  /** A file that is not JSON is set aside for a person to look at; the caller carries on without it. */
  async function setAside(key: string, cause: unknown): Promise<undefined> {
    if (stuck.has(key)) return undefined;
    const aside = `${file(key)}.corrupt-${now()}`;
    try {
      await disk.rename(file(key), aside);
      await dropOlderCopies(key, aside);
      const error = new StorageError('STATE004', `state file ${file(key)} was corrupt; moved it to ${aside}`, { cause, hint: CORRUPT_HINT });
      log.warn({ err: error, file: aside }, 'state file was corrupt; moved aside, carrying on without it');
    } catch (renameError) {
      stuck.add(key);
      const error = new StorageError('STATE004', `state file ${file(key)} is corrupt and could not be moved aside`, {
        cause: renameError,
        hint: CORRUPT_HINT,
      });
      log.warn({ err: error, file: file(key) }, 'state file is corrupt; carrying on without it');
    }
    return undefined;
  }

  return {
    async read(key) {
      checkKey(key);
      let text: string;
      try {
        text = (await disk.readFile(file(key))).toString('utf8');
      } catch (err) {
        if (errnoCode(err) === 'ENOENT') return undefined;
        throw new StorageError('STATE002', `cannot read state file ${file(key)}`, { cause: err });
      }
      try {
        return JSON.parse(text) as unknown;
      } catch (err) {
        return setAside(key, err);
      }
    },
    async write(key, value) {
      checkKey(key);
      await writeAtomically(file(key), `${JSON.stringify(value)}\n`);
      stuck.delete(key);
    },
    async readLines(key) {
      checkKey(key);
      let text: string;
      try {
        text = (await disk.readFile(linesFile(key))).toString('utf8');
      } catch (err) {
        if (errnoCode(err) === 'ENOENT') return undefined;
        throw new StorageError('STATE002', `cannot read state file ${linesFile(key)}`, { cause: err });
      }
      const { values, bad } = parseJsonLines(text);
      if (bad > 0) {
        const error = new StorageError('STATE004', `state file ${linesFile(key)} had ${bad} unreadable line(s); skipped them`, { hint: CORRUPT_LINES_HINT });
        log.warn({ err: error, file: linesFile(key) }, 'state file had unreadable lines; carrying on without them');
      }
      return values;
    },
    async writeLines(key, values) {
      checkKey(key);
      await writeAtomically(linesFile(key), values.map((v) => `${JSON.stringify(v)}\n`).join(''));
    },
    async appendLines(key, values) {
      checkKey(key);
      if (values.length === 0) return;
      try {
        await disk.mkdir(dir, 0o700);
        const handle = await disk.open(linesFile(key), 'a', 0o600);
        try {
          await handle.write(values.map((v) => `${JSON.stringify(v)}\n`).join(''));
        } finally {
          await handle.close();
        }
      } catch (cause) {
        throw new StorageError('STATE003', `cannot append to state file ${linesFile(key)}`, { cause, hint: 'check free disk space and permissions' });
      }
    },
    async remove(key) {
      checkKey(key);
      for (const path of [file(key), linesFile(key)]) {
        try {
          await disk.unlink(path);
        } catch (err) {
          if (errnoCode(err) !== 'ENOENT') throw new StorageError('STATE003', `cannot remove state file ${path}`, { cause: err });
        }
      }
      stuck.delete(key);
    },
  };
}
