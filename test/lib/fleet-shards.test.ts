import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseBeat, redisShardStore, shardKey } from '../../lib/fleet/shard-store.js';
import { bridgeHashKey, jumpHash, parseShard, planShards, preferredShard, resolveShard, type ShardBeat } from '../../lib/fleet/shards.js';

import { HAVE_REDIS, startRedis, type TestRedis } from '../fakes/redis.js';

const KEYS = Array.from({ length: 10_000 }, (_, i) => `bridge-${i}`);
const beats = (count: number, alive: readonly number[]): ShardBeat[] => Array.from({ length: count }, (_, i) => (alive.includes(i) ? { count } : null));

describe('jump consistent hash', () => {
  it('matches the reference implementation (Lamping & Veach) on known keys, and is deterministic', () => {
    // Computed with the paper's C code (uint64_t arithmetic, compiled with gcc) for these keys.
    expect(jumpHash(0n, 1)).toBe(0);
    expect(jumpHash(0n, 100)).toBe(0);
    expect(jumpHash(1n, 100)).toBe(55);
    expect(jumpHash(0xdeadbeefn, 1000)).toBe(285);
    expect(jumpHash(0xffffffffffffffffn, 2 ** 20)).toBe(589430);
    // sha256("alice") starts 2bd806c97f0e00af.
    expect(bridgeHashKey('alice')).toBe(0x2bd806c97f0e00afn);
    expect(preferredShard('alice', 3)).toBe(1);
    expect(KEYS.map((k) => preferredShard(k, 5))).toEqual(KEYS.map((k) => preferredShard(k, 5)));
  });

  it('uses every bucket, about evenly', () => {
    for (const n of [1, 3, 4, 7]) {
      const counts = new Array<number>(n).fill(0);
      for (const k of KEYS) counts[preferredShard(k, n)]! += 1;
      for (const c of counts) expect(Math.abs(c - KEYS.length / n)).toBeLessThan((KEYS.length / n) * 0.1);
    }
  });

  it('3 → 4 shards moves about a quarter of 10,000 keys, each into the new shard, never between two old ones', () => {
    let moved = 0;
    for (const k of KEYS) {
      const before = preferredShard(k, 3);
      const after = preferredShard(k, 4);
      if (before === after) continue;
      moved += 1;
      expect(after).toBe(3);
    }
    expect(moved / KEYS.length).toBeGreaterThan(0.23);
    expect(moved / KEYS.length).toBeLessThan(0.27);
    // mod N would move three quarters.
    expect(KEYS.filter((k) => bridgeHashKey(k) % 3n !== bridgeHashKey(k) % 4n).length / KEYS.length).toBeGreaterThan(0.7);
  });
});

describe('shard settings', () => {
  it('parses i/N and says what is wrong with the rest', () => {
    expect(parseShard('0/3')).toEqual({ index: 0, count: 3 });
    expect(parseShard(' 2 / 3 ')).toEqual({ index: 2, count: 3 });
    expect(parseShard('3/3')).toMatch(/below the shard count \(0 to 2\); got 3\/3/);
    expect(parseShard('0/0')).toMatch(/count must be 1 to 1024/);
    expect(parseShard('-1/3')).toMatch(/must be i\/N/);
    expect(parseShard('1')).toMatch(/must be i\/N/);
    expect(parseShard('a/b')).toMatch(/must be i\/N/);
  });

  it('takes --shard first, else the StatefulSet ordinal with GLUCO_HUB__FLEET__SHARDS, else none', () => {
    expect(resolveShard({ shard: { index: 1, count: 3 } }, 'gluco-hub-2')).toEqual({ index: 1, count: 3 });
    expect(resolveShard({ shards: 4 }, 'gluco-hub-2')).toEqual({ index: 2, count: 4 });
    expect(resolveShard({}, 'gluco-hub-2')).toBeUndefined();
    expect(() => resolveShard({ shards: 4 }, 'laptop')).toThrow(/\[CFG013\].*does not end in -<ordinal>/);
    expect(() => resolveShard({ shards: 2 }, 'gluco-hub-2')).toThrow(/\[CFG013\].*ordinal 2, not below GLUCO_HUB__FLEET__SHARDS=2/);
    expect(() => resolveShard({ shard: { index: 0, count: 3 }, shards: 4 }, 'x-0')).toThrow(/\[CFG013\]/);
  });

  it('reads a heartbeat as its shard count; anything else is no heartbeat', () => {
    expect(parseBeat('3 host:1:abc')).toEqual({ count: 3 });
    expect(parseBeat(null)).toBeNull();
    expect(parseBeat('garbage')).toBeNull();
  });
});

