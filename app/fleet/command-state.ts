import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { BridgeConfig, Config } from '../../lib/config/schema.js';
import { StorageError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import type { StateOptions } from '../driver-context.js';

/** Where a one-off command (`login`, `capture`) keeps a bridge's state, and how to let go of it. */
export interface CommandState {
  /** For `driverContext`: a Redis store when the fleet keeps state there (nothing: the files), and whether it is read-only. */
  options: StateOptions;
  /** The same for a person the bridge's account follows (`<bridge>-<slug>`): their own state, under the account's lease. */
  optionsFor(personBridgeId: string): StateOptions;
  /** Another process runs the bridge: read its state, change nothing. */
  shared: boolean;
  /** Where a key lives, for a person: a file, or a Redis key. */
  where(key: string): string;
  close(): Promise<void>;
}

/**
 * The state a one-off command reads and writes for one bridge: the same place `forever` uses, so
 * a `login carelink` made for a fleet is found by whichever process leases the bridge. Without
 * `lease` its writes carry no epoch, as a file written beside a running `forever` takes no lock.
 * With `lease` (capture) it takes the bridge's lease for as long as it runs, as `forever` would,
 * or, when a process holds it, reads that process's state and changes nothing.
 */
export async function commandState(config: Config, bridge: BridgeConfig, log: Logger, options: { lease?: boolean } = {}): Promise<CommandState> {
  if (config.state.url === undefined) {
    return { options: {}, optionsFor: () => ({}), shared: false, where: (key) => join(config.stateDir, bridge.id, `${key}.json`), close: () => Promise.resolve() };
  }
  const [{ connectRedis, STATE_COMMAND_TIMEOUT_MS }, { createRedisStateStore }, { bridgeKeys }, { redisLeaseStore }, { tickMs }] = await Promise.all([
    import('../../lib/fleet/connect.js'),
    import('../../lib/state-redis.js'),
    import('../../lib/fleet/keys.js'),
    import('../../lib/fleet/lease-store.js'),
    import('../../lib/fleet/leases.js'),
  ]);
  const redis = await connectRedis({ url: config.state.url, password: config.state.password, commandTimeoutMs: STATE_COMMAND_TIMEOUT_MS, role: 'state' }, log);
  const { prefix } = config.state;
  const where = (key: string): string => `Redis at ${config.state.url} (key ${bridgeKeys(prefix, bridge.id).state(key)})`;
  const quit = async (): Promise<void> => {
    await redis.quit().catch(() => redis.disconnect());
  };
  if (!options.lease) {
    const unfenced = (id: string): StateOptions => ({ stateFor: (bridgeLog) => createRedisStateStore(redis, bridgeLog, { prefix, bridge: id }) });
    return { options: unfenced(bridge.id), optionsFor: unfenced, shared: false, where, close: quit };
  }

  const ttlMs = config.fleet.leaseMs;
  const leases = redisLeaseStore(redis, { prefix, token: `${hostname()}:${process.pid}:${randomBytes(6).toString('hex')}`, ttlMs });
  let epoch: number;
  try {
    epoch = (await leases.acquire([bridge.id])).get(bridge.id) ?? 0;
  } catch (cause) {
    await quit();
    throw new StorageError('STATE006', `cannot take bridge "${bridge.id}"'s lease in Redis`, { cause, hint: 'check that the Redis in GLUCO_HUB__STATE__URL is up and reachable' });
  }
  const shared = epoch === 0;
  if (shared) log.warn(`another gluco-hub process leases bridge "${bridge.id}": this command uses its saved sessions as they are, saves nothing and never refreshes a rotating login`);
  // Renewed while the command runs; a renewal that fails leaves the fence to refuse its writes.
  const renewal = shared ? undefined : setInterval(() => void leases.renew([bridge.id]).catch(() => undefined), tickMs(ttlMs));
  const fenced = (id: string): StateOptions => ({ stateFor: (bridgeLog) => createRedisStateStore(redis, bridgeLog, { prefix, bridge: id, lease: bridge.id, epoch: () => epoch }), sharedState: shared });
  return {
    options: fenced(bridge.id),
    optionsFor: fenced,
    shared,
    where,
    async close() {
      clearInterval(renewal);
      if (!shared) await leases.release([bridge.id]).catch(() => undefined);
      await quit();
    },
  };
}
