import type { Redis } from 'ioredis';
import { bridgeKeys } from './keys.js';

/** One bridge's lease as Redis has it now, read without taking or changing anything. */
export interface LeaseRecord {
  bridge: string;
  /** The holding process's token (`host:pid:random`); absent when nobody holds the lease. */
  holder?: string | undefined;
  /** Time left on the lease in Redis, ms; absent with no holder (or a lease key someone set without a ttl). */
  remainingMs?: number | undefined;
  /** The bridge's epoch: how many times its lease was taken (0: never). */
  epoch: number;
}

const LEASE_SUFFIX = ':~lease';

/** The bridges that have a lease key under the prefix (held now), by a SCAN: also those no config names. */
export async function leasedBridges(redis: Redis, prefix: string): Promise<string[]> {
  const found = new Set<string>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*${LEASE_SUFFIX}`, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) found.add(key.slice(prefix.length + 1, -LEASE_SUFFIX.length));
  } while (cursor !== '0');
  return [...found];
}

/**
 * Reads each bridge's lease holder, time left and epoch in one round trip. The reads are not one
 * atomic step: a lease that ends between them reads as held with no time left, or as free.
 */
export async function readLeases(redis: Redis, prefix: string, bridges: readonly string[]): Promise<LeaseRecord[]> {
  if (bridges.length === 0) return [];
  const pipeline = redis.pipeline();
  for (const bridge of bridges) {
    const keys = bridgeKeys(prefix, bridge);
    pipeline.get(keys.lease).pttl(keys.lease).get(keys.epoch);
  }
  const answers = (await pipeline.exec()) ?? [];
  const value = (i: number): unknown => {
    const [err, result] = answers[i] ?? [new Error('no answer'), undefined];
    if (err) throw err;
    return result;
  };
  return bridges.map((bridge, i) => {
    const holder = value(3 * i) as string | null;
    const pttl = Number(value(3 * i + 1));
    const epoch = Number(value(3 * i + 2) ?? 0);
    return {
      bridge,
      ...(holder === null ? {} : { holder, ...(pttl >= 0 ? { remainingMs: pttl } : {}) }),
      epoch: Number.isFinite(epoch) ? epoch : 0,
    };
  });
}
