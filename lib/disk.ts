import { mkdir, open, readFile, readdir, rename, truncate, unlink } from 'node:fs/promises';

/**
 * The few file operations the state store and the filesystem output use, behind one small
 * interface so tests can make a chosen call fail the way a full disk (`ENOSPC`), a read-only
 * remount (`EROFS`) or lost permissions (`EACCES`) do. Tests run as root, where chmod does not
 * make anything unwritable; production always uses {@link nodeDisk}.
 */
export interface DiskFile {
  /** Writes all of `text` (looping over short writes), or throws; a throw may leave part of it written. */
  write(text: string): Promise<void>;
  sync(): Promise<void>;
  /** Current size in bytes. */
  size(): Promise<number>;
  truncate(length: number): Promise<void>;
  close(): Promise<void>;
}

export interface Disk {
  /** `w` creates or empties, `a` creates or appends, `r` reads (also a directory, to fsync it). */
  open(path: string, flags: 'w' | 'a' | 'r', mode?: number): Promise<DiskFile>;
  readFile(path: string): Promise<Buffer>;
  readdir(path: string): Promise<string[]>;
  /** Creates `path` and its parents; an existing directory is fine. */
  mkdir(path: string, mode?: number): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  truncate(path: string, length: number): Promise<void>;
}

/** `node:fs/promises`, as it is. */
export const nodeDisk: Disk = {
  async open(path, flags, mode) {
    const handle = await open(path, flags, mode);
    return {
      async write(text) {
        const bytes = Buffer.from(text, 'utf8');
        let offset = 0;
        while (offset < bytes.length) {
          // A regular file writes short only when it is out of space; the next write then says so.
          const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset, null);
          if (bytesWritten === 0) throw Object.assign(new Error(`no progress writing ${path}`), { code: 'EIO' });
          offset += bytesWritten;
        }
      },
      sync: () => handle.sync(),
      size: async () => (await handle.stat()).size,
      truncate: (length) => handle.truncate(length),
      close: () => handle.close(),
    };
  },
  readFile: (path) => readFile(path),
  readdir: (path) => readdir(path),
  async mkdir(path, mode) {
    await mkdir(path, { recursive: true, ...(mode === undefined ? {} : { mode }) });
  },
  rename: (from, to) => rename(from, to),
  unlink: (path) => unlink(path),
  truncate: (path, length) => truncate(path, length),
};

/**
 * fsyncs a directory so a file created or renamed in it survives a power cut, not just its data.
 * Best effort: some platforms cannot open a directory, and by the time this runs the new content
 * is already in place and synced — reporting a failure here would claim a write failed that took
 * effect.
 */
export async function syncDirectory(disk: Disk, dir: string): Promise<void> {
  let handle: DiskFile;
  try {
    handle = await disk.open(dir, 'r');
  } catch {
    return;
  }
  try {
    await handle.sync();
  } catch {
    return;
  } finally {
    await handle.close().catch(() => undefined);
  }
}

export function errnoCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | null)?.code;
}
