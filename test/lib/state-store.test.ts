import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { StorageError } from '../../lib/errors.js';
import { createLogger } from '../../lib/logger.js';
import { createStateStore, ensureWritableDir } from '../../lib/state-store.js';
import { tempDir } from '../e2e/cli.js';
import { faultyDisk, type Fault } from '../fakes/faulty-disk.js';

function capturingLog() {
  const lines: string[] = [];
  const log = createLogger({
    level: 'info',
    format: 'json',
    destination: new Writable({
      write(chunk: Buffer, _e, done) {
        lines.push(chunk.toString());
        done();
      },
    }),
  });
  return { log, lines };
}

const NOW = 1_763_806_500_000;

/** The warnings logged so far, parsed. */
function warnings(lines: string[]): { msg: string; err?: { code?: string; message?: string }; file?: string }[] {
  return lines.map((line) => JSON.parse(line) as { level: number; msg: string }).filter((line) => line.level === 40);
}

describe('state store', () => {
  it('round-trips JSON in files only the owner can read', async () => {
    const dir = join(tempDir(), 'bridge');
    const store = createStateStore(dir, capturingLog().log);
    expect(await store.read('session')).toBeUndefined();
    await store.write('session', { token: 't', expires: 1 });
    expect(await store.read('session')).toEqual({ token: 't', expires: 1 });
    expect(statSync(join(dir, 'session.json')).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['session.json']);
    await store.remove('session');
    expect(await store.read('session')).toBeUndefined();
    await store.remove('session');
  });

  it('replaces a file whole: the old or the new content, never a mix', async () => {
    const dir = tempDir();
    const store = createStateStore(dir, capturingLog().log);
    await store.write('k', { v: 'old'.repeat(1000) });
    await Promise.all([store.write('k', { v: 'a' }), store.write('k', { v: 'b'.repeat(5000) })]);
    const text = readFileSync(join(dir, 'k.json'), 'utf8');
    expect(() => JSON.parse(text) as unknown).not.toThrow();
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('moves a corrupt file aside with a warning and carries on', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'session.json'), '{"token": "tru');
    const { log, lines } = capturingLog();
    const store = createStateStore(dir, log);
    expect(await store.read('session')).toBeUndefined();
    expect(readdirSync(dir).some((f) => f.startsWith('session.json.corrupt-'))).toBe(true);
    expect(lines.join('')).toContain('corrupt');
  });

  it('keeps only the newest corrupt copy of a file: an old one may hold a ticket or a refresh token', async () => {
    const dir = tempDir();
    let now = 1_000;
    const { log } = capturingLog();
    const store = createStateStore(dir, log, { now: () => now });
    for (let i = 0; i < 3; i += 1) {
      writeFileSync(join(dir, 'session.json'), `{"refresh_token": "secret-${i}`);
      expect(await store.read('session')).toBeUndefined();
      now += 1_000;
    }
    writeFileSync(join(dir, 'other.json'), '{');
    expect(await store.read('other')).toBeUndefined();
    expect(readdirSync(dir).filter((f) => f.includes('.corrupt-')).sort()).toEqual(['other.json.corrupt-4000', 'session.json.corrupt-3000']);
    expect(readFileSync(join(dir, 'session.json.corrupt-3000'), 'utf8')).toContain('secret-2');
  });

  it('an unwritable state directory is a coded start-up error', () => {
    const dir = tempDir();
    const blocker = join(dir, 'file');
    writeFileSync(blocker, '');
    expect(() => ensureWritableDir(join(blocker, 'state'))).toThrow(StorageError);
    expect(() => ensureWritableDir(join(blocker, 'state'))).toThrow(/STATE001/);
  });

  it('refuses keys that could escape the folder', async () => {
    const store = createStateStore(tempDir(), capturingLog().log);
    await expect(store.write('../x', {})).rejects.toThrow();
  });
});

