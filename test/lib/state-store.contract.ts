import { captureLog } from '../fakes/capture-log.js';
import { describe, expect, it } from 'vitest';
import type { Logger } from '../../lib/logger.js';
import type { StateStore } from '../../lib/state-store.js';

/** A backend under test: a fresh store, and a way to plant a value that is not JSON behind its back. */
export interface ContractSubject {
  store: StateStore;
  /** Puts `text` where `read(key)` (or, with `lines`, `readLines(key)`) will find it, as a hand edit or a torn write would. */
  plant: (key: string, text: string, lines?: boolean) => Promise<void>;
}

export function warningsLog(): { log: Logger; warnings: () => { err?: { code?: string } }[] } {
  const captured = captureLog();
  return { log: captured.log, warnings: () => captured.lines().filter((l) => l.level === 40) };
}

/**
 * What every state backend promises its callers (sessions, lockouts, queues, the recent ring):
 * the files and Redis both pass it, so a driver cannot tell which one it has.
 */
export function stateStoreContract(name: string, make: (log: Logger) => Promise<ContractSubject>): void {
  describe(`state store contract: ${name}`, () => {
    it('reads an absent key as undefined, round-trips JSON, and removes it (twice is fine)', async () => {
      const { store } = await make(warningsLog().log);
      expect(await store.read('session')).toBeUndefined();
      await store.write('session', { token: 't', expires: 1, nested: { list: [1, 'two', null] } });
      expect(await store.read('session')).toEqual({ token: 't', expires: 1, nested: { list: [1, 'two', null] } });
      await store.write('session', { token: 'newer' });
      expect(await store.read('session')).toEqual({ token: 'newer' });
      await store.remove('session');
      expect(await store.read('session')).toBeUndefined();
      await store.remove('session');
    });

    it('keeps keys apart, and JSON values of any shape as they are', async () => {
      const { store } = await make(warningsLog().log);
      await store.write('a', [1, 2, 3]);
      await store.write('b', 'text');
      await store.write('c', 0);
      expect([await store.read('a'), await store.read('b'), await store.read('c')]).toEqual([[1, 2, 3], 'text', 0]);
    });

    it('lists: absent is undefined, empty is [], appends go to the end, and remove drops the list with its key', async () => {
      const { store } = await make(warningsLog().log);
      expect(await store.readLines('queue')).toBeUndefined();
      await store.writeLines('queue', []);
      expect(await store.readLines('queue')).toEqual([]);
      await store.writeLines('queue', [{ a: 1 }, { b: 'two' }]);
      await store.appendLines('queue', [{ c: 3 }]);
      await store.appendLines('queue', []);
      await store.appendLines('queue', [{ d: 4 }, { e: 5 }]);
      expect(await store.readLines('queue')).toEqual([{ a: 1 }, { b: 'two' }, { c: 3 }, { d: 4 }, { e: 5 }]);
      await store.writeLines('queue', [{ z: 26 }]);
      expect(await store.readLines('queue')).toEqual([{ z: 26 }]);
      await store.write('queue', { doc: true });
      await store.remove('queue');
      expect(await store.readLines('queue')).toBeUndefined();
      expect(await store.read('queue')).toBeUndefined();
    });

    it('appending to a list that does not exist yet creates it', async () => {
      const { store } = await make(warningsLog().log);
      await store.appendLines('ring', [{ a: 1 }]);
      expect(await store.readLines('ring')).toEqual([{ a: 1 }]);
    });

    it('a value that is not JSON reads as absent with one STATE004 warning; the next write replaces it', async () => {
      const { log, warnings } = warningsLog();
      const { store, plant } = await make(log);
      await plant('session', '{"token": "tru');
      expect(await store.read('session')).toBeUndefined();
      expect(await store.read('session')).toBeUndefined();
      expect(warnings().map((w) => w.err?.code)).toEqual(['STATE004']);
      await store.write('session', { token: 'fresh' });
      expect(await store.read('session')).toEqual({ token: 'fresh' });
    });

    it('a list line that is not JSON is skipped with a STATE004 warning, the other lines kept', async () => {
      const { log, warnings } = warningsLog();
      const { store, plant } = await make(log);
      await plant('queue', '{"a":1}\n{"b":\n{"c":3}\n', true);
      expect(await store.readLines('queue')).toEqual([{ a: 1 }, { c: 3 }]);
      expect(warnings().map((w) => w.err?.code)).toEqual(['STATE004']);
    });

    it('refuses keys that could leave its folder or namespace', async () => {
      const { store } = await make(warningsLog().log);
      for (const key of ['../x', 'a/b', 'a:b', '', 'x y']) {
        await expect(store.write(key, {})).rejects.toThrow(/invalid state key/);
        await expect(store.read(key)).rejects.toThrow(/invalid state key/);
      }
    });
  });
}
