import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { bridgeKeys } from '../../lib/fleet/keys.js';
import { fleetMarkerKey, redisLeaseStore } from '../../lib/fleet/lease-store.js';
import { applyAcquired, applyRenewals, dropExpired, emptyBook, planTick, tickMs, trustedMs } from '../../lib/fleet/leases.js';
import { startRedis, HAVE_REDIS, type TestRedis } from '../fakes/redis.js';

const TTL = 30_000;

describe('lease decisions', () => {
  it('trusts a lease for 80 % of the ttl from when its acquire was sent, and ticks every third of it', () => {
    const book = emptyBook();
    expect(applyAcquired(book, new Map([['a', 7], ['b', 0]]), 1_000, TTL)).toEqual(['a']);
    expect(book.held.get('a')).toEqual({ epoch: 7, validUntil: 1_000 + 24_000 });
    expect(trustedMs(TTL)).toBe(24_000);
    expect(tickMs(TTL)).toBe(10_000);
    expect(book.held.has('b')).toBe(false);
  });

  it('plans: renew what is still valid, stop what lapsed, try what is not held', () => {
    const book = emptyBook();
    applyAcquired(book, new Map([['a', 1], ['b', 1]]), 0, TTL);
    applyRenewals(book, new Map([['a', true]]), 10_000, TTL);
    const plan = planTick(book, ['a', 'b', 'c'], 24_000);
    expect(plan).toEqual({ expired: ['b'], renew: ['a'], acquire: ['c'] });
    dropExpired(book, plan.expired);
    expect([...book.held.keys()]).toEqual(['a']);
    // The epoch stays known after the lease went: a draining bridge's writes still carry it.
    expect(book.epochs.get('b')).toBe(1);
    expect(planTick(book, ['a', 'b', 'c'], 24_001).acquire).toEqual(['b', 'c']);
  });

  it('a renewal refused (another owner) drops the lease at once; one granted moves its deadline', () => {
    const book = emptyBook();
    applyAcquired(book, new Map([['a', 1], ['b', 2]]), 0, TTL);
    expect(applyRenewals(book, new Map([['a', true], ['b', false]]), 5_000, TTL)).toEqual(['b']);
    expect(book.held.get('a')?.validUntil).toBe(29_000);
    expect(book.held.has('b')).toBe(false);
  });
});