describe('state store lists (JSON lines)', () => {
  it('round-trips a list one JSON document per line, 0600, atomically, and removes it with its key', async () => {
    const dir = join(tempDir(), 'bridge');
    const store = createStateStore(dir, capturingLog().log);
    expect(await store.readLines('queue')).toBeUndefined();
    await store.writeLines('queue', [{ a: 1 }, { b: 'two' }]);
    expect(readFileSync(join(dir, 'queue.jsonl'), 'utf8')).toBe('{"a":1}\n{"b":"two"}\n');
    expect(statSync(join(dir, 'queue.jsonl')).mode & 0o777).toBe(0o600);
    expect(await store.readLines('queue')).toEqual([{ a: 1 }, { b: 'two' }]);
    await store.writeLines('queue', []);
    expect(await store.readLines('queue')).toEqual([]);
    await store.remove('queue');
    expect(readdirSync(dir)).toEqual([]);
  });

  it('skips a line that is not JSON (a hand edit) with one STATE004 warning, keeping the others', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'queue.jsonl'), '{"a":1}\n{"b":\n{"c":3}\n');
    const { log, lines } = capturingLog();
    const store = createStateStore(dir, log);
    expect(await store.readLines('queue')).toEqual([{ a: 1 }, { c: 3 }]);
    expect(warnings(lines).map((w) => w.err?.code)).toEqual(['STATE004']);
  });

  it('keeps the previous list when the disk is full', async () => {
    const dir = tempDir();
    const disk = faultyDisk();
    const store = createStateStore(dir, capturingLog().log, { disk });
    await store.writeLines('queue', [{ a: 1 }]);
    disk.fail({ op: 'write', code: 'ENOSPC', partial: 4 });
    await expect(store.writeLines('queue', [{ a: 1 }, { b: 2 }])).rejects.toThrow(/STATE003/);
    disk.heal();
    expect(await store.readLines('queue')).toEqual([{ a: 1 }]);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});

describe('state store lists appended to', () => {
  it('appends lines to the end without rewriting the file (same inode), created 0600', async () => {
    const dir = join(tempDir(), 'bridge');
    const store = createStateStore(dir, capturingLog().log);
    await store.appendLines('ring', [{ a: 1 }]);
    expect(statSync(join(dir, 'ring.jsonl')).mode & 0o777).toBe(0o600);
    const inode = statSync(join(dir, 'ring.jsonl')).ino;
    await store.appendLines('ring', [{ b: 2 }, { c: 3 }]);
    await store.appendLines('ring', []);
    expect(readFileSync(join(dir, 'ring.jsonl'), 'utf8')).toBe('{"a":1}\n{"b":2}\n{"c":3}\n');
    expect(statSync(join(dir, 'ring.jsonl')).ino).toBe(inode);
  });

  it('a failed append is STATE003; the torn line it leaves is skipped on read, the lines before it kept', async () => {
    const dir = tempDir();
    const disk = faultyDisk();
    const { log } = capturingLog();
    const store = createStateStore(dir, log, { disk });
    await store.appendLines('ring', [{ a: 1 }]);
    disk.fail({ op: 'write', code: 'ENOSPC', partial: 4, times: 1 });
    await expect(store.appendLines('ring', [{ b: 2 }])).rejects.toThrow(/STATE003/);
    expect(readFileSync(join(dir, 'ring.jsonl'), 'utf8')).toBe('{"a":1}\n{"b"');
    expect(await store.readLines('ring')).toEqual([{ a: 1 }]);
  });
});

describe('state store when the disk fails at runtime', () => {
  const OLD = { token: 'old', expires: 1 };

  async function storeWithOldVersion() {
    const dir = tempDir();
    const disk = faultyDisk();
    const { log, lines } = capturingLog();
    const store = createStateStore(dir, log, { disk, now: () => NOW });
    await store.write('session', OLD);
    return { dir, disk, store, lines };
  }

  it.each<[string, Fault]>([
    ['the disk fills up half-way through the write', { op: 'write', code: 'ENOSPC', partial: 5 }],
    ['the fsync fails', { op: 'sync', code: 'EIO' }],
    ['the rename is refused', { op: 'rename', code: 'EACCES' }],
    ['the file system went read-only', { op: 'open', code: 'EROFS' }],
    ['the directory cannot be created', { op: 'mkdir', code: 'EACCES' }],
  ])('when %s: STATE003, the previous version intact, no temp file left', async (_name, fault) => {
    const { dir, disk, store } = await storeWithOldVersion();
    disk.fail(fault);
    const error: unknown = await store.write('session', { token: 'new', expires: 2 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageError);
    expect(error).toMatchObject({ code: 'STATE003', cause: { code: fault.code }, hint: expect.stringContaining('disk space') });
    expect(JSON.parse(readFileSync(join(dir, 'session.json'), 'utf8'))).toEqual(OLD);
    expect(await store.read('session')).toEqual(OLD);
    expect(readdirSync(dir)).toEqual(['session.json']);

    disk.heal();
    await store.write('session', { token: 'new', expires: 2 });
    expect(await store.read('session')).toEqual({ token: 'new', expires: 2 });
    expect(readdirSync(dir)).toEqual(['session.json']);
  });

  it('removes temp files a crash left behind before its first write, without touching its own', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'session.json'), '{"token":"current"}\n');
    writeFileSync(join(dir, 'session.json.deadbeef.tmp'), '{"token":"half');
    writeFileSync(join(dir, 'lockout.json.0badf00d.tmp'), '');
    writeFileSync(join(dir, 'notes.txt'), 'not ours');
    const store = createStateStore(dir, capturingLog().log);
    await Promise.all([store.write('lockout', { n: 1 }), store.write('refused', { n: 2 }), store.write('lockout', { n: 3 })]);
    expect(readdirSync(dir).sort()).toEqual(['lockout.json', 'notes.txt', 'refused.json', 'session.json']);
    expect(await store.read('session')).toEqual({ token: 'current' });
  });

  it('a failed remove is STATE003 and leaves the file', async () => {
    const { dir, disk, store } = await storeWithOldVersion();
    disk.fail({ op: 'unlink', code: 'EROFS' });
    await expect(store.remove('session')).rejects.toMatchObject({ code: 'STATE003', cause: { code: 'EROFS' } });
    expect(readdirSync(dir)).toEqual(['session.json']);
  });

  it('writes the temp file, fsyncs it, renames it into place, then fsyncs the directory', async () => {
    const { dir, disk, store } = await storeWithOldVersion();
    disk.calls.length = 0;
    await store.write('session', { token: 'new', expires: 2 });
    const temp = disk.calls.find((call) => call.op === 'open')!.path;
    expect(temp).toMatch(/session\.json\.[0-9a-f]{8}\.tmp$/);
    expect(disk.calls).toEqual([
      { op: 'mkdir', path: dir },
      { op: 'open', path: temp },
      { op: 'write', path: temp },
      { op: 'sync', path: temp },
      { op: 'close', path: temp },
      { op: 'rename', path: temp },
      { op: 'open', path: dir },
      { op: 'sync', path: dir },
      { op: 'close', path: dir },
    ]);
    expect(statSync(join(dir, 'session.json')).mode & 0o777).toBe(0o600);
  });

  it('a directory that cannot be fsynced does not fail a write that took effect', async () => {
    const { dir, disk, store } = await storeWithOldVersion();
    disk.fail({ op: 'sync', code: 'EIO', path: new RegExp(`${dir}$`) });
    await store.write('session', { token: 'new', expires: 2 });
    expect(await store.read('session')).toEqual({ token: 'new', expires: 2 });
  });
});

