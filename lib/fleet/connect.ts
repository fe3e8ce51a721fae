import type { Redis } from 'ioredis';
import { FleetError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Secret } from '../secret.js';

export interface RedisSettings {
  url: string;
  password?: Secret | undefined;
  /**
   * The longest one command may take: a Redis that stops answering without closing the connection
   * (paused, hung, a network that drops silently) fails the command, so a lease renewal fails in
   * time for the fail-static stop instead of waiting forever.
   */
  commandTimeoutMs: number;
  /** What this connection carries, for its log lines: `leases` or `state`. */
  role: string;
}

/** A state command (a read, a fenced write, a budget count) waits this long for a hung Redis before it fails. */
export const STATE_COMMAND_TIMEOUT_MS = 10_000;

/** A lease command fails after a quarter of the lease (1–2 s): the round that sent it must still know in time to stop its bridges. */
export function leaseCommandTimeoutMs(leaseMs: number): number {
  return Math.min(2_000, Math.max(1_000, Math.floor(leaseMs / 4)));
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
    commandTimeout: settings.commandTimeoutMs,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
  let down = false;
  // Without a listener ioredis prints each failed reconnect to the console.
  redis.on('error', (err: Error) => {
    if (down) return;
    down = true;
    const error = new FleetError('FLEET002', `Redis at ${settings.url} is out of reach: ${err.message}`, { hint: 'bridges already held keep running until their leases would expire; check Redis' });
    log.warn({ err: error, role: settings.role }, `Redis (${settings.role}) is out of reach; retrying`);
  });
  redis.on('ready', () => {
    if (down) log.info({ role: settings.role }, `Redis (${settings.role}) is reachable again`);
    down = false;
  });
  await redis.connect().catch(() => undefined);
  return redis;
}
