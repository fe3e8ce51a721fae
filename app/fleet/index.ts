import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { BridgeConfig, Config } from '../../lib/config/schema.js';
import type { FleetEvent } from '../../lib/contracts/fleet-events.js';
import { connectRedis, leaseCommandTimeoutMs, STATE_COMMAND_TIMEOUT_MS } from '../../lib/fleet/connect.js';
import { fleetLimits, fleetRequestBudget } from '../../lib/fleet/fleet-budget.js';
import { redisLeaseStore } from '../../lib/fleet/lease-store.js';
import { createSharedBudget } from '../../lib/fleet/shared-budget.js';
import type { RequestBudget } from '../../lib/request-budget.js';
import { redisShardStore } from '../../lib/fleet/shard-store.js';
import { resolveShard } from '../../lib/fleet/shards.js';
import type { Logger } from '../../lib/logger.js';
import { createRedisStateStore } from '../../lib/state-redis.js';
import type { StateStore } from '../../lib/state-store.js';
import { startSupervisor, type BridgeSwitch, type Supervisor } from './supervisor.js';

/**
 * `forever` with `state.url` set: state in Redis, and each bridge polled only by the process that
 * holds its lease (docs/fleet.md). Loaded only then, and with it ioredis.
 */
export interface Fleet {
  /** The bridge's state in Redis, its writes fenced by this process's lease epoch. */
  stateFor(bridge: BridgeConfig, log: Logger, lease?: string): StateStore;
  /** Whether this process's lease on the bridge is still trusted now: its outputs write only then (FLEET007). */
  holds(bridge: string): boolean;
  /** The process's request budget with the fleet-wide ones in Redis around it (per host × address, bridge, login). */
  budget(local: RequestBudget): RequestBudget;
  /** Starts taking leases and running the bridges won; call once the hub is built. `observe`: the metrics. */
  supervise(control: BridgeSwitch, observe?: (event: FleetEvent) => void): void;
  /** Stops taking leases; the caller then stops the bridges and calls `close`. */
  stop(): Promise<void>;
  /** Gives the leases back and closes the connection. */
  close(): Promise<void>;
}

export async function createFleet(config: Config, log: Logger): Promise<Fleet> {
  const url = config.state.url as string;
  // Before connecting: a wrong shard setting stops start-up with nothing taken.
  const shard = resolveShard(config.fleet, hostname());
  const fleetLog = log.child({ part: 'fleet' });
  const ttlMs = config.fleet.leaseMs;
  // Two connections: lease rounds on their own, so a renewal never waits behind the state reads and
  // writes of thousands of bridges, and fails fast on a hung Redis; state waits longer for its answers.
  const redis: Redis = await connectRedis({ url, password: config.state.password, commandTimeoutMs: STATE_COMMAND_TIMEOUT_MS, role: 'state' }, fleetLog);
  const leaseRedis: Redis = await connectRedis({ url, password: config.state.password, commandTimeoutMs: leaseCommandTimeoutMs(ttlMs), role: 'leases' }, fleetLog);
  // Names the holder in Redis (`GET <prefix>:<bridge>:~lease`): which host and pid, plus a part no other process has.
  const token = `${hostname()}:${process.pid}:${randomBytes(6).toString('hex')}`;
  const prefix = config.state.prefix;
  let supervisor: Supervisor | undefined;
  const shared = await createSharedBudget(redis, { prefix, log: fleetLog });
  fleetLog.info({ url, prefix, leaseMs: ttlMs, holder: token, ...(shard ? { shard: `${shard.index}/${shard.count}` } : {}) }, `fleet: state and leases in Redis at ${url}; polling only the bridges this process leases`);
  if (shard) fleetLog.info(`fleet: shard ${shard.index} of ${shard.count} (from 0): taking the bridges the hash gives this shard, and a dead shard's when next in line`);
  else fleetLog.info('fleet: no shard set (--shard i/N): every process tries every free bridge, and the first to ask runs it');
  return {
    // A bridge never leased here writes as epoch 0, below any owner's: refused unless nobody ever owned it.
    // `lease`: a followed person's bridge writes under the account's lease, which covers them all.
    stateFor: (bridge, bridgeLog, lease = bridge.id) => createRedisStateStore(redis, bridgeLog, { prefix, bridge: bridge.id, lease, epoch: () => supervisor?.epoch(lease) ?? 0 }),
    holds: (bridge) => supervisor?.holds(bridge) ?? false,
    budget: (local) => fleetRequestBudget(local, shared, fleetLimits(config.vendorBudget), (bridge) => supervisor?.holds(bridge) ?? false),
    supervise(control, observe) {
      supervisor = startSupervisor({
        bridges: config.bridges.map((b) => b.id),
        leases: redisLeaseStore(leaseRedis, { prefix, token, ttlMs }),
        ttlMs,
        control,
        log: fleetLog,
        ...(observe ? { observe } : {}),
        ...(shard ? { shards: { self: shard, store: redisShardStore(leaseRedis, { prefix, token, ttlMs, shard }) } } : {}),
      });
    },
    async stop() {
      await supervisor?.stop();
    },
    async close() {
      await supervisor?.release();
      redis.disconnect();
      leaseRedis.disconnect();
    },
  };
}
