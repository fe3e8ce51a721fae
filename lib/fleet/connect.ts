import type { Redis } from 'ioredis';
import { FleetError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Secret } from '../secret.js';

export interface RedisSettings {
  url: string;
  password?: Secret | undefined;
}

/**
 * A Redis client for state and leases; ioredis loads only here, when a state URL is set. Commands
 * fail at once while the connection is down (no offline queue): a lease renewal that cannot reach
 * Redis must say so, not wait in a queue while the lease runs out. The client keeps reconnecting,
 * at start-up too, so a Redis that comes up late or comes back is used again without a restart.
 */
export async function connectRedis(settings: RedisSettings, log: Logger): Promise<Redis> {
  const { Redis } = await import('ioredis');
  const redis = new Redis(settings.url, {
    ...(settings.password ? { password: settings.password.reveal() } : {}),
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 5_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
  let down = false;
  // Without a listener ioredis prints each failed reconnect to the console.
  redis.on('error', (err: Error) => {
    if (down) return;
    down = true;
    const error = new FleetError('FLEET002', `Redis at ${settings.url} is out of reach: ${err.message}`, { hint: 'bridges already held keep running until their leases would expire; check Redis' });
    log.warn({ err: error }, 'Redis (state and leases) is out of reach; retrying');
  });
  redis.on('ready', () => {
    if (down) log.info('Redis (state and leases) is reachable again');
    down = false;
  });
  await redis.connect().catch(() => undefined);
  return redis;
}
