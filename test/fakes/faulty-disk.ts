import { nodeDisk, type Disk, type DiskFile } from '../../lib/disk.js';

/**
 * The real disk, with failures injected at chosen calls: what a full disk (`ENOSPC`), a read-only
 * remount (`EROFS`) or lost permissions (`EACCES`) look like to the code. Tests run as root, where
 * chmod makes nothing unwritable, so this is how they reach those paths.
 */

export type DiskOp = 'open' | 'write' | 'sync' | 'size' | 'truncate' | 'close' | 'readFile' | 'readdir' | 'mkdir' | 'rename' | 'unlink' | 'truncatePath';

export interface Fault {
  op: DiskOp;
  code: 'ENOSPC' | 'EACCES' | 'EROFS' | 'EIO';
  /** Only calls on a path that matches (for `rename`, the source path). */
  path?: RegExp;
  /** How many matching calls fail; then the fault is gone. Default: until `heal()`. */
  times?: number;
  /** For `write`: this many characters of the text reach the file before the failure. */
  partial?: number;
}

export interface DiskCall {
  op: DiskOp;
  path: string;
}

export interface FaultyDisk extends Disk {
  /** Every call, in order, failed or not. */
  readonly calls: DiskCall[];
  fail(fault: Fault): void;
  /** Space is back, permissions are fixed: no call fails any more. */
  heal(): void;
}

export function errnoError(code: string, op: string, path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: injected fault, ${op} '${path}'`), { code, syscall: op, path });
}

export function faultyDisk(base: Disk = nodeDisk): FaultyDisk {
  const calls: DiskCall[] = [];
  let faults: (Fault & { left: number })[] = [];

  /** The fault this call hits, if any; counts it down. */
  function hit(op: DiskOp, path: string): Fault | undefined {
    calls.push({ op, path });
    const fault = faults.find((f) => f.op === op && f.left > 0 && (f.path === undefined || f.path.test(path)));
    if (fault) fault.left -= 1;
    return fault;
  }

  function guard(op: DiskOp, path: string): void {
    const fault = hit(op, path);
    if (fault) throw errnoError(fault.code, op, path);
  }

  function wrap(file: DiskFile, path: string): DiskFile {
    return {
      async write(text) {
        const fault = hit('write', path);
        if (!fault) return file.write(text);
        if (fault.partial) await file.write(text.slice(0, fault.partial));
        throw errnoError(fault.code, 'write', path);
      },
      async sync() {
        guard('sync', path);
        return file.sync();
      },
      async size() {
        guard('size', path);
        return file.size();
      },
      async truncate(length) {
        guard('truncate', path);
        return file.truncate(length);
      },
      async close() {
        const fault = hit('close', path);
        await file.close();
        if (fault) throw errnoError(fault.code, 'close', path);
      },
    };
  }

  return {
    calls,
    fail(fault) {
      faults.push({ ...fault, left: fault.times ?? Infinity });
    },
    heal() {
      faults = [];
    },
    async open(path, flags, mode) {
      guard('open', path);
      return wrap(await base.open(path, flags, mode), path);
    },
    async readFile(path) {
      guard('readFile', path);
      return base.readFile(path);
    },
    async readdir(path) {
      guard('readdir', path);
      return base.readdir(path);
    },
    async mkdir(path, mode) {
      guard('mkdir', path);
      return base.mkdir(path, mode);
    },
    async rename(from, to) {
      guard('rename', from);
      return base.rename(from, to);
    },
    async unlink(path) {
      guard('unlink', path);
      return base.unlink(path);
    },
    async truncate(path, length) {
      guard('truncatePath', path);
      return base.truncate(path, length);
    },
  };
}
