import type { Redis } from 'ioredis';
import { bridgeKeys } from './keys.js';
import { trustedMs } from './leases.js';
import { fleetScripts } from './scripts.js';

/** Set once Redis has been up long enough with the fleet using it; no expiry: gone only if Redis lost its data. */
export const fleetMarkerKey = (prefix: string): string => `${prefix}:~fleet`;

/** The Redis side of leases: each call is one script over all the bridges given (a batch per process). */
export interface LeaseStore {
  /** Per bridge: its new epoch, or 0 when another process holds it. */
  acquire(bridges: readonly string[]): Promise<Map<string, number>>;
  /** Per bridge: whether the lease is still ours (and now runs a full ttl again). */
  renew(bridges: readonly string[]): Promise<Map<string, boolean>>;
  release(bridges: readonly string[]): Promise<void>;
  /**
   * How long to wait before taking a free bridge (ms; 0: now). A Redis that restarted empty has
   * forgotten the leases taken before, and their holders trust them for up to 80 % of a lease
   * time after their last renewal: a bridge taken then could be polled twice. So while Redis holds
   * no sign of having kept its data (the fleet's marker key) and has been up for less than that
   * (plus a second: its uptime is in whole seconds), the answer is the rest of it.
   */
  waitBeforeTakingMs?(): Promise<number>;
}

export function redisLeaseStore(redis: Redis, options: { prefix: string; token: string; ttlMs: number }): LeaseStore {
  const scripts = fleetScripts(redis);
  const keys = (bridge: string) => bridgeKeys(options.prefix, bridge);
  const marker = fleetMarkerKey(options.prefix);
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
    async waitBeforeTakingMs() {
      const replies = await redis.multi().get(marker).info('server').exec();
      const failed = replies?.find(([err]) => err !== null)?.[0];
      if (!replies || failed) throw failed ?? new Error('Redis discarded the transaction');
      // Set after a safe wait, gone only with the data: Redis kept its leases since.
      if (replies[0]?.[1] !== null) return 0;
      const seconds = Number(/^uptime_in_seconds:(\d+)/m.exec(String(replies[1]?.[1]))?.[1]);
      // An answer without it (a proxy, another server) is taken as long up: no wait.
      const upMs = Number.isFinite(seconds) ? seconds * 1000 : Number.POSITIVE_INFINITY;
      const safeMs = trustedMs(options.ttlMs) + 1_000;
      if (upMs < safeMs) return safeMs - upMs;
      await redis.set(marker, `${new Date().toISOString()} ${options.token}`);
      return 0;
    },
  };
}
