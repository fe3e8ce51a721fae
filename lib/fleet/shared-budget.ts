import type { Redis } from 'ioredis';
import type { RateLimiterRedis } from 'rate-limiter-flexible';
import { FleetError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { BudgetKind, BudgetLimit } from './budget-keys.js';
import { redisUsageCounter, type UsageCounter } from './budget-usage.js';

/**
 * Budgets counted in the fleet's Redis (rate-limiter-flexible: one atomic script per request, a
 * fixed window per key), so every process draws on the same numbers. Loaded only with a state URL.
 *
 * When Redis does not answer, a request waits and asks again; it is never sent unbudgeted (N
 * processes each falling back to a budget of their own would send N times the rate to the vendor).
 * After `outageMs` it fails (FLEET005) and the bridge backs off as after any failed request.
 */
export interface SharedBudget {
  /** Resolves once one request under `key` fits `limit`; rejects with the signal's reason, or FLEET005. */
  take(kind: BudgetKind, limit: BudgetLimit, key: string, signal: AbortSignal): Promise<void>;
}


export interface SharedBudgetOptions {
  /** The fleet's key prefix: budgets sit under `<prefix>:~budget:<kind>:`, apart from every bridge's keys. */
  prefix: string;
  log: Logger;
  /** How long one request waits for Redis to answer before it fails; default 60 s. */
  outageMs?: number;
  now?: () => number;
  /** Counts each request let through and each that waited, per minute, for `fleet status`; default in the same Redis. */
  usage?: UsageCounter;
}

const DEFAULT_OUTAGE_MS = 60_000;
/** Asking an unreachable Redis again: 200 ms, doubling, at most every 2 s. */
const retryDelayMs = (attempt: number): number => Math.min(2_000, 200 * 2 ** attempt);

/** A refusal by the limiter (over budget), as opposed to an error (Redis out of reach). */
function overBudget(error: unknown): number | undefined {
  if (error instanceof Error || typeof error !== 'object' || error === null) return undefined;
  const ms = (error as { msBeforeNext?: unknown }).msBeforeNext;
  return typeof ms === 'number' ? ms : undefined;
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  // Aborted while Redis was answering: an abort listener added now would never fire.
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export async function createSharedBudget(redis: Redis, options: SharedBudgetOptions): Promise<SharedBudget> {
  const { RateLimiterRedis } = await import('rate-limiter-flexible');
  const now = options.now ?? Date.now;
  const outageMs = options.outageMs ?? DEFAULT_OUTAGE_MS;
  const usage = options.usage ?? redisUsageCounter(redis, options.prefix, now);
  const limiters = new Map<string, RateLimiterRedis>();
  let down = false;

  const limiterFor = (kind: BudgetKind, limit: BudgetLimit): RateLimiterRedis => {
    const name = `${kind}:${limit.points}/${limit.seconds}`;
    let limiter = limiters.get(name);
    if (!limiter) {
      // rejectIfRedisNotReady: fail at once while the connection is down, as the leases do.
      limiter = new RateLimiterRedis({ storeClient: redis, keyPrefix: `${options.prefix}:~budget:${kind}`, points: limit.points, duration: limit.seconds, rejectIfRedisNotReady: true });
      limiters.set(name, limiter);
    }
    return limiter;
  };

  const unreachable = (error: unknown): void => {
    if (down) return;
    down = true;
    const reason = error instanceof Error ? error.message : String(error);
    const err = new FleetError('FLEET005', `the fleet's vendor budget (Redis) is out of reach: ${reason}`, { hint: 'vendor requests wait until Redis answers; none is sent unbudgeted' });
    options.log.warn({ err }, 'vendor budget out of reach: requests wait for Redis');
  };

  return {
    async take(kind, limit, key, signal) {
      const limiter = limiterFor(kind, limit);
      let outageSince: number | undefined;
      let waited = false;
      for (let attempt = 0; ; attempt += 1) {
        if (signal.aborted) throw signal.reason;
        try {
          await limiter.consume(key, 1);
          if (down) options.log.info('vendor budget reachable again');
          down = false;
          usage.count(kind, 'used', key);
          return;
        } catch (error) {
          const waitMs = overBudget(error);
          if (waitMs !== undefined) {
            if (!waited) usage.count(kind, 'waited', key);
            waited = true;
            await pause(Math.max(1, waitMs), signal);
            continue;
          }
          unreachable(error);
          outageSince ??= now();
          if (now() - outageSince >= outageMs) {
            throw new FleetError('FLEET005', `no vendor budget for ${key}: Redis did not answer for ${Math.round(outageMs / 1000)} s; the request was not sent`, { hint: 'check Redis; the bridge retries after its backoff' });
          }
          await pause(retryDelayMs(attempt), signal);
        }
      }
    },
  };
}
