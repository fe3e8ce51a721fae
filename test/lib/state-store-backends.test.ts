import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisStateStore } from '../../lib/state-redis.js';
import { createStateStore } from '../../lib/state-store.js';
import { tempDir } from '../e2e/cli.js';
import { HAVE_REDIS, NO_REDIS, startRedis, type TestRedis } from '../fakes/redis.js';
import { stateStoreContract, warningsLog } from './state-store.contract.js';

/** One contract, both backends: the files (the default) and Redis (a fleet's). */

stateStoreContract('files', (log) => {
  const dir = tempDir();
  return Promise.resolve({
    store: createStateStore(dir, log),
    plant: (key, text, lines) => Promise.resolve(writeFileSync(join(dir, `${key}.${lines ? 'jsonl' : 'json'}`), text)),
  });
});

let redis: TestRedis | undefined;
let bridges = 0;
if (HAVE_REDIS) {
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => redis?.close());

  stateStoreContract('Redis', (log) => {
    const r = redis as TestRedis;
    // A bridge of its own per test: one server, no test sees another's keys.
    const bridge = `b${(bridges += 1)}`;
    return Promise.resolve({
      store: createRedisStateStore(r.client, log, { prefix: 'gluco-hub', bridge }),
      plant: async (key, text, lines) => {
        await r.client.set(`gluco-hub:${bridge}:${key}${lines ? ':lines' : ''}`, text);
      },
    });
  });
} else {
  describe.skip(NO_REDIS, () => it('needs redis-server', () => undefined));
}

describe.skipIf(!HAVE_REDIS)('Redis state: namespaced and fenced', () => {
  it('keeps each bridge under <prefix>:<bridge>:<key>', async () => {
    const r = redis as TestRedis;
    const store = createRedisStateStore(r.client, warningsLog().log, { prefix: 'fleet-a', bridge: 'alice' });
    await store.write('session', { token: 't' });
    await store.appendLines('ring', [{ a: 1 }]);
    expect((await r.client.keys('fleet-a:*')).sort()).toEqual(['fleet-a:alice:ring:lines', 'fleet-a:alice:session']);
    expect(await r.client.get('fleet-a:alice:session')).toBe('{"token":"t"}');
    const other = createRedisStateStore(r.client, warningsLog().log, { prefix: 'fleet-b', bridge: 'alice' });
    expect(await other.read('session')).toBeUndefined();
  });

  it('refuses every kind of write (FLEET001) once a newer owner has the bridge, and changes nothing', async () => {
    const r = redis as TestRedis;
    let mine = 3;
    await r.client.set('gluco-hub:carol:~epoch', '3');
    const store = createRedisStateStore(r.client, warningsLog().log, { prefix: 'gluco-hub', bridge: 'carol', epoch: () => mine });
    await store.write('login', { refresh: 'r1' });
    await store.writeLines('queue', [{ a: 1 }]);
    // Another process took the lease: the epoch moved on.
    await r.client.incr('gluco-hub:carol:~epoch');
    await expect(store.write('login', { refresh: 'stale' })).rejects.toMatchObject({ code: 'FLEET001' });
    await expect(store.writeLines('queue', [])).rejects.toMatchObject({ code: 'FLEET001' });
    await expect(store.appendLines('queue', [{ b: 2 }])).rejects.toMatchObject({ code: 'FLEET001' });
    await expect(store.remove('login')).rejects.toMatchObject({ code: 'FLEET001' });
    expect(await store.read('login')).toEqual({ refresh: 'r1' });
    expect(await store.readLines('queue')).toEqual([{ a: 1 }]);
    // The newer owner (epoch 4) writes as usual.
    mine = 4;
    await store.write('login', { refresh: 'r2' });
    expect(await store.read('login')).toEqual({ refresh: 'r2' });
  });

  it('a Redis that lost its data (the epoch counts from 0 again) refuses a writer whose lease it no longer knows', async () => {
    const r = redis as TestRedis;
    await r.client.set('gluco-hub:erin:~epoch', '5');
    const stale = createRedisStateStore(r.client, warningsLog().log, { prefix: 'gluco-hub', bridge: 'erin', epoch: () => 5 });
    await stale.write('session', { token: 'mine' });
    await r.client.del('gluco-hub:erin:~epoch', 'gluco-hub:erin:session');
    await r.client.incr('gluco-hub:erin:~epoch');
    await expect(stale.write('session', { token: 'stale' })).rejects.toMatchObject({ code: 'FLEET001' });
    expect(await stale.read('session')).toBeUndefined();
  });

  it('Redis out of reach is STATE006 on read and write, not a silent loss', async () => {
    const r = await startRedis();
    try {
      const store = createRedisStateStore(r.client, warningsLog().log, { prefix: 'gluco-hub', bridge: 'dave' });
      await store.write('session', { token: 't' });
      r.client.options.enableOfflineQueue = false;
      await r.kill();
      await expect(store.read('session')).rejects.toMatchObject({ code: 'STATE006' });
      await expect(store.write('session', { token: 'u' })).rejects.toMatchObject({ code: 'STATE006' });
    } finally {
      await r.close();
    }
  });
});
