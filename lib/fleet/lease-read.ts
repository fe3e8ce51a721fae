import type { Redis } from 'ioredis';
import { bridgeKeys } from './keys.js';
import { literal, scanKeys } from './scan.js';

/** One bridge's lease as Redis has it now, read without taking or changing anything. */
export interface LeaseRecord {
  bridge: string;
  /** The holding process's token (`host:pid:random`); absent when nobody holds the lease. */
  holder?: string | undefined;
  /** Time left on the lease in Redis, ms; absent with no holder (or a lease key someone set without a ttl). */
  remainingMs?: number | undefined;
  /** The bridge's epoch: how many times its lease was taken (0: never). */
  epoch: number;
  /** How long the holder has held it (since it took this epoch), by Redis's clock; absent with no holder or no record of the take. */
  heldForMs?: number | undefined;
}

/**
 * How long ago the current epoch's lease was taken, from the `~since` value (`<epoch> <s> <µs>`,
 * lease-store's acquire) and Redis's TIME. A value from another epoch tells nothing of this one
 * (a take by a version that wrote none, or one that lost the race with this read).
 */
export function heldForMs(since: string | null, epoch: number, now: readonly [string, string] | undefined): number | undefined {
  const [sinceEpoch, s, us] = (since ?? '').split(' ').map(Number);
  if (now === undefined || sinceEpoch !== epoch || !Number.isFinite(s) || !Number.isFinite(us)) return undefined;
  const ms = (seconds: number, micros: number): number => seconds * 1000 + Math.floor(micros / 1000);
  return Math.max(0, ms(Number(now[0]), Number(now[1])) - ms(s!, us!));
}

const LEASE_SUFFIX = ':~lease';

/** The bridges that have a lease key under the prefix (held now), by a SCAN: also those no config names. */
export async function leasedBridges(redis: Redis, prefix: string): Promise<string[]> {
  return (await scanKeys(redis, `${literal(prefix)}:*${LEASE_SUFFIX}`)).map((key) => key.slice(prefix.length + 1, -LEASE_SUFFIX.length));
}

/**
 * Reads each bridge's lease holder, time left, epoch and time held in one round trip. The reads are not one
 * atomic step: a lease that ends between them reads as held with no time left, or as free.
 */
export async function readLeases(redis: Redis, prefix: string, bridges: readonly string[]): Promise<LeaseRecord[]> {
  if (bridges.length === 0) return [];
  const pipeline = redis.pipeline();
  for (const bridge of bridges) {
    const keys = bridgeKeys(prefix, bridge);
    pipeline.get(keys.lease).pttl(keys.lease).get(keys.epoch).get(keys.since);
  }
  pipeline.time();
  const answers = (await pipeline.exec()) ?? [];
  const value = (i: number): unknown => {
    const [err, result] = answers[i] ?? [new Error('no answer'), undefined];
    if (err) throw err;
    return result;
  };
  const now = value(4 * bridges.length) as [string, string];
  return bridges.map((bridge, i) => {
    const holder = value(4 * i) as string | null;
    const pttl = Number(value(4 * i + 1));
    const read = Number(value(4 * i + 2) ?? 0);
    const epoch = Number.isFinite(read) ? read : 0;
    const held = holder === null ? undefined : heldForMs(value(4 * i + 3) as string | null, epoch, now);
    return {
      bridge,
      ...(holder === null ? {} : { holder, ...(pttl >= 0 ? { remainingMs: pttl } : {}), ...(held === undefined ? {} : { heldForMs: held }) }),
      epoch,
    };
  });
}
