import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync, unlinkSync, accessSync, constants } from 'node:fs';
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { StorageError } from './errors.js';
import type { Logger } from './logger.js';

/**
 * Small JSON documents gluco-hub keeps between runs (vendor sessions, "do not log in before T"),
 * one file per key under `<stateDir>/<bridge>/`. Files are 0600 and replaced atomically
 * (write a temp file, fsync, rename), so a crash leaves the old or the new version, never half.
 */
export interface StateStore {
  read(key: string): Promise<unknown>;
  write(key: string, value: unknown): Promise<void>;
  remove(key: string): Promise<void>;
}

const KEY = /^[a-z0-9][a-z0-9_-]*$/i;

function checkKey(key: string): void {
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

export function createStateStore(dir: string, log: Logger): StateStore {
  const file = (key: string) => join(dir, `${key}.json`);
  return {
    async read(key) {
      checkKey(key);
      let text: string;
      try {
        text = await readFile(file(key), 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw new StorageError('STATE002', `cannot read state file ${file(key)}`, { cause: err });
      }
      try {
        return JSON.parse(text) as unknown;
      } catch {
        const aside = `${file(key)}.corrupt-${Date.now()}`;
        await rename(file(key), aside).catch(() => undefined);
        log.warn({ file: aside }, 'state file was corrupt; moved aside, carrying on without it');
        return undefined;
      }
    },
    async write(key, value) {
      checkKey(key);
      const target = file(key);
      const temp = `${target}.${randomBytes(4).toString('hex')}.tmp`;
      try {
        await mkdir(dir, { recursive: true, mode: 0o700 });
        const handle = await open(temp, 'w', 0o600);
        try {
          await handle.writeFile(`${JSON.stringify(value)}\n`);
          await handle.sync();
        } finally {
          await handle.close();
        }
        await rename(temp, target);
      } catch (cause) {
        await unlink(temp).catch(() => undefined);
        throw new StorageError('STATE003', `cannot write state file ${target}`, { cause, hint: 'check free disk space and permissions' });
      }
    },
    async remove(key) {
      checkKey(key);
      await unlink(file(key)).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw new StorageError('STATE003', `cannot remove state file ${file(key)}`, { cause: err });
      });
    },
  };
}
