import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { errnoCode } from './disk.js';
import { StorageError } from './errors.js';

/**
 * One process at a time on a state folder. Two would race for the same vendor sessions (CareLink's
 * rotating refresh token: the loser revokes the winner's login) and overwrite each other's queues
 * and watermarks. The lock is a file holding the owner's pid, created exclusively; a file whose
 * process is gone (a crash, a SIGKILL) is taken over.
 */

const LOCK_FILE = 'gluco-hub.lock';

const holderSchema = z.object({ pid: z.number().int(), host: z.string(), command: z.string(), since: z.string() });
export type LockHolder = z.infer<typeof holderSchema>;

export interface StateLock {
  release(): void;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, it is someone else's.
    return errnoCode(error) === 'EPERM';
  }
}

/** Who holds the lock on `stateDir`, if a live process does. */
export function lockHolder(stateDir: string): LockHolder | undefined {
  let text: string;
  try {
    text = readFileSync(join(stateDir, LOCK_FILE), 'utf8');
  } catch {
    return undefined;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const parsed = holderSchema.safeParse(json);
  // Not a lock (cut short by a crash while it was written): nobody holds it.
  if (!parsed.success) return undefined;
  // A lock written on another machine (a shared volume) cannot be checked there: it counts as held.
  if (parsed.data.host === hostname() && (parsed.data.pid === process.pid || !alive(parsed.data.pid))) return undefined;
  return parsed.data;
}

export function heldError(stateDir: string, holder: LockHolder, hint: string): StorageError {
  return new StorageError('STATE005', `another gluco-hub process (pid ${holder.pid} on ${holder.host}, "${holder.command}" since ${holder.since}) is using the state folder ${stateDir}`, { hint });
}

/** Takes the lock for this process or throws STATE005 naming the holder; released at exit. */
export function lockStateDir(stateDir: string, command: string): StateLock {
  const file = join(stateDir, LOCK_FILE);
  const me: LockHolder = { pid: process.pid, host: hostname(), command, since: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt += 1) {
    let fd: number;
    try {
      fd = openSync(file, 'wx', 0o600);
    } catch (error) {
      if (errnoCode(error) !== 'EEXIST') throw new StorageError('STATE001', `cannot create the lock file ${file}`, { cause: error, hint: 'set GLUCO_HUB__STATE_DIR to a writable directory' });
      const holder = lockHolder(stateDir);
      if (holder) throw heldError(stateDir, holder, `stop it first, or give this one another GLUCO_HUB__STATE_DIR; if no such process runs, delete ${file}`);
      // Left by a process that is gone: take it over.
      try {
        unlinkSync(file);
      } catch {
        // another process took it over first; try again
      }
      continue;
    }
    try {
      writeSync(fd, JSON.stringify(me));
    } finally {
      closeSync(fd);
    }
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      process.off('exit', release);
      try {
        const now = holderSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
        if (now.success && now.data.pid === process.pid) unlinkSync(file);
      } catch {
        // gone already
      }
    };
    process.on('exit', release);
    return { release };
  }
  throw new StorageError('STATE005', `could not take the lock on the state folder ${stateDir}`, { hint: `if no other gluco-hub runs there, delete ${file}` });
}