describe('state store with a corrupt file', () => {
  function corruptStore(content: string) {
    const dir = tempDir();
    writeFileSync(join(dir, 'session.json'), content);
    const disk = faultyDisk();
    const { log, lines } = capturingLog();
    return { dir, disk, lines, store: createStateStore(dir, log, { disk, now: () => NOW }) };
  }

  it.each([
    ['cut short', '{"token": "tru'],
    ['empty', ''],
    ['binary garbage', '\u0000\u0000\u0000'],
  ])('reads a file that is %s as absent, moves it aside for a person and warns once with STATE004', async (_name, content) => {
    const { dir, lines, store } = corruptStore(content);
    expect(await store.read('session')).toBeUndefined();
    expect(readdirSync(dir)).toEqual([`session.json.corrupt-${NOW}`]);
    expect(readFileSync(join(dir, `session.json.corrupt-${NOW}`), 'utf8')).toBe(content);
    expect(warnings(lines)).toEqual([
      expect.objectContaining({ err: expect.objectContaining({ code: 'STATE004' }), file: join(dir, `session.json.corrupt-${NOW}`) }),
    ]);

    expect(await store.read('session')).toBeUndefined();
    expect(warnings(lines)).toHaveLength(1);

    await store.write('session', { token: 'fresh' });
    expect(await store.read('session')).toEqual({ token: 'fresh' });
  });

  it('warns once and carries on when the corrupt file cannot even be moved aside', async () => {
    const { dir, disk, lines, store } = corruptStore('not json');
    disk.fail({ op: 'rename', code: 'EROFS' });
    expect(await store.read('session')).toBeUndefined();
    expect(await store.read('session')).toBeUndefined();
    expect(warnings(lines)).toEqual([expect.objectContaining({ err: expect.objectContaining({ code: 'STATE004', cause: expect.stringContaining('EROFS') }) })]);
    expect(readdirSync(dir)).toEqual(['session.json']);

    disk.heal();
    await store.write('session', { token: 'fresh' });
    expect(await store.read('session')).toEqual({ token: 'fresh' });
  });

  it('hands JSON of the wrong shape to the caller as it is, without a warning', async () => {
    const { dir, lines, store } = corruptStore('[1, 2, 3]');
    expect(await store.read('session')).toEqual([1, 2, 3]);
    expect(warnings(lines)).toEqual([]);
    expect(readdirSync(dir)).toEqual(['session.json']);
  });

  it('a file it cannot read at all is STATE002, not a silent loss', async () => {
    const { disk, store } = corruptStore('{}');
    disk.fail({ op: 'readFile', code: 'EIO' });
    await expect(store.read('session')).rejects.toMatchObject({ code: 'STATE002', cause: { code: 'EIO' } });
  });
});
