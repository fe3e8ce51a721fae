import type { Redis } from 'ioredis';
import { FleetError, StorageError } from './errors.js';
import { bridgeKeys } from './fleet/keys.js';
import { fleetScripts, isFenced } from './fleet/scripts.js';
import type { Logger } from './logger.js';
import { checkKey, type StateStore } from './state-store.js';
import { parseJsonLines } from './json-lines.js';

/**
 * The state store of a fleet: one bridge's documents in Redis, under `<prefix>:<bridge>:<key>`,
 * so whichever process holds the bridge's lease finds its sessions, lockouts and queues. Every
 * change runs as a script that first compares the writer's epoch with the bridge's current one: a
 * process whose lease has passed to a newer owner cannot overwrite what that owner saved (FLEET001), e.g.
 * put back a CareLink refresh token the new owner has already used up.
 *
 * The same contract as the files (test/lib/state-store.contract.ts): absent reads as `undefined`,
 * a value that is not JSON reads as absent with one STATE004 warning, a list is JSON lines.
 */
export interface RedisStateOptions {
  prefix: string;
  bridge: string;
  /** The epoch of this process's lease on the bridge; `undefined` writes without the fence (tests, one-off tools). */
  epoch?: () => number | undefined;
  /** The bridge whose lease fences these writes, when not this one: a followed person's account. */
  lease?: string;
}

const UNREACHABLE_HINT = 'check that the Redis in GLUCO_HUB__STATE__URL is up and reachable';

export function createRedisStateStore(redis: Redis, log: Logger, options: RedisStateOptions): StateStore {
  const keys = bridgeKeys(options.prefix, options.bridge);
  const fence = options.lease === undefined ? keys.epoch : bridgeKeys(options.prefix, options.lease).epoch;
  const scripts = fleetScripts(redis);
  const epoch = options.epoch ?? (() => undefined);
  /** Values that are not JSON: warned about once per key until a write replaces them. */
  const warned = new Set<string>();

  async function get(redisKey: string): Promise<string | null> {
    try {
      return await redis.get(redisKey);
    } catch (cause) {
      throw new StorageError('STATE006', `cannot read state ${redisKey} from Redis`, { cause, hint: UNREACHABLE_HINT });
    }
  }

  async function change(targets: string[], op: 'set' | 'append' | 'del', value?: string): Promise<void> {
    const mine = epoch();
    try {
      await scripts.write([fence, ...targets], mine, op, value);
    } catch (cause) {
      if (isFenced(cause)) {
        throw new FleetError('FLEET001', `refused to change state ${targets.join(', ')}: bridge "${options.bridge}" has a newer owner than this process's lease (epoch ${mine})`, {
          cause,
          hint: 'none: the new owner carries on; this process stops the bridge',
        });
      }
      throw new StorageError('STATE006', `cannot write state ${targets.join(', ')} to Redis`, { cause, hint: UNREACHABLE_HINT });
    }
  }

  const jsonLines = (values: readonly unknown[]): string => values.map((v) => `${JSON.stringify(v)}\n`).join('');

  return {
    async read(key) {
      checkKey(key);
      const text = await get(keys.state(key));
      if (text === null) return undefined;
      try {
        return JSON.parse(text) as unknown;
      } catch (cause) {
        if (!warned.has(key)) {
          warned.add(key);
          const error = new StorageError('STATE004', `state ${keys.state(key)} in Redis is not JSON; carrying on without it`, { cause, hint: 'none: the next write replaces it' });
          log.warn({ err: error, key: keys.state(key) }, 'state in Redis was corrupt; carrying on without it');
        }
        return undefined;
      }
    },
    async write(key, value) {
      checkKey(key);
      await change([keys.state(key)], 'set', JSON.stringify(value));
      warned.delete(key);
    },
    async readLines(key) {
      checkKey(key);
      const text = await get(keys.lines(key));
      if (text === null) return undefined;
      const { values, bad } = parseJsonLines(text);
      if (bad > 0) {
        const error = new StorageError('STATE004', `state ${keys.lines(key)} in Redis had ${bad} unreadable line(s); skipped them`, { hint: 'none: the readable lines are kept' });
        log.warn({ err: error, key: keys.lines(key) }, 'state in Redis had unreadable lines; carrying on without them');
      }
      return values;
    },
    async writeLines(key, values) {
      checkKey(key);
      await change([keys.lines(key)], 'set', jsonLines(values));
    },
    async appendLines(key, values) {
      checkKey(key);
      if (values.length === 0) return;
      await change([keys.lines(key)], 'append', jsonLines(values));
    },
    async remove(key) {
      checkKey(key);
      await change([keys.state(key), keys.lines(key)], 'del');
      warned.delete(key);
    },
  };
}
