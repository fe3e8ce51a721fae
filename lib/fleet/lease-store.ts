import type { Redis } from 'ioredis';
import { bridgeKeys } from './keys.js';
import { fleetScripts } from './scripts.js';

/** The Redis side of leases: each call is one script over all the bridges given (a batch per process). */
export interface LeaseStore {
  /** Per bridge: its new epoch, or 0 when another process holds it. */
  acquire(bridges: readonly string[]): Promise<Map<string, number>>;
  /** Per bridge: whether the lease is still ours (and now runs a full ttl again). */
  renew(bridges: readonly string[]): Promise<Map<string, boolean>>;
  release(bridges: readonly string[]): Promise<void>;
}

export function redisLeaseStore(redis: Redis, options: { prefix: string; token: string; ttlMs: number }): LeaseStore {
  const scripts = fleetScripts(redis);
  const keys = (bridge: string) => bridgeKeys(options.prefix, bridge);
  const zip = <T>(bridges: readonly string[], values: readonly T[]): Map<string, T> => new Map(bridges.map((b, i) => [b, values[i] as T]));
  return {
    async acquire(bridges) {
      return zip(bridges, await scripts.acquire(bridges.map((b) => keys(b)), options.token, options.ttlMs));
    },
    async renew(bridges) {
      return zip(bridges, await scripts.renew(bridges.map((b) => keys(b).lease), options.token, options.ttlMs));
    },
    async release(bridges) {
      await scripts.release(bridges.map((b) => keys(b).lease), options.token);
    },
  };
}
