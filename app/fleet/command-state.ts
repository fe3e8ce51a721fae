import { join } from 'node:path';
import type { BridgeConfig, Config } from '../../lib/config/schema.js';
import type { Logger } from '../../lib/logger.js';
import type { StateStore } from '../../lib/state-store.js';

/** Where a one-off command (`login`) keeps a bridge's state, and how to let go of it. */
export interface CommandState {
  /** For `driverContext`: a Redis store when the fleet keeps state there; nothing (the files) otherwise. */
  options: { stateFor?: (bridgeLog: Logger) => StateStore };
  /** Where a key lives, for a person: a file, or a Redis key. */
  where(key: string): string;
  close(): Promise<void>;
}

/**
 * The state a one-off command reads and writes for one bridge: the same place `forever` uses, so
 * a `login carelink` made for a fleet is found by whichever process leases the bridge. Its writes
 * carry no epoch, as a file written beside a running `forever` takes no lock.
 */
export async function commandState(config: Config, bridge: BridgeConfig, log: Logger): Promise<CommandState> {
  if (config.state.url === undefined) {
    return { options: {}, where: (key) => join(config.stateDir, bridge.id, `${key}.json`), close: () => Promise.resolve() };
  }
  const [{ connectRedis }, { createRedisStateStore }, { bridgeKeys }] = await Promise.all([
    import('../../lib/fleet/connect.js'),
    import('../../lib/state-redis.js'),
    import('../../lib/fleet/keys.js'),
  ]);
  const redis = await connectRedis({ url: config.state.url, password: config.state.password }, log);
  const { prefix } = config.state;
  return {
    options: { stateFor: (bridgeLog) => createRedisStateStore(redis, bridgeLog, { prefix, bridge: bridge.id }) },
    where: (key) => `Redis at ${config.state.url} (key ${bridgeKeys(prefix, bridge.id).state(key)})`,
    close: async () => {
      await redis.quit().catch(() => undefined);
    },
  };
}