describe('which shard asks for which bridge', () => {
  const bridges = KEYS.slice(0, 300);
  const own = (i: number, n: number) => bridges.filter((b) => preferredShard(b, n) === i);

  it('every shard alive: each asks for exactly its own bridges, and together they cover all, once', () => {
    const wanted = [0, 1, 2].map((i) => planShards({ index: i, count: 3 }, bridges, new Set(), beats(3, [0, 1, 2])).wanted);
    for (const [i, w] of wanted.entries()) expect(w).toEqual(own(i, 3));
    expect(wanted.flat().sort()).toEqual([...bridges].sort());
  });

  it('a dead shard\'s bridges: the next shard in order asks; the one after only when that one is dead too', () => {
    const alive = beats(4, [0, 2, 3]);
    expect(planShards({ index: 2, count: 4 }, bridges, new Set(), alive).wanted.sort()).toEqual([...own(1, 4), ...own(2, 4)].sort());
    expect(planShards({ index: 3, count: 4 }, bridges, new Set(), alive).wanted).toEqual(own(3, 4));
    // Shard 1 and 2 dead: 3 asks for both.
    expect(planShards({ index: 3, count: 4 }, bridges, new Set(), beats(4, [0, 3])).wanted.sort()).toEqual([...own(1, 4), ...own(2, 4), ...own(3, 4)].sort());
    // Wraps around: shard 3 dead, shard 0 next.
    expect(planShards({ index: 0, count: 4 }, bridges, new Set(), beats(4, [0, 1, 2])).wanted.sort()).toEqual([...own(3, 4), ...own(0, 4)].sort());
    // Alone: everything.
    expect(planShards({ index: 1, count: 4 }, bridges, new Set(), beats(4, [1])).wanted.sort()).toEqual([...bridges].sort());
  });

  it('a shard alive again gets its bridges back from whoever holds them; a shard at another count does not count as alive', () => {
    const theirs = own(1, 3);
    const held = new Set([...own(2, 3), ...theirs]);
    expect(planShards({ index: 2, count: 3 }, bridges, held, beats(3, [0, 1, 2])).handBack.sort()).toEqual([...theirs].sort());
    expect(planShards({ index: 2, count: 3 }, bridges, held, beats(3, [0, 2])).handBack).toEqual([]);
    const otherCount: ShardBeat[] = [{ count: 3 }, { count: 4 }, { count: 3 }];
    expect(planShards({ index: 2, count: 3 }, bridges, held, otherCount).handBack).toEqual([]);
  });

  it('heartbeats unreadable: only its own bridges, nothing handed back', () => {
    const held = new Set(own(1, 3));
    expect(planShards({ index: 2, count: 3 }, bridges, held, null)).toEqual({ wanted: own(2, 3), handBack: [] });
  });
});

describe.skipIf(!HAVE_REDIS)('shard heartbeats on a real Redis', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => redis.close());

  it('beats under <prefix>:~shard:<i> for one ttl, reads every shard in the same call, and leaves only its own', async () => {
    const one = redisShardStore(redis.client, { prefix: 'hb', token: 'one', ttlMs: 5_000, shard: { index: 1, count: 3 } });
    const other = redisShardStore(redis.client, { prefix: 'hb', token: 'other', ttlMs: 5_000, shard: { index: 1, count: 3 } });
    const zero = redisShardStore(redis.client, { prefix: 'hb', token: 'zero', ttlMs: 5_000, shard: { index: 0, count: 4 } });
    expect(await one.beat()).toEqual([null, { count: 3 }, null]);
    expect(await redis.client.get(shardKey('hb', 1))).toBe('3 one');
    const pttl = await redis.client.pttl(shardKey('hb', 1));
    expect(pttl).toBeGreaterThan(4_000);
    expect(pttl).toBeLessThanOrEqual(5_000);
    await zero.beat();
    expect(await one.beat()).toEqual([{ count: 4 }, { count: 3 }, null]);
    // Another process claiming index 1 took the key over: ours leaving does not remove theirs.
    await other.beat();
    await one.leave();
    expect(await redis.client.get(shardKey('hb', 1))).toBe('3 other');
    await other.leave();
    expect(await redis.client.exists(shardKey('hb', 1))).toBe(0);
  });
});