describe.skipIf(!HAVE_REDIS)('lease scripts on a real Redis', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => redis.close());

  it('acquire: SET NX PX with the token, and the epoch counts owners; a held lease is not taken', async () => {
    const one = redisLeaseStore(redis.client, { prefix: 't1', token: 'one', ttlMs: TTL });
    const two = redisLeaseStore(redis.client, { prefix: 't1', token: 'two', ttlMs: TTL });
    expect(await one.acquire(['a', 'b'])).toEqual(new Map([['a', 1], ['b', 1]]));
    const lease = bridgeKeys('t1', 'a').lease;
    expect(await redis.client.get(lease)).toBe('one');
    const pttl = await redis.client.pttl(lease);
    expect(pttl).toBeGreaterThan(TTL - 1_000);
    expect(pttl).toBeLessThanOrEqual(TTL);
    expect(await two.acquire(['a', 'b', 'c'])).toEqual(new Map([['a', 0], ['b', 0], ['c', 1]]));
    expect(await redis.client.get(bridgeKeys('t1', 'a').epoch)).toBe('1');
  });

  it('a lease this process still holds in Redis (it gave up on it locally) is taken again at once, under a new epoch', async () => {
    const one = redisLeaseStore(redis.client, { prefix: 't4', token: 'one', ttlMs: TTL });
    const two = redisLeaseStore(redis.client, { prefix: 't4', token: 'two', ttlMs: TTL });
    expect(await one.acquire(['a'])).toEqual(new Map([['a', 1]]));
    await redis.client.pexpire(bridgeKeys('t4', 'a').lease, 100);
    expect(await one.acquire(['a'])).toEqual(new Map([['a', 2]]));
    expect(await redis.client.pttl(bridgeKeys('t4', 'a').lease)).toBeGreaterThan(TTL - 1_000);
    expect(await two.acquire(['a'])).toEqual(new Map([['a', 0]]));
  });

  it('renew and release only touch leases whose token is still ours', async () => {
    const one = redisLeaseStore(redis.client, { prefix: 't2', token: 'one', ttlMs: TTL });
    const two = redisLeaseStore(redis.client, { prefix: 't2', token: 'two', ttlMs: TTL });
    await one.acquire(['a', 'b']);
    await redis.client.pexpire(bridgeKeys('t2', 'a').lease, 500);
    // b's lease ran out and two took it: the epoch went up, and one's renewal says so.
    await redis.client.del(bridgeKeys('t2', 'b').lease);
    expect(await two.acquire(['b'])).toEqual(new Map([['b', 2]]));
    expect(await one.renew(['a', 'b'])).toEqual(new Map([['a', true], ['b', false]]));
    expect(await redis.client.pttl(bridgeKeys('t2', 'a').lease)).toBeGreaterThan(TTL - 1_000);
    await one.release(['a', 'b']);
    expect(await redis.client.get(bridgeKeys('t2', 'a').lease)).toBeNull();
    expect(await redis.client.get(bridgeKeys('t2', 'b').lease)).toBe('two');
    // Released, a takes a new epoch with its next owner.
    expect(await two.acquire(['a'])).toEqual(new Map([['a', 2]]));
  });

  it('a Redis up for less than a trusted lease time without the fleet\'s marker says to wait; with the marker, or up long enough, not (and then sets it)', async () => {
    // A private server just started: its uptime is a second or two.
    const young = await startRedis();
    try {
      const store = redisLeaseStore(young.client, { prefix: 'm1', token: 'one', ttlMs: 30_000 });
      const wait = await store.waitBeforeTakingMs!();
      expect(wait).toBeGreaterThan(20_000);
      expect(wait).toBeLessThanOrEqual(25_000);
      expect(await young.client.get(fleetMarkerKey('m1'))).toBeNull();
      // A Redis that kept the fleet's data since it was used: no wait.
      await young.client.set(fleetMarkerKey('m1'), 'x');
      expect(await store.waitBeforeTakingMs!()).toBe(0);
      // A short lease: the server has been up longer than 80 % of it plus a second (after a moment).
      const short = redisLeaseStore(young.client, { prefix: 'm2', token: 'one', ttlMs: 100 });
      await vi.waitFor(async () => expect(await short.waitBeforeTakingMs!()).toBe(0), { timeout: 5_000, interval: 200 });
      expect(await young.client.get(fleetMarkerKey('m2'))).toMatch(/ one$/);
    } finally {
      await young.close();
    }
  });

  it('a thousand leases renew in one call', async () => {
    const store = redisLeaseStore(redis.client, { prefix: 't3', token: 'one', ttlMs: TTL });
    const ids = Array.from({ length: 1_000 }, (_, i) => `bridge-${i}`);
    await store.acquire(ids);
    const scriptCalls = async (): Promise<number> => {
      const stats = await redis.client.info('commandstats');
      return [...stats.matchAll(/cmdstat_(?:evalsha|eval):calls=(\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
    };
    const clientCalls = async (): Promise<number> => Number(/cmdstat_get:calls=(\d+)/.exec(await redis.client.info('commandstats'))?.[1] ?? 0);
    const [scriptsBefore, getsBefore] = [await scriptCalls(), await clientCalls()];
    const renewed = await store.renew(ids);
    expect([...renewed.values()].every(Boolean)).toBe(true);
    expect(await scriptCalls()).toBe(scriptsBefore + 1);
    // The thousand GETs ran inside that one script (Redis counts them as it runs them).
    expect(await clientCalls()).toBe(getsBefore + 1_000);
  });
});
