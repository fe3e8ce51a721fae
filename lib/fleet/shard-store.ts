import type { Redis } from 'ioredis';
import { fleetScripts } from './scripts.js';
import type { ShardBeat, ShardId } from './shards.js';

/**
 * Shard heartbeats in Redis: `<prefix>:~shard:<i>` holds `<count> <token>` and lives one ttl
 * unless beaten again, so a shard's heartbeat is gone about when the leases of a dead process are.
 * (`~` is not allowed in a bridge id, so the key can never be a bridge's.)
 */
export interface ShardStore {
  /** Writes our heartbeat and reads every shard's, in one round trip. */
  beat(): Promise<ShardBeat[]>;
  /** Deletes our heartbeat if it is still ours: a stopping process takes nothing and is handed nothing. */
  leave(): Promise<void>;
}

export function shardKey(prefix: string, index: number): string {
  return `${prefix}:~shard:${index}`;
}

/** `<count> <token>`: the count first, so a process at another shard count is told apart. */
export function parseBeat(value: string | null): ShardBeat {
  if (value === null) return null;
  const count = Number(value.split(' ', 1)[0]);
  return Number.isInteger(count) && count > 0 ? { count } : null;
}

export function redisShardStore(redis: Redis, options: { prefix: string; token: string; ttlMs: number; shard: ShardId }): ShardStore {
  const { prefix, token, ttlMs, shard } = options;
  const own = shardKey(prefix, shard.index);
  const value = `${shard.count} ${token}`;
  const scripts = fleetScripts(redis);
  const all = Array.from({ length: shard.count }, (_, i) => shardKey(prefix, i));
  return {
    async beat() {
      const replies = await redis.multi().set(own, value, 'PX', ttlMs).mget(...all).exec();
      const failed = replies?.find(([err]) => err !== null)?.[0];
      if (!replies || failed) throw failed ?? new Error('Redis discarded the heartbeat transaction');
      return ((replies[1]?.[1] ?? []) as (string | null)[]).map(parseBeat);
    },
    async leave() {
      // The compare-and-delete of a lease: another process claiming the same index keeps its own.
      await scripts.release([own], value);
    },
  };
}
