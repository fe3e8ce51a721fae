import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { StorageError } from '../../lib/errors.js';
import { createLogger } from '../../lib/logger.js';
import { createStateStore, ensureWritableDir } from '../../lib/state-store.js';
import { tempDir } from '../e2e/cli.js';

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
