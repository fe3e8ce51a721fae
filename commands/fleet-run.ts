import { budgetStatus, fleetStatus } from '../app/fleet/status.js';
import { minuteOf, readUsage } from '../lib/fleet/budget-usage.js';
import { fleetLimits } from '../lib/fleet/fleet-budget.js';
import { connectRedis, STATE_COMMAND_TIMEOUT_MS } from '../lib/fleet/connect.js';
import { leasedBridges, readLeases } from '../lib/fleet/lease-read.js';
import { ConfigError, FleetError } from '../lib/errors.js';
import { createLogger } from '../lib/logger.js';
import { cliSettings, EXIT, load, say, type GlobalArgs } from './common.js';
import { formatFleetStatus } from './fleet-print.js';

export interface FleetArgs extends GlobalArgs {
  action: 'status';
  json?: boolean | undefined;
}

/**
 * `gluco-hub fleet status`: reads every lease of the config's bridges (and any other lease under
 * the prefix) from the fleet's Redis and says who holds what. Reads only: takes, renews and
 * writes nothing, so it is safe beside a running fleet.
 */
export async function runFleet(args: FleetArgs): Promise<void> {
  const config = load(cliSettings(args));
  const url = config.state.url;
  if (url === undefined) {
    throw new ConfigError('FLEET010', 'fleet status reads the leases in the fleet\'s Redis, and no state URL is set', {
      hint: 'set GLUCO_HUB__STATE__URL=redis://host:6379/0 (and GLUCO_HUB__STATE__PASSWORD_FILE if it needs one), as for the forever processes',
    });
  }
  // The connection's own warnings would repeat the one coded error below.
  const redis = await connectRedis({ url, password: config.state.password, commandTimeoutMs: STATE_COMMAND_TIMEOUT_MS, role: 'state' }, createLogger({ level: 'silent', format: 'json' }));
  try {
    const { prefix } = config.state;
    const configured = config.bridges.map((b) => b.id);
    const atMs = Date.now();
    const minute = minuteOf(atMs);
    let records;
    let usage;
    try {
      const others = (await leasedBridges(redis, prefix)).filter((b) => !configured.includes(b)).sort();
      records = await readLeases(redis, prefix, [...configured, ...others]);
      usage = await Promise.all([readUsage(redis, prefix, minute - 1), readUsage(redis, prefix, minute)]);
    } catch (cause) {
      // ioredis' messages name the address or the refusal (WRONGPASS, WRONGTYPE), never the password.
      const why = cause instanceof Error ? cause.message : String(cause);
      throw new FleetError('FLEET011', `cannot read the leases from Redis at ${url}: ${why}`, { cause, hint: 'check that Redis is up and reachable from this host, and its password (GLUCO_HUB__STATE__PASSWORD)' });
    }
    const limits = fleetLimits(config.vendorBudget);
    const perMinute = (l: { points: number; seconds: number } | undefined) => (l === undefined ? undefined : Math.floor((l.points * 60) / l.seconds));
    const allowedPerMinute = Object.fromEntries(
      Object.entries({ host: perMinute(limits.host), bridge: perMinute(limits.perBridge), login: perMinute(limits.perLogin) }).filter(([, v]) => v !== undefined),
    );
    const budget = budgetStatus(usage[0], usage[1], { lastMinuteMs: (minute - 1) * 60_000, allowedPerMinute });
    const status = { ...fleetStatus(records, { configured, leaseMs: config.fleet.leaseMs }), budget };
    const source = { url, prefix, passwordSet: config.state.password !== undefined, atMs };
    if (args.json) {
      say(JSON.stringify({ redis: { url, prefix, password: source.passwordSet ? '***' : null }, at: new Date(source.atMs).toISOString(), ...status }, null, 2));
    } else {
      say(formatFleetStatus(status, source));
    }
    process.exitCode = EXIT.ok;
  } finally {
    redis.disconnect();
  }
}
